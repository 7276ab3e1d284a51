"""Networks MMagic lacks, registered in ``mmagic.registry.MODELS``."""
from .sn_dcgan_discriminator import SNDCGANDiscriminator
from .sngan_cnn import SNGANCNNDiscriminator, SNGANCNNGenerator

__all__ = ['SNGANCNNGenerator', 'SNGANCNNDiscriminator', 'SNDCGANDiscriminator']
