"""Importing the plug-in without switching it on leaves stock training untouched.

The stock WGAN-GP GP-50 config (whose gp_* keys MMagic ignores) trains bit for
bit the same with and without ``custom_imports=['mmagic_asgan']``; the opt-in
fix ``mmagic_asgan.fixes.wgangp_gp_keys`` is what changes it (penalty weight 50
instead of 10). Each run is a fresh process that imports only what its config asks.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from helpers import ROOT, assert_same_state, tiny_overrides, write_config

STOCK = ('mmagic/.mim/configs/wgan-gp/wgangp_GN-GP-50_1xb64-160kiters_lsun-bedroom-128x128.py')


def _stock_config() -> str:
    import mmagic
    return str(Path(mmagic.__file__).parent.parent / STOCK)


def _train(tmp_path: Path, name: str, imports, image_folder) -> dict:
    overrides = tiny_overrides(image_folder, 128, iters=2, batch_size=2)
    body = (f'custom_imports = dict(imports={imports!r}, allow_failed_imports=False)\n'
            if imports else '')
    cfg = write_config(tmp_path / f'{name}.py', _stock_config(), body, overrides)
    work = tmp_path / name
    work.mkdir()
    proc = subprocess.run([sys.executable, str(ROOT / 'tests' / 'run_stock_training.py'),
                           str(cfg), str(work)], capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert f'imported mmagic_asgan: {bool(imports)}' in proc.stdout
    return torch.load(work / 'state.pth')


def test_stock_wgangp_gp50_trains_bitwise_as_without_the_plugin(tmp_path, image_folder):
    without = _train(tmp_path, 'without', None, image_folder)
    imported = _train(tmp_path, 'imported', ['mmagic_asgan'], image_folder)
    assert_same_state(without, imported)
    fixed = _train(tmp_path, 'fixed', ['mmagic_asgan', 'mmagic_asgan.fixes.wgangp_gp_keys'],
                   image_folder)
    with pytest.raises(AssertionError, match='differ'):  # the opt-in fix does change it
        assert_same_state(without, fixed)


def test_opt_in_fix_reads_the_configs_keys():
    from mmagic.models.editors.wgan_gp.wgan_gp import WGANGP
    from mmagic.registry import MODELS

    def build(**loss_config):
        return MODELS.build(dict(
            type='WGANGP', noise_size=8, data_preprocessor=dict(type='DataPreprocessor'),
            generator=dict(type='WGANGPGenerator', noise_size=8, out_scale=16),
            discriminator=dict(type='WGANGPDiscriminator', in_channel=3, in_scale=16),
            loss_config=loss_config))

    original = WGANGP.__init__
    try:
        assert build(gp_loss_weight=50).gp_loss_weight == 10  # upstream: ignored
        import mmagic_asgan.fixes.wgangp_gp_keys as fix
        fix.apply()  # idempotent
        assert not hasattr(WGANGP.__init__.__wrapped__, '__wrapped__')
        fixed = build(gp_norm_mode='pixel', gp_loss_weight=50)
        assert (fixed.gp_norm_mode, fixed.gp_loss_weight) == ('pixel', 50)
        assert build(norm_mode='pixel', loss_weight=5).gp_loss_weight == 5  # old keys
        assert (build().gp_norm_mode, build().gp_loss_weight) == ('HWC', 10)  # defaults
    finally:
        WGANGP.__init__ = original
        fix._APPLIED = False
