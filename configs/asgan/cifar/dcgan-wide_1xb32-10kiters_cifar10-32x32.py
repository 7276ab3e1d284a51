# CIFAR-10 study (results/cifar10_cpu), DCGAN cell, the schedule its pilot picked: the small
# DCGAN twice as wide (G 256-128-64, D 64-128-256 with BatchNorm), batch 32, 10,000
# iterations (0.17 s/iter on one core of the study machine: ~28 minutes). Inception FID-2k at
# 8,000, 9,000 and 10,000 iterations; the study's per-run score is their mean.
_base_ = './dcgan-small_1xb32-20kiters_cifar10-32x32.py'
model = dict(generator=dict(base_channels=256), discriminator=dict(base_channels=64))
train_cfg = dict(max_iters=10000, val_begin=8000, val_interval=1000)
