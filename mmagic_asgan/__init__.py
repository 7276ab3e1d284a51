"""Adversarial symmetric GAN (AS-GAN) training for MMagic.

Importing this package (e.g. through a config's ``custom_imports``):

* applies the compatibility fixes of :mod:`mmagic_asgan.compat`;
* registers ``ASGANDiscriminatorLoss`` in ``mmagic.registry.MODELS`` and
  ``RealSampleAttackHook`` / ``RandomStateHook`` in ``mmagic.registry.HOOKS``
  and ``OfflineFID`` in ``METRICS`` (MMagic's own registries: plain ``type='RealSampleAttackHook'`` works under
  ``default_scope='mmagic'``).
"""
from . import compat
from .version import __version__

compat.apply_all()

from .hooks import RandomStateHook, RealSampleAttackHook  # noqa: E402
from .losses import ASGANDiscriminatorLoss  # noqa: E402
from .metrics import OfflineFID  # noqa: E402

__all__ = [
    '__version__', 'ASGANDiscriminatorLoss', 'RealSampleAttackHook', 'RandomStateHook', 'OfflineFID'
]
