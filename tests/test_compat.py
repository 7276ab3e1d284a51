"""Each compatibility fix fails without it and passes with it."""
import pickle
import shutil

import pytest
import torch
from mmengine.logging import HistoryBuffer

import mmagic_asgan  # noqa: F401  (applies the fixes)
from mmagic.registry import MODELS


def test_fixes_are_applied_once():
    from mmagic_asgan import compat
    assert set(compat._APPLIED) == set(compat.FIXES)
    compat.apply_all()  # idempotent: nothing wraps twice
    from mmengine.optim import DefaultOptimWrapperConstructor
    assert not hasattr(DefaultOptimWrapperConstructor.__init__.__wrapped__, '__wrapped__')
    from mmagic.models.editors.wgan_gp.wgan_gp import WGANGP
    assert not hasattr(WGANGP.__init__, '__wrapped__')  # numerics: opt-in only


def test_import_warns_nothing():
    """The docstrings hold no invalid escapes (a SyntaxWarning on Python 3.12,
    an error under -W error)."""
    import subprocess
    import sys
    proc = subprocess.run([sys.executable, '-W', 'error::SyntaxWarning', '-W',
                           'error::DeprecationWarning:mmagic_asgan', '-c',
                           'import ast, pathlib, warnings\n'
                           'import mmagic_asgan\n'
                           'for p in pathlib.Path(mmagic_asgan.__file__).parent.rglob("*.py"):\n'
                           '    compile(p.read_text(), str(p), "exec")\n'],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]


def _dcgan():
    return MODELS.build(dict(
        type='DCGAN', noise_size=8, data_preprocessor=dict(type='DataPreprocessor'),
        generator=dict(type='DCGANGenerator', output_scale=16, base_channels=16),
        discriminator=dict(type='DCGANDiscriminator', input_scale=16, output_scale=4,
                           out_channels=1, base_channels=8)))


def test_dcgan_discriminator_init_weights(monkeypatch):
    from mmagic.models.editors.dcgan.dcgan_discriminator import DCGANDiscriminator
    _dcgan().init_weights()  # fixed: runs
    monkeypatch.setattr(DCGANDiscriminator, 'init_weights',
                        DCGANDiscriminator.init_weights.__wrapped__)
    with pytest.raises(UnboundLocalError):
        _dcgan().init_weights()  # upstream mmagic issue #2109


def test_dcgan_discriminator_init_is_upstreams():
    model = _dcgan()
    model.init_weights()
    conv = model.discriminator.downsamples[0].conv
    assert abs(float(conv.weight.std()) - 0.02) < 0.01 and float(conv.bias.abs().sum()) == 0


@pytest.fixture
def mmengine_checkpoint(tmp_path):
    buf = HistoryBuffer()
    buf.update(1.5)
    path = tmp_path / 'ckpt.pth'
    torch.save(dict(state_dict=dict(w=torch.ones(2)),
                    message_hub=dict(log_scalars={'train/loss': buf})), path)
    return path


def test_checkpoint_loading_weights_only(mmengine_checkpoint):
    from mmengine.runner import checkpoint as ckpt_module
    from mmengine.runner.checkpoint import CheckpointLoader, load_checkpoint
    with pytest.raises(pickle.UnpicklingError):
        ckpt_module.load_from_local(str(mmengine_checkpoint), None)  # upstream loader
    loaded = CheckpointLoader.load_checkpoint(str(mmengine_checkpoint))
    assert float(loaded['message_hub']['log_scalars']['train/loss'].current()) == 1.5
    model = torch.nn.Module()
    model.register_buffer('w', torch.zeros(2))
    load_checkpoint(model, str(mmengine_checkpoint))
    assert torch.equal(model.w, torch.ones(2))


