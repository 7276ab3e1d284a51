# Baseline: SNGAN with the paper's standard CNN (spectral norm D, hinge loss,
# unconditional) on CIFAR-10 32x32, batch 64, 100k iterations (one D step per G
# step), Adam 2e-4 (0.5, 0.999).
_base_ = [
    '../_base_/models/sngan_cnn_32x32.py',
    '../_base_/datasets/cifar10_32x32.py',
    '../_base_/gan_fid_runtime.py',
]

train_dataloader = dict(batch_size=64)
train_cfg = dict(max_iters=100000)

