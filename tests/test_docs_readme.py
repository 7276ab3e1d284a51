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
        # a signed number (a difference) must be there with its sign; unsigned, as it is
        for number in re.findall(r'[-+]?\d+\.\d+',
                                 (ROOT / 'results' / study / 'verdict.md').read_text()):
            known |= {number, number.lstrip('+-')}
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
    decimals = re.findall(r'(?<![\w.])[-+]?\d+\.\d+x?', _glance())
    assert decimals, 'no number found: the test would pass vacuously'
    missing = [d for d in decimals if d not in known]
    assert not missing, f'README numbers with no results file behind them: {missing}'


def test_readme_test_command_is_what_ci_runs():
    assert 'bash tools/run_tests.sh' in README
    assert 'bash tools/run_tests.sh' in (ROOT / '.ci' / 'run').read_text()
    run_tests = (ROOT / 'tools' / 'run_tests.sh').read_text()
    assert re.search(r'CUDA_VISIBLE_DEVICES= ', run_tests)  # no GPU visible: pinned to the CPU
    assert '-m "not slow"' in README


def test_readme_is_a_front_page():
    lines = README.splitlines()
    assert len(lines) <= 200
    order = [README.index(h) for h in ('## Install', '## Turn it on', '## Results at a glance',
                                       '## Supported models', '## Documentation', '## Citation')]
    assert order == sorted(order)
    for link in re.findall(r'\]\(((?:docs|configs|tools)/[^)#]+)\)', README):
        assert (ROOT / link).exists(), link


def _turn_it_on_block() -> str:
    section = README.split('## Turn it on', 1)[1]
    return section.split('```python\n', 1)[1].split('```', 1)[0]


def test_the_two_lines_readme_shows_keep_the_base_configs_hooks(tmp_path):
    """README's own block (not a copy of it), on a base config with a hook of its
    own; and the reason README gives for `_base_.get`: a plain list replaces the base's."""
    from mmengine.config import Config
    base = tmp_path / 'base.py'
    base.write_text("model = dict(type='DCGAN')\ncustom_hooks = [dict(type='BaseHook')]\n")
    block = _turn_it_on_block()
    assert block.startswith("_base_ = 'mmagic::")
    child = tmp_path / 'child.py'
    child.write_text(f"_base_ = '{base}'\n" + block.split('\n', 1)[1])
    cfg = Config.fromfile(str(child))
    assert cfg.custom_imports == dict(imports=['mmagic_asgan'], allow_failed_imports=False)
    assert [h['type'] for h in cfg.custom_hooks] == ['BaseHook', 'RealSampleAttackHook']
    assert cfg.custom_hooks[1] == dict(type='RealSampleAttackHook', attack='fgsm',
                                       epsilon=2 / 255)
    child.write_text(child.read_text().replace("_base_.get('custom_hooks', []) + ", ''))
    assert [h['type'] for h in Config.fromfile(str(child)).custom_hooks] == [
        'RealSampleAttackHook']  # MMEngine replaces lists


def test_the_pins_readme_names_are_the_constraints():
    pins = dict(line.split('==') for line in
                (ROOT / 'requirements' / 'constraints.txt').read_text().splitlines()
                if '==' in line and not line.startswith('#'))
    named = re.findall(r'(torch|mmengine|mmcv|mmagic) (\d+\.\d+\.\d+)', README.split(
        '## Install', 1)[1].split('\n## ', 1)[0])
    assert {name for name, _ in named} == {'torch', 'mmengine', 'mmcv', 'mmagic'}
    for name, version in named:
        assert pins[name] == version, name


def test_one_version_everywhere():
    version = re.search(r"__version__ = '([^']+)'",
                        (ROOT / 'mmagic_asgan' / 'version.py').read_text()).group(1)
    assert f'Version {version}' in README
    assert f'version: {version}' in (ROOT / 'CITATION.cff').read_text()
