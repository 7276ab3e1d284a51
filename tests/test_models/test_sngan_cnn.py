"""SNGAN's standard-CNN networks (paper Table 3) in MMagic's registry."""
import pytest
import torch

from mmagic.registry import MODELS


def test_generator_shapes_and_noise_inputs():
    g = MODELS.build(dict(type='SNGANCNNGenerator', noise_size=16, base_channels=32))
    assert g(torch.randn(3, 16)).shape == (3, 3, 32, 32)
    out = g(None, num_batches=2, return_noise=True)
    assert out['fake_img'].shape == (2, 3, 32, 32) and out['noise_batch'].shape == (2, 16)
    assert g(lambda shape: torch.zeros(shape), num_batches=2).shape == (2, 3, 32, 32)
    assert float(g(torch.randn(2, 16)).abs().max()) <= 1.0  # tanh
    with pytest.raises(ValueError, match='noise must have 16'):
        g(torch.randn(2, 8))
    with pytest.raises(ValueError, match='output_scale'):
        MODELS.build(dict(type='SNGANCNNGenerator', output_scale=48))


def test_discriminator_is_spectral_normalised():
    d = MODELS.build(dict(type='SNGANCNNDiscriminator', base_channels=8))
    assert d(torch.randn(2, 3, 32, 32)).shape == (2, 1)
    convs = [m for m in d.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    assert len(convs) == 8 and all(hasattr(m, 'weight_orig') for m in convs)
    with pytest.raises(ValueError, match='divisible by 8'):
        MODELS.build(dict(type='SNGANCNNDiscriminator', input_scale=20))
