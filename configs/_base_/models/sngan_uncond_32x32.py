# Unconditional SNGAN at 32x32 (Miyato et al. 2018, ResNet G and SN ResNet D as
# MMagic ships them), hinge loss, 5 D steps per G step. MMagic has no
# unconditional SNGAN: SAGAN/SNGAN's D step always reads gt_label, so it needs
# num_classes=0 (no projection), use_cbn=False (plain BN in G) and a dataset
# that still yields gt_label (the class-folder datasets of this project do).
model = dict(
    type='SNGAN',
    num_classes=0,
    data_preprocessor=dict(type='DataPreprocessor'),
    generator=dict(
        type='SNGANGenerator',
        output_scale=32,
        base_channels=256,
        num_classes=0,
        use_cbn=False),
    discriminator=dict(
        type='ProjDiscriminator',
        input_scale=32,
        base_channels=128,
        num_classes=0),
    discriminator_steps=5)
