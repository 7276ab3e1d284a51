"""Hooks registered in ``mmagic.registry.HOOKS``."""
from .random_state_hook import RandomStateHook
from .real_sample_attack_hook import RealSampleAttackHook

__all__ = ['RealSampleAttackHook', 'RandomStateHook']
