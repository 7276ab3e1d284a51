# Baseline: DCGAN on CIFAR-10 32x32, batch 64, 100k iterations, Adam 2e-4 (0.5, 0.999).
_base_ = [
    '../_base_/models/dcgan_32x32.py',
    '../_base_/datasets/cifar10_32x32.py',
    '../_base_/asgan_runtime.py',
]

train_dataloader = dict(batch_size=64)
train_cfg = dict(val_interval=10000, max_iters=100000)
optim_wrapper = dict(
    generator=dict(optimizer=dict(type='Adam', lr=0.0002, betas=(0.5, 0.999))),
    discriminator=dict(optimizer=dict(type='Adam', lr=0.0002, betas=(0.5, 0.999))))
custom_hooks = [
    dict(
        type='VisualizationHook',
        interval=10000,
        fixed_input=True,
        vis_kwargs_list=dict(type='GAN', name='fake_img'))
]

# FID with the real Inception weights, offline (mmagic_asgan.OfflineFID): 10k fakes
# against the whole train split during training; the model zoo reports FID-50k
# (tools/test.py with test_evaluator fake_nums=50000).
val_evaluator = dict(metrics=[
    dict(type='OfflineFID', prefix='FID-10k', fake_nums=10000, real_nums=-1,
         sample_model='orig')
])
test_evaluator = val_evaluator
default_hooks = dict(checkpoint=dict(save_best='FID-10k/fid', rule='less'))
