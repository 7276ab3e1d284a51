# Stress study, regime "aggressive optimiser": the unstressed small Fashion-MNIST DCGAN with
# Adam lr 1e-3 and beta1 0.9 for G and D (DCGAN's recipe is 2e-4 and 0.5).
_base_ = './dcgan-fmnist_1xb32-2kiters_fashion-mnist-32x32.py'
optim_wrapper = dict(
    generator=dict(optimizer=dict(lr=0.001, betas=(0.9, 0.999))),
    discriminator=dict(optimizer=dict(lr=0.001, betas=(0.9, 0.999))))
