# AS variant of MMagic's dcgan/dcgan_1xb128-5epoches_lsun-bedroom-64x64.py: the stock config
# plus the two AS-GAN lines
# (FGSM, epsilon 2/255, mix objective with adv_weight 0.5).
_base_ = 'mmagic::dcgan/dcgan_1xb128-5epoches_lsun-bedroom-64x64.py'
custom_imports = dict(imports=['mmagic_asgan'], allow_failed_imports=False)
# RandomStateHook (not part of the two lines) makes --resume exact.
custom_hooks = _base_.get('custom_hooks', []) + [
    dict(type='RandomStateHook'),
    dict(type='RealSampleAttackHook', attack='fgsm', epsilon=2 / 255, mode='mix')
]
