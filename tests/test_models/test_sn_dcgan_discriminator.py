"""SNDCGANDiscriminator: DCGAN's D with spectral norm instead of BatchNorm."""
import torch

from mmagic.registry import MODELS


def test_spectral_norm_on_every_conv_no_batchnorm_dcgan_init():
    d = MODELS.build(dict(type='SNDCGANDiscriminator', input_scale=32, output_scale=4,
                          out_channels=1, in_channels=1, base_channels=8))
    convs = [m for m in d.modules() if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == 4 and all(hasattr(m, 'weight_orig') for m in convs)
    assert not any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in d.modules())
    d.init_weights()
    assert abs(float(convs[1].weight_orig.std()) - 0.02) < 0.01
    assert float(convs[1].bias.abs().sum()) == 0
    assert d(torch.randn(3, 1, 32, 32)).shape == (3, 1)
    # the normalised weight's largest singular value is about 1 after a few power iterations
    d.train()
    for _ in range(30):
        d(torch.randn(3, 1, 32, 32))
    w = convs[2].weight.detach().flatten(1)
    assert abs(float(torch.linalg.matrix_norm(w, ord=2)) - 1.0) < 0.05
