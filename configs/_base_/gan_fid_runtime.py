# Shared by this project's GAN configs: Adam 2e-4 (0.5, 0.999) for G and D,
# exact resume (RandomStateHook), sample grids every 10k iterations, and FID with the real
# Inception weights,
# offline (mmagic_asgan.OfflineFID): 10k fakes against the whole train split every
# 10k iterations, best checkpoint kept. The model zoo reports FID-50k
# (tools/test.py with test_evaluator fake_nums=50000).
_base_ = './asgan_runtime.py'

train_cfg = dict(val_interval=10000)
optim_wrapper = dict(
    generator=dict(optimizer=dict(type='Adam', lr=0.0002, betas=(0.5, 0.999))),
    discriminator=dict(optimizer=dict(type='Adam', lr=0.0002, betas=(0.5, 0.999))))
custom_hooks = [
    dict(type='RandomStateHook'),
    dict(
        type='VisualizationHook',
        interval=10000,
        fixed_input=True,
        vis_kwargs_list=dict(type='GAN', name='fake_img'))
]
val_evaluator = dict(metrics=[
    dict(type='OfflineFID', prefix='FID-10k', fake_nums=10000, real_nums=-1,
         sample_model='orig')
])
test_evaluator = val_evaluator
default_hooks = dict(checkpoint=dict(save_best='FID-10k/fid', rule='less'))
