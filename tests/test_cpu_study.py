"""tools/dev/cpu_study.sh: the options it sweeps point at the attack hook of its configs."""
import re

from mmengine.config import Config

from helpers import CONFIGS, ROOT

SCRIPT = ROOT / 'tools' / 'dev' / 'cpu_study.sh'


def test_swept_hook_index_is_the_attack_hook():
    text = SCRIPT.read_text()
    indices = set(re.findall(r'custom_hooks\.(\d+)\.epsilon', text))
    assert indices, 'the script sweeps no hook option'
    for config in ('asgan-fgsm', 'asgan-free'):
        name = f'{config}_dcgan-small-study_1xb64-1500iters_fashion-mnist-32x32.py'
        cfg = Config.fromfile(str(CONFIGS / 'asgan' / name))
        for index in indices:
            assert cfg.custom_hooks[int(index)]['type'] == 'RealSampleAttackHook'


def test_script_finds_the_repository():
    assert 'ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"' in SCRIPT.read_text()
