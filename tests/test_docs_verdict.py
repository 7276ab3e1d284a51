"""The documents a study names (the model zoo, its page; README for CIFAR-10) quote
its verdict as `tools/dev/study.py --report` wrote it (results/<study>/verdict.md), digit for digit,
and verdict.md is what the committed results.json gives."""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STUDIES = ['stress_fmnist', 'cifar10_cpu']


def _spec(name: str):
    from lab import study
    return study.load_spec(str(ROOT / 'configs' / 'asgan' / 'studies' / f'{name}.py'))


def _block(path: Path, marker: str) -> str:
    match = re.search(rf'<!-- {marker}:start -->\n(.*?)<!-- {marker}:end -->', path.read_text(),
                      re.S)
    assert match, f'{path}: no <!-- {marker}:start/end --> block'
    return match.group(1)


@pytest.mark.parametrize('name', STUDIES)
def test_docs_quote_the_verdict(name):
    spec = _spec(name)
    verdict = (ROOT / 'results' / name / 'verdict.md').read_text()
    assert spec.verdict_docs  # the model zoo, the study's page (and README for CIFAR-10)
    for doc in spec.verdict_docs:
        assert _block(ROOT / doc, spec.verdict_marker) == verdict, doc


@pytest.mark.parametrize('name', STUDIES)
def test_the_verdict_comes_from_the_heldout_seeds(name):
    from lab import study
    spec = _spec(name)
    assert spec.verdict_phase == 'heldout' and not set(spec.phases.heldout.seeds) & set(
        spec.phases.dev.seeds)  # never the tuning seeds
    results = study.load_results(spec)
    assert study.verdict_text(study.resolve_picks(spec, results), results) == (
        ROOT / 'results' / name / 'verdict.md').read_text()
