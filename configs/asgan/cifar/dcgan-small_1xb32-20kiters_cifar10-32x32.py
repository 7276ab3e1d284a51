# CIFAR-10 study (results/cifar10_cpu), DCGAN cell: the stress study's small DCGAN with 3
# channels (G 128-64-32, D 32-64-128 with BatchNorm, BCE loss, Adam 2e-4 (0.5, 0.999)),
# batch 32, on the full CIFAR-10 train split (lossless copy, tools/prepare_data.py npz),
# horizontal flips. Sized for a 2-core CPU: one run is about half an hour of one core.
# Scored with Inception FID-2k (2,000 fakes vs a fixed random 2,000 train images) at the
# last evaluations of the run (val_begin/val_interval below): the study's per-run score is
# the mean of the last three. Data loading stays in the training process (num_workers=0):
# on 2 cores workers cost more than they save.
_base_ = [
    '../../_base_/models/dcgan_32x32.py',
    '../../_base_/datasets/cifar10_32x32.py',
    '../../_base_/asgan_runtime.py',
]
model = dict(
    generator=dict(base_channels=128, out_channels=3),
    discriminator=dict(base_channels=32, in_channels=3))
optim_wrapper = dict(
    generator=dict(optimizer=dict(type='Adam', lr=0.0002, betas=(0.5, 0.999))),
    discriminator=dict(optimizer=dict(type='Adam', lr=0.0002, betas=(0.5, 0.999))))
train_dataloader = dict(batch_size=32, num_workers=0, persistent_workers=False)
# FID-2k at 14k, 16k, 18k and 20k iterations
train_cfg = dict(max_iters=20000, val_begin=14000, val_interval=2000)
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      sampler=dict(type='DefaultSampler', shuffle=True, seed=0))
test_dataloader = val_dataloader
default_hooks = dict(
    logger=dict(interval=200),
    checkpoint=dict(interval=2000, max_keep_ckpts=1, save_best=None, save_last=True))
custom_hooks = [
    dict(type='RandomStateHook'),
    dict(
        type='VisualizationHook',
        interval=2000,
        fixed_input=True,
        vis_kwargs_list=dict(type='GAN', name='fake_img')),
]
val_evaluator = dict(metrics=[
    dict(type='OfflineFID', prefix='FID-2k', fake_nums=2000, real_nums=2000,
         sample_model='orig')
])
test_evaluator = val_evaluator
