"""Tests for mmagic_asgan.runner_utils (shared by tools/train.py and tools/test.py)."""
import pytest
from mmengine.config import Config

from mmagic_asgan.runner_utils import enable_amp


def test_amp_switches_gan_optimizer_wrappers_without_type():
    cfg = Config(dict(optim_wrapper=dict(
        constructor='MultiOptimWrapperConstructor',
        generator=dict(optimizer=dict(type='Adam', lr=1e-4)),
        discriminator=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4)))))
    switched = enable_amp(cfg, 'bfloat16')
    assert switched == ['optim_wrapper.generator', 'optim_wrapper.discriminator']
    for key in ('generator', 'discriminator'):
        w = cfg.optim_wrapper[key]
        assert (w.type, w.loss_scale, w.dtype) == ('AmpOptimWrapper', 'dynamic', 'bfloat16')
    assert enable_amp(cfg) == []  # already on


def test_amp_single_wrapper_and_refusal():
    cfg = Config(dict(optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1))))
    assert enable_amp(cfg) == ['optim_wrapper'] and cfg.optim_wrapper.type == 'AmpOptimWrapper'
    cfg = Config(dict(optim_wrapper=dict(type='ApexOptimWrapper', optimizer=dict(type='SGD'))))
    with pytest.raises(ValueError, match='optim_wrapper.type is .ApexOptimWrapper'):
        enable_amp(cfg)
