# SNGAN with the paper's "standard CNN" (Miyato et al. 2018, Table 3) at 32x32:
# mmagic_asgan's SNGANCNNGenerator / SNGANCNNDiscriminator (spectral norm on every
# D layer), trained with MMagic's GGAN model: hinge loss, unconditional (no labels).
model = dict(
    type='GGAN',
    noise_size=128,
    data_preprocessor=dict(type='DataPreprocessor'),
    generator=dict(type='SNGANCNNGenerator', output_scale=32, base_channels=512),
    discriminator=dict(type='SNGANCNNDiscriminator', input_scale=32, base_channels=64))