def test_checkpoint_loading_over_http(mmengine_checkpoint, tmp_path, monkeypatch):
    from mmengine.runner.checkpoint import CheckpointLoader

    def fake_download(url, dst, *args, **kwargs):  # no network here
        shutil.copy(mmengine_checkpoint, dst)

    monkeypatch.setattr(torch.hub, 'download_url_to_file', fake_download)
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch_home'))
    loaded = CheckpointLoader.load_checkpoint('https://example.org/models/ckpt.pth')
    assert torch.equal(loaded['state_dict']['w'], torch.ones(2))


def test_mmagic_base_path_with_hyphen(tmp_path, monkeypatch):
    from mmengine.config import Config
    from mmengine.config import config as config_module
    from mmengine.hub import hub as hub_module
    assert hub_module._get_package_and_cfg_path is config_module._get_package_and_cfg_path
    child = tmp_path / 'child.py'
    child.write_text(
        "_base_ = 'mmagic::wgan-gp/wgangp_GN_1xb64-160kiters_celeba-cropped-128x128.py'\n")
    assert Config.fromfile(str(child)).model.type == 'WGANGP'
    monkeypatch.setattr(config_module, '_get_package_and_cfg_path',
                        config_module._get_package_and_cfg_path.__wrapped__)
    with pytest.raises(ValueError, match='specify the package name'):
        Config.fromfile(str(child))


def test_integer_adam_betas(monkeypatch):
    from mmengine.optim import DefaultOptimWrapperConstructor
    net = torch.nn.Linear(2, 2)
    cfg = dict(optimizer=dict(type='Adam', lr=1e-3, betas=(0, 0.99**0.8)))
    wrapper = DefaultOptimWrapperConstructor(cfg)(net)
    assert wrapper.optimizer.param_groups[0]['betas'] == (0.0, 0.99**0.8)
    assert cfg['optimizer']['betas'] == (0, 0.99**0.8)  # the caller's config is untouched
    monkeypatch.setattr(DefaultOptimWrapperConstructor, '__init__',
                        DefaultOptimWrapperConstructor.__init__.__wrapped__)
    with pytest.raises(ValueError, match='betas must be either both floats'):
        DefaultOptimWrapperConstructor(cfg)(net)


def test_cpu_launcher_fix_acts_only_without_any_accelerator(monkeypatch):
    """Upstream's launcher runs untouched (its real set_device, its init backend)
    when an accelerator is there; without one, only set_device is a no-op."""
    from mmengine.dist import utils as dist_utils
    from mmengine.model.wrappers import MMDistributedDataParallel

    from mmagic_asgan import compat
    seen = []

    def upstream(backend, init_backend='torch', **kwargs):
        seen.append((backend, init_backend, torch.cuda.set_device))

    real_set_device = torch.cuda.set_device
    monkeypatch.setattr(dist_utils, '_init_dist_pytorch', upstream)
    monkeypatch.setattr(MMDistributedDataParallel, '__init__', MMDistributedDataParallel.__init__)
    compat.fix_cpu_distributed_launch()  # wraps `upstream` (both patches undone after the test)
    monkeypatch.setattr(compat, '_no_accelerator', lambda: False)  # e.g. an MLU or CUDA
    dist_utils._init_dist_pytorch('nccl', init_backend='deepspeed')
    assert seen[-1] == ('nccl', 'deepspeed', real_set_device)
    monkeypatch.setattr(compat, '_no_accelerator', lambda: True)
    dist_utils._init_dist_pytorch('gloo')
    assert seen[-1][:2] == ('gloo', 'torch') and seen[-1][2] is not real_set_device
    assert torch.cuda.set_device is real_set_device  # restored


