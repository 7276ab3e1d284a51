"""Metrics registered in ``mmagic.registry.METRICS``."""
from .classifier_fd import ClassifierFD, SmallCNN, train_classifier
from .offline_fid import InceptionPool3, OfflineFID, find_inception_weights

__all__ = [
    'OfflineFID', 'InceptionPool3', 'find_inception_weights', 'ClassifierFD', 'SmallCNN',
    'train_classifier'
]
