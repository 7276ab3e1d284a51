# DCGAN (Radford et al. 2016) at 32x32: G 512-256-128 channels from a 4x4 map,
# D 128-256-512 with BatchNorm, BCE (non-saturating) loss.
model = dict(
    type='DCGAN',
    noise_size=100,
    data_preprocessor=dict(type='DataPreprocessor'),
    generator=dict(type='DCGANGenerator', output_scale=32, base_channels=512),
    discriminator=dict(
        type='DCGANDiscriminator',
        input_scale=32,
        output_scale=4,
        out_channels=1,
        base_channels=128))
