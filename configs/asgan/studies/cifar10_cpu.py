# The CIFAR-10 study (issue 17): AS-GAN against a tuned R1 on the paper's data, at CPU scale.
#   python tools/study.py configs/asgan/studies/cifar10_cpu.py --phase pilot
# Data: the full CIFAR-10 train split, lossless copy (../shared/data/cifar10/cifar10-train.npz
# -> tools/prepare_data.py npz ... --out data/cifar10/train). Metric: Inception FID-2k (2,000
# fakes vs a fixed random 2,000 train images), logged at the run's last evaluations.
#
# Phases:
# * pilot (seed 0): the schedule at which the baseline's last checkpoint reaches FID-2k <= 90
#   for about 30 minutes of one core: the small DCGAN (G 128 / D 32 channels) for 20,000
#   iterations (0.065 s/iter here), and a DCGAN twice as wide (G 256 / D 64, 0.17 s/iter) for
#   10,000; FID-2k every fifth of the run to see the curve.
name = 'cifar10_cpu'
out = 'results/cifar10_cpu'
metric = 'FID-2k/fid'
jobs = 2  # two one-thread runs at once (as the stress study measured)
threads = 1

_dcgan = 'configs/asgan/cifar/dcgan-small_1xb32-20kiters_cifar10-32x32.py'
regimes = dict(
    dcgan_small_20k=dict(config=_dcgan, cfg_options=[
        'train_cfg.val_begin=4000', 'train_cfg.val_interval=4000']),
    dcgan_wide_10k=dict(config=_dcgan, cfg_options=[
        'model.generator.base_channels=256', 'model.discriminator.base_channels=64',
        'train_cfg.max_iters=10000', 'train_cfg.val_begin=2000', 'train_cfg.val_interval=2000']),
)
variants = dict(baseline=dict())
phases = dict(
    pilot=dict(seeds=[0], runs=dict(dcgan_small_20k=['baseline'], dcgan_wide_10k=['baseline'])),
)
