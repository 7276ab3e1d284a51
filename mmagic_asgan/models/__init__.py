"""Networks MMagic lacks, registered in ``mmagic.registry.MODELS``."""
from .sngan_cnn import SNGANCNNDiscriminator, SNGANCNNGenerator

__all__ = ['SNGANCNNGenerator', 'SNGANCNNDiscriminator']
