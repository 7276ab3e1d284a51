# Stress study, regime "D without normalisation, aggressive optimiser": the two stresses of
# the nonorm and aggressive regimes together (no BatchNorm in D; Adam lr 1e-3, beta1 0.9 for
# G and D). Added after the first pilot, as a harsher candidate in which D is the weak link.
_base_ = './dcgan-fmnist-nonorm-d_1xb32-2kiters_fashion-mnist-32x32.py'
optim_wrapper = dict(
    generator=dict(optimizer=dict(lr=0.001, betas=(0.9, 0.999))),
    discriminator=dict(optimizer=dict(lr=0.001, betas=(0.9, 0.999))))
