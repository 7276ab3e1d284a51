"""Metrics registered in ``mmagic.registry.METRICS``."""
from .offline_fid import InceptionPool3, OfflineFID, find_inception_weights

__all__ = ['OfflineFID', 'InceptionPool3', 'find_inception_weights']
