"""Adversarial symmetric GAN (AS-GAN) training for MMagic.

Importing this package (e.g. through a config's ``custom_imports``):

* applies the compatibility fixes of :mod:`mmagic_asgan.compat`;
* registers, in MMagic's own registries (so plain ``type='RealSampleAttackHook'``
  works under ``default_scope='mmagic'``): ``ASGANDiscriminatorLoss`` and SNGAN's
  standard-CNN networks in ``MODELS``, ``RealSampleAttackHook`` and
  ``RandomStateHook`` in ``HOOKS``, ``OfflineFID`` and ``ClassifierFD`` in ``METRICS``.
"""
from . import compat
from .version import __version__

compat.apply_all()

from .hooks import (  # noqa: E402
    DiscriminatorProbeHook,
    R1GradientPenaltyHook,
    RandomStateHook,
    RealSampleAttackHook,
)
from .losses import ASGANDiscriminatorLoss  # noqa: E402
from .metrics import ClassifierFD, OfflineFID  # noqa: E402
from .models import SNGANCNNDiscriminator, SNGANCNNGenerator  # noqa: E402

__all__ = [
    '__version__', 'ASGANDiscriminatorLoss', 'RealSampleAttackHook', 'R1GradientPenaltyHook',
    'RandomStateHook', 'DiscriminatorProbeHook',
    'OfflineFID', 'ClassifierFD', 'SNGANCNNGenerator', 'SNGANCNNDiscriminator'
]
