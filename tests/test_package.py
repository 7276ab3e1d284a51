"""The package: ``import mmagic_asgan`` (what ``custom_imports`` does) loads the
plug-in only, and registers its parts in MMagic's registries."""
import subprocess
import sys


def test_import_loads_the_plugin_not_the_lab():
    code = ('import sys, mmagic_asgan\n'
            'print(sorted(m for m in sys.modules if m.startswith("lab")))\n')
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
