"""Every family of this project's configs resumes bit for bit: a run stopped and
resumed with ``--resume`` ends with the weights of the uninterrupted run.

The configs are used as shipped (their hooks, RandomStateHook included, their
data pipelines and loader workers) on a tiny copy of their data.
"""
import pytest

from helpers import (
    CONFIGS,
    assert_same_state,
    checkpoint_path,
    make_image_folder,
    model_state,
    train,
    write_config,
)

OURS = CONFIGS / 'asgan'
# one config per model family (its AS variant: the attack state must resume too)
FAMILIES = {
    'dcgan (Fashion-MNIST, grey)': 'asgan-fgsm_dcgan-small_1xb64-3kiters_fashion-mnist-32x32.py',
    'dcgan (CIFAR, flip, 4 workers)': 'asgan-fgsm_dcgan_1xb64-100kiters_cifar10-32x32.py',
    'sngan-cnn (GGAN model)': 'asgan-fgsm_sngan-cnn_hinge-1xb64-100kiters_cifar10-32x32.py',
    'sngan (ResNet, 5 D steps)':
    'asgan-fgsm_sngan-uncond_hinge-ndisc5-1xb64-500kiters_cifar10-32x32.py',
    'dcgan (CIFAR study, flip, no workers)': 'cifar/dcgan-wide_1xb32-10kiters_cifar10-32x32.py',
}


def _as_shipped(tmp_path, name: str, data_root, iters: int, path_name: str):
    """The shipped config on tiny data: data root, batch size, length, checkpoints
    every 2 iterations, no evaluation (it needs Inception and real data)."""
    overrides = dict(
        train_dataloader=dict(batch_size=4, dataset=dict(data_root=str(data_root))),
        train_cfg=dict(max_iters=iters, val_interval=10**9),
        val_cfg=None, val_dataloader=None, val_evaluator=None,
        test_cfg=None, test_dataloader=None, test_evaluator=None,
        default_hooks=dict(checkpoint=dict(interval=2, save_best=None, rule=None)),
        randomness=dict(seed=0))
    return write_config(tmp_path / path_name, str(OURS / name), '', overrides)


@pytest.mark.parametrize('family', list(FAMILIES))
def test_shipped_config_resumes_bit_for_bit(family, tmp_path):
    from mmengine.config import Config
    name = FAMILIES[family]
    hooks = [h['type'] for h in Config.fromfile(str(OURS / name)).get('custom_hooks', [])]
    assert 'RandomStateHook' in hooks  # the shipped config, as built
    channels = 1 if 'fashion-mnist' in name else 3
    data = make_image_folder(tmp_path / 'data', num_classes=2, per_class=8, channels=channels)
    full = train(_as_shipped(tmp_path, name, data, 4, 'full.py'), tmp_path / 'full')
    train(_as_shipped(tmp_path, name, data, 2, 'part.py'), tmp_path / 'resumed')
    assert checkpoint_path(tmp_path / 'resumed', 2).exists()
    resumed = train(_as_shipped(tmp_path, name, data, 4, 'full.py'), tmp_path / 'resumed',
                    '--resume')
    assert resumed.iter == 4
    assert_same_state(model_state(full), model_state(resumed))


def test_every_shipped_config_has_exact_resume():
    from mmengine.config import Config
    for path in (sorted(OURS.glob('*.py')) + sorted((OURS / 'stress').glob('*.py')) +
                 sorted((OURS / 'cifar').glob('*.py'))):
        hooks = [h['type'] for h in Config.fromfile(str(path)).get('custom_hooks', [])]
        assert 'RandomStateHook' in hooks, path.name
