"""README is the front page: every number in its "Results at a glance" comes from a
results file, its commands are the ones CI and the tools use."""
import json
import re

from helpers import ROOT

README = (ROOT / 'README.md').read_text()


def _glance() -> str:
    """The "Results at a glance" section without the generated verdict blocks
    (tests/test_docs_verdict.py checks those)."""
    section = README.split('## Results at a glance', 1)[1].split('\n## ', 1)[0]
    return re.sub(r'<!-- (stress|cifar10)-verdict:start -->.*<!-- \1-verdict:end -->', '',
                  section, flags=re.S)


def test_every_number_at_a_glance_comes_from_a_results_file():
    known = set()
    for study in ('stress_fmnist', 'cifar10_cpu'):  # the summary quotes the verdict tables
        known |= set(re.findall(r'\d+\.\d+', (ROOT / 'results' / study / 'verdict.md').read_text()))
        cost = json.loads((ROOT / 'results' / study / 'cost.json').read_text())
        known |= {f"{v['train_step']['ratio']:.2f}x" for k, v in cost.items()
                  if not k.startswith('_') and 'ratio' in v['train_step']}
    cifar = json.loads((ROOT / 'results' / 'cifar10_cpu' / 'results.json').read_text())
    for run in cifar:
        for value in run['metrics'].get('FID-2k/fid', {}).values():
            known.add(f'{value:.1f}')
        known |= set(re.findall(r'\d+\.\d+', run['variant']))  # a setting: R1-g0.01
    floor = json.loads((ROOT / 'results' / 'cifar10_cpu' / 'floor.json').read_text())
    known.add(f"{floor['value']:.1f}")
    decimals = re.findall(r'\d+\.\d+x?', _glance())
    assert decimals, 'no number found: the test would pass vacuously'
    missing = [d for d in decimals if d not in known]
    assert not missing, f'README numbers with no results file behind them: {missing}'


def test_readme_test_command_is_what_ci_runs():
    assert 'bash tools/run_tests.sh' in README
    assert 'bash tools/run_tests.sh' in (ROOT / '.ci' / 'run').read_text()
    run_tests = (ROOT / 'tools' / 'run_tests.sh').read_text()
    assert 'CUDA_VISIBLE_DEVICES=' in run_tests  # the suite is pinned to the CPU
    assert '-m "not slow"' in README


def test_readme_is_a_front_page():
    lines = README.splitlines()
    assert len(lines) <= 200
    order = [README.index(h) for h in ('## Install', '## Turn it on', '## Results at a glance',
                                       '## Supported models', '## Documentation', '## Citation')]
    assert order == sorted(order)
    for link in re.findall(r'\]\(((?:docs|configs|tools)/[^)#]+)\)', README):
        assert (ROOT / link).exists(), link
