# CIFAR-10 study (results/cifar10_cpu), SNGAN cell: SNGAN's standard CNN (Miyato et al. 2018:
# spectral norm on every D layer, hinge loss, unconditional, one D step per G step) made small
# for a 2-core CPU: G from a 4x4x256 map (256-128-64-32 channels), D 16-16-32-32-64-64-128;
# Adam 2e-4 (0.5, 0.999), batch 32, on the full CIFAR-10 train split (lossless copy), flips.
# Everything else (data, Inception FID-2k at the last evaluations, hooks) is the DCGAN cell's.
# At these widths a step costs what the DCGAN cell's does (0.31 s/iter each, measured side by
# side with two other trainings running); D 32 costs 1.2x more (0.37 s/iter). The schedule
# (iterations, widths) is the pilot's to pick: configs/asgan/studies/cifar10_cpu.py.
_base_ = './dcgan-small_1xb32-20kiters_cifar10-32x32.py'
model = dict(
    _delete_=True,
    type='GGAN',
    noise_size=128,
    data_preprocessor=dict(type='DataPreprocessor'),
    generator=dict(type='SNGANCNNGenerator', output_scale=32, base_channels=256),
    discriminator=dict(type='SNGANCNNDiscriminator', input_scale=32, base_channels=16))
train_cfg = dict(max_iters=10000, val_begin=8000, val_interval=1000)
