"""The "standard CNN" of the SNGAN paper (Miyato et al., ICLR 2018, Table 3).

MMagic ships SNGAN's ResNet networks only. These are the paper's CNN ones for
32x32 images, to be trained with MMagic's ``GGAN`` model (hinge loss,
unconditional; it reads no labels):

* generator: z (128) -> linear 4x4x512 -> [deconv 4x4 stride 2, BN, ReLU] x3
  (256, 128, 64 channels) -> conv 3x3 -> tanh;
* discriminator: conv 3x3 64, conv 4x4/2 64, conv 3x3 128, conv 4x4/2 128,
  conv 3x3 256, conv 4x4/2 256, conv 3x3 512, LeakyReLU 0.1 after each, then a
  linear layer; spectral normalization on every layer.
"""
from typing import Callable, Optional, Union

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn
from torch.nn.utils import spectral_norm

from mmagic.registry import MODELS


@MODELS.register_module()
class SNGANCNNGenerator(BaseModule):
    """SNGAN's standard-CNN generator.

    Args:
        noise_size (int): length of z. Defaults to 128.
        base_channels (int): channels of the 4x4 map (halved at each upsampling).
        out_channels (int): image channels. Defaults to 3.
        output_scale (int): image size, 4 * 2**k. Defaults to 32.
        init_cfg (dict, optional): MMEngine initialisation config.
    """

    def __init__(self, noise_size: int = 128, base_channels: int = 512, out_channels: int = 3,
                 output_scale: int = 32, init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        ups = (output_scale // 4).bit_length() - 1
        if 4 * 2**ups != output_scale:
            raise ValueError(f'output_scale must be 4 * 2**k, got {output_scale}')
        self.noise_size = noise_size
        self.base_channels = base_channels
        self.fc = nn.Linear(noise_size, 4 * 4 * base_channels)
        layers, ch = [], base_channels
        for _ in range(ups):
            layers += [nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1), nn.BatchNorm2d(ch // 2),
                       nn.ReLU(inplace=True)]
            ch //= 2
        layers += [nn.Conv2d(ch, out_channels, 3, 1, 1), nn.Tanh()]
        self.body = nn.Sequential(*layers)

    def forward(self, noise: Union[Tensor, Callable, None], num_batches: int = 0,
                return_noise: bool = False) -> Union[Tensor, dict]:
        """Images (N, C, H, W) in [-1, 1] from ``noise`` (N, noise_size), a
        sampler ``f((N, noise_size))``, or None (standard normal)."""
        if isinstance(noise, Tensor):
            noise_batch = noise.reshape(noise.shape[0], -1)
            if noise_batch.shape[1] != self.noise_size:
                raise ValueError(f'noise must have {self.noise_size} values per sample, got '
                                 f'{tuple(noise.shape)}')
        elif callable(noise):
            noise_batch = noise((num_batches, self.noise_size))
        else:
            noise_batch = torch.randn((num_batches, self.noise_size),
                                      device=self.fc.weight.device)
        x = self.fc(noise_batch).view(-1, self.base_channels, 4, 4)
        img = self.body(x)
        return dict(fake_img=img, noise_batch=noise_batch) if return_noise else img


@MODELS.register_module()
class SNGANCNNDiscriminator(BaseModule):
    """SNGAN's standard-CNN discriminator with spectral normalization.

    Args:
        in_channels (int): image channels. Defaults to 3.
        input_scale (int): image size (divisible by 8). Defaults to 32.
        base_channels (int): channels of the first block (64 in the paper).
        init_cfg (dict, optional): MMEngine initialisation config.
    """

    def __init__(self, in_channels: int = 3, input_scale: int = 32, base_channels: int = 64,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        if input_scale % 8:
            raise ValueError(f'input_scale must be divisible by 8, got {input_scale}')
        c = base_channels
        spec = [(in_channels, c, 3, 1), (c, c, 4, 2), (c, 2 * c, 3, 1), (2 * c, 2 * c, 4, 2),
                (2 * c, 4 * c, 3, 1), (4 * c, 4 * c, 4, 2), (4 * c, 8 * c, 3, 1)]
        layers = []
        for cin, cout, k, s in spec:
            layers += [spectral_norm(nn.Conv2d(cin, cout, k, s, padding=1)),
                       nn.LeakyReLU(0.1, inplace=True)]
        self.body = nn.Sequential(*layers)
        self.fc = spectral_norm(nn.Linear(8 * c * (input_scale // 8)**2, 1))

    def forward(self, x: Tensor) -> Tensor:
        """Scores (N, 1) for images (N, C, H, W)."""
        return self.fc(self.body(x).flatten(1))
