# Baseline: unconditional SNGAN with MMagic's ResNet networks (hinge, 5 D steps per
# G step) on CIFAR-10 32x32, batch 64, 100k G steps (= 500k D iterations), Adam 2e-4
# (0.5, 0.999) as MMagic's SNGAN-Proj.
_base_ = [
    '../_base_/models/sngan_uncond_32x32.py',
    '../_base_/datasets/cifar10_32x32.py',
    '../_base_/gan_fid_runtime.py',
]

train_dataloader = dict(batch_size=64)
train_cfg = dict(max_iters=500000, val_interval=50000)
custom_hooks = [
    dict(type='RandomStateHook'),
    dict(
        type='VisualizationHook',
        interval=50000,
        fixed_input=True,
        vis_kwargs_list=dict(type='GAN', name='fake_img'))
]
