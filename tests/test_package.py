"""The package: ``import mmagic_asgan`` (what ``custom_imports`` does) loads the
plug-in only, and registers its parts in MMagic's registries."""
import subprocess
import sys
import zipfile

import pytest

from helpers import ROOT


@pytest.mark.slow  # a fresh process
def test_import_loads_the_plugin_not_the_lab():
    code = ('import sys, mmagic_asgan\n'
            'print(sorted(m for m in sys.modules if m == "lab" or m.startswith("lab.")))\n')
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().splitlines()[-1] == '[]'


def test_registrations():
    import mmagic_asgan  # noqa: F401
    from mmagic.registry import HOOKS, METRICS, MODELS
    for name in ('RealSampleAttackHook', 'R1GradientPenaltyHook', 'RandomStateHook',
                 'DiscriminatorProbeHook'):
        assert HOOKS.get(name) is not None, name
    for name in ('ASGANDiscriminatorLoss', 'SNGANCNNGenerator', 'SNGANCNNDiscriminator',
                 'SNDCGANDiscriminator'):
        assert MODELS.get(name) is not None, name
    for name in ('OfflineFID', 'ClassifierFD'):
        assert METRICS.get(name) is not None, name


@pytest.mark.slow
def test_pip_install_into_an_mmagic_environment_installs_the_plugin_only(tmp_path):
    """README's `pip install --no-deps --no-build-isolation .`: the wheel holds
    mmagic_asgan and nothing of the lab or the tools, and, installed beside this
    MMagic 1.2 environment, it is the copy that loads and registers the hook."""
    import shutil
    source = tmp_path / 'source'  # setuptools builds in the source tree: build a copy
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        '.venv', '.git', 'work_dirs', 'data', 'results', '*.egg-info', '__pycache__'))
    wheels = tmp_path / 'wheels'
    subprocess.run([sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation',
                    '-q', '-w', str(wheels), str(source)], check=True, capture_output=True)
    wheel, = wheels.glob('mmagic_asgan-*.whl')
    names = zipfile.ZipFile(wheel).namelist()
    packages = {n.split('/')[0] for n in names}
    assert packages == {'mmagic_asgan', f'{wheel.name.split("-py")[0]}.dist-info'}, packages
    assert 'mmagic_asgan/hooks/real_sample_attack_hook.py' in names
    assert not any(n.startswith(('lab/', 'tools/', 'tests/', 'configs/')) for n in names)
    site = tmp_path / 'site'
    subprocess.run([sys.executable, '-m', 'pip', 'install', '--no-deps', '-q', '--target',
                    str(site), str(wheel)], check=True, capture_output=True)
    code = ('import mmagic_asgan\nfrom mmagic.registry import HOOKS\n'
            'print(mmagic_asgan.__file__, HOOKS.get("RealSampleAttackHook").__name__)')
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                          cwd=tmp_path, env={'PYTHONPATH': str(site), 'PATH': '/usr/bin:/bin'})
    assert proc.returncode == 0, proc.stderr[-2000:]
    path, hook = proc.stdout.split()[-2:]
    assert path.startswith(str(site)) and hook == 'RealSampleAttackHook'
