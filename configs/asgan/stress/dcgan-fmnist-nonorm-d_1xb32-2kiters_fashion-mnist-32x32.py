# Stress study, regime "D without normalisation": the unstressed small Fashion-MNIST DCGAN
# with BatchNorm removed from D (FastGAN's setting: nothing but the loss regularises D).
_base_ = './dcgan-fmnist_1xb32-2kiters_fashion-mnist-32x32.py'
model = dict(discriminator=dict(default_norm_cfg=None))
