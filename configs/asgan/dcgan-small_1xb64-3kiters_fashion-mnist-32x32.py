# Baseline: a small DCGAN for Fashion-MNIST 32x32 (one channel) that trains on a CPU:
# G 128-64-32 channels, D 32-64-128, batch 64, 3,000 iterations, Adam 2e-4 (0.5, 0.999).
_base_ = [
    '../_base_/models/dcgan_32x32.py',
    '../_base_/datasets/fashion_mnist_32x32.py',
    '../_base_/gan_fid_runtime.py',
]
model = dict(
    data_preprocessor=dict(mean=[127.5], std=[127.5]),
    generator=dict(base_channels=128, out_channels=1),
    discriminator=dict(base_channels=32, in_channels=1))
train_dataloader = dict(batch_size=64, num_workers=1)
train_cfg = dict(max_iters=3000, val_interval=3000)
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(interval=1000, save_best='FID-1k/fid', rule='less'))
custom_hooks = [
    dict(type='RandomStateHook'),
    dict(
        type='VisualizationHook',
        interval=500,
        fixed_input=True,
        vis_kwargs_list=dict(type='GAN', name='fake_img'))
]

# FID with the real Inception weights, offline, at the end of training: 1,000 fakes
# against 1,000 train images (a fixed random subset, seed 0; statistics cached).
# A CPU-sized protocol: compare only runs scored the same way.
val_dataloader = dict(sampler=dict(type='DefaultSampler', shuffle=True, seed=0))
test_dataloader = val_dataloader
val_evaluator = dict(metrics=[
    dict(type='OfflineFID', prefix='FID-1k', fake_nums=1000, real_nums=1000,
         sample_model='orig')
])
test_evaluator = val_evaluator
