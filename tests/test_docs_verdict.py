"""README, the model zoo and the study's page quote the stress study's verdict table as
`tools/dev/study.py --report` wrote it (results/stress_fmnist/verdict.md), digit for digit."""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VERDICT = ROOT / 'results' / 'stress_fmnist' / 'verdict.md'


def _block(path: Path) -> str:
    match = re.search(r'<!-- stress-verdict:start -->\n(.*?)<!-- stress-verdict:end -->',
                      path.read_text(), re.S)
    assert match, f'{path}: no <!-- stress-verdict:start/end --> block'
    return match.group(1)


@pytest.mark.parametrize('doc', ['README.md', 'configs/asgan/README.md',
                                 'docs/studies/stress_fmnist.md'])
def test_docs_quote_the_verdict_table(doc):
    assert _block(ROOT / doc) == VERDICT.read_text()


def test_verdict_cells_come_from_the_heldout_seeds():
    from lab import study
    spec = study.load_spec(str(ROOT / 'configs' / 'asgan' / 'studies' / 'stress_fmnist.py'))
    assert spec.verdict_phase == 'heldout' and not set(spec.phases.heldout.seeds) & set(
        spec.phases.dev.seeds)  # never the tuning seeds
    results = study.load_results(spec)
    rows = study.summarize_phase(spec, results, 'heldout')
    pairs = study.contrasts(spec, results, 'heldout')
    assert study.verdict(spec, rows, 'heldout', pairs) == VERDICT.read_text()
