"""Hooks registered in ``mmagic.registry.HOOKS``."""
from .discriminator_probe_hook import DiscriminatorProbeHook
from .discriminator_step import DiscriminatorStepHook
from .r1_gradient_penalty_hook import R1GradientPenaltyHook
from .random_state_hook import RandomStateHook
from .real_sample_attack_hook import RealSampleAttackHook

__all__ = [
    'DiscriminatorStepHook', 'RealSampleAttackHook', 'R1GradientPenaltyHook', 'RandomStateHook',
    'DiscriminatorProbeHook'
]