@pytest.mark.skipif(torch.cuda.is_available(), reason='the fix only acts without CUDA')
def test_cpu_distributed_launch(monkeypatch):
    import torch.distributed as dist
    from mmengine.dist import utils as dist_utils
    from mmengine.model.wrappers import MMDistributedDataParallel
    monkeypatch.setenv('RANK', '0')
    monkeypatch.setenv('LOCAL_RANK', '0')
    monkeypatch.setenv('WORLD_SIZE', '1')
    monkeypatch.setenv('MASTER_ADDR', '127.0.0.1')
    monkeypatch.setenv('MASTER_PORT', str(29400 + __import__('os').getpid() % 500))
    with pytest.raises(RuntimeError, match='NVIDIA'):
        dist_utils._init_dist_pytorch.__wrapped__('gloo')  # upstream: cuda.set_device
    dist_utils.init_dist('pytorch', backend='gloo')
    try:
        net = torch.nn.Linear(2, 2)
        wrapped = MMDistributedDataParallel(module=net, device_ids=[0])  # as Runner.wrap_model
        assert wrapped.device_ids is None
        with pytest.raises(ValueError, match='device_ids'):
            MMDistributedDataParallel.__init__.__wrapped__(
                MMDistributedDataParallel.__new__(MMDistributedDataParallel),
                module=torch.nn.Linear(2, 2), device_ids=[0])
    finally:
        dist.destroy_process_group()


@pytest.mark.skipif(torch.cuda.is_available(), reason='gloo on CPU modules')
def test_loading_checkpoints_of_distributed_runs(monkeypatch):
    """A checkpoint saved as MMEngine's Runner saves it under MMagic's
    MMSeparateDistributedDataParallel (keys ``generator.module.<...>``) restores
    its weights into a wrapped model (``--resume`` under DDP) and into a plain
    one (``tools/test.py``); upstream's loader restores none of them."""
    import torch.distributed as dist
    from mmengine.dist import utils as dist_utils
    from mmengine.model.wrappers import MMSeparateDistributedDataParallel
    from mmengine.runner import checkpoint as checkpoint_module

    def gan():
        torch.manual_seed(len(made))
        made.append(torch.nn.ModuleDict(dict(
            generator=torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.BatchNorm1d(3)),
            discriminator=torch.nn.Linear(3, 1))))
        return made[-1]

    made = []
    for key, value in dict(RANK='0', LOCAL_RANK='0', WORLD_SIZE='1', MASTER_ADDR='127.0.0.1',
                           MASTER_PORT=str(29900 + __import__('os').getpid() % 90)).items():
        monkeypatch.setenv(key, value)
    dist_utils.init_dist('pytorch', backend='gloo')
    try:
        trained = gan()
        trained.generator[1].running_mean.fill_(0.5)
        saved = MMSeparateDistributedDataParallel(trained).module.state_dict()  # as the Runner
        assert 'generator.module.0.weight' in saved
        expected = checkpoint_module.get_state_dict(trained)
        for target in (MMSeparateDistributedDataParallel(gan()), gan()):
            checkpoint_module._load_checkpoint_to_model(target, dict(state_dict=saved))
            loaded = checkpoint_module.get_state_dict(target)
            assert loaded.keys() == expected.keys()
            assert all(torch.equal(loaded[k], expected[k]) for k in expected)
        monkeypatch.setattr(checkpoint_module, 'load_state_dict',
                            checkpoint_module.load_state_dict.__wrapped__)
        upstream = gan()
        checkpoint_module._load_checkpoint_to_model(upstream, dict(state_dict=saved))
        assert not torch.equal(upstream.discriminator.weight, expected['discriminator.weight'])
    finally:
        dist.destroy_process_group()


def test_unwrapped_key_touches_only_keys_the_model_lacks():
    from mmagic_asgan.compat import unwrapped_key
    known = {'generator.0.weight', 'generator', 'generator.0', 'head.module.bias'}
    assert unwrapped_key('generator.module.0.weight', known) == 'generator.0.weight'
    assert unwrapped_key('generator.module.0', known) == 'generator.0'  # a metadata prefix
    assert unwrapped_key('head.module.bias', known) == 'head.module.bias'  # a real submodule
    assert unwrapped_key('other.module.0.weight', known) == 'other.module.0.weight'
