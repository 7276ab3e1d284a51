"""DCGAN's discriminator with spectral normalisation instead of BatchNorm.

The positive control of the "D without normalisation" stress regime: MMagic's
``DCGANDiscriminator`` exposes its norm layers (``default_norm_cfg=None``
removes them) but not spectral normalisation, and its conv layers are built with
a fixed ``conv_cfg``. This subclass builds the same network and puts
``torch.nn.utils.spectral_norm`` on every conv layer (Miyato et al. 2018).
"""
from typing import Optional

from torch import nn
from torch.nn.utils import spectral_norm

from mmagic.models.editors.dcgan.dcgan_discriminator import DCGANDiscriminator
from mmagic.registry import MODELS


@MODELS.register_module()
class SNDCGANDiscriminator(DCGANDiscriminator):
    """``DCGANDiscriminator`` with spectral norm on every conv layer.

    Args:
        *args, **kwargs: as :class:`DCGANDiscriminator`.
        default_norm_cfg (dict, optional): norm layers besides spectral norm.
            Defaults to None (no BatchNorm).
        power_iterations (int): spectral norm's power iterations per forward.
    """

    def __init__(self, *args, default_norm_cfg: Optional[dict] = None,
                 power_iterations: int = 1, **kwargs) -> None:
        super().__init__(*args, default_norm_cfg=default_norm_cfg, **kwargs)
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                spectral_norm(module, n_power_iterations=power_iterations)

    def init_weights(self) -> None:
        """DCGAN's initialisation, N(0, 0.02), applied to the un-normalised
        weights (``weight_orig``), biases 0."""
        if self.init_cfg is not None and self.init_cfg.get('type') == 'Pretrained':
            super().init_weights()
            return
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.normal_(module.weight_orig, 0.0, 0.02)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
