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
    from mmagic.models.editors.wgan_gp.wgan_gp import WGANGP
    assert not hasattr(WGANGP.__init__.__wrapped__, '__wrapped__')


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


def _wgangp(**loss_config):
    return MODELS.build(dict(
        type='WGANGP', noise_size=8, data_preprocessor=dict(type='DataPreprocessor'),
        generator=dict(type='WGANGPGenerator', noise_size=8, out_scale=16),
        discriminator=dict(type='WGANGPDiscriminator', in_channel=3, in_scale=16),
        loss_config=loss_config))


def test_wgangp_reads_the_config_keys(monkeypatch):
    from mmagic.models.editors.wgan_gp.wgan_gp import WGANGP
    fixed = _wgangp(gp_norm_mode='pixel', gp_loss_weight=50)
    assert (fixed.gp_norm_mode, fixed.gp_loss_weight) == ('pixel', 50)
    assert _wgangp(norm_mode='pixel', loss_weight=5).gp_loss_weight == 5  # old keys still work
    assert (_wgangp().gp_norm_mode, _wgangp().gp_loss_weight) == ('HWC', 10)  # defaults kept
    monkeypatch.setattr(WGANGP, '__init__', WGANGP.__init__.__wrapped__)
    broken = _wgangp(gp_norm_mode='pixel', gp_loss_weight=50)
    assert (broken.gp_norm_mode, broken.gp_loss_weight) == ('HWC', 10)  # upstream ignores them


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
    child = tmp_path / 'child.py'
    child.write_text("_base_ = 'mmagic::wgan-gp/wgangp_GN_1xb64-160kiters_celeba-cropped-128x128.py'\n")
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
