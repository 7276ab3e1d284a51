# The quick start's AS-GAN run: its baseline plus the two AS-GAN lines (FGSM, epsilon 2/255,
# mix objective with adv_weight 0.5).
_base_ = './dcgan-small-fd_1xb64-3kiters_fashion-mnist-32x32.py'
custom_imports = dict(imports=['mmagic_asgan'], allow_failed_imports=False)
custom_hooks = _base_.get('custom_hooks', []) + [
    dict(type='RealSampleAttackHook', attack='fgsm', epsilon=2 / 255, mode='mix')
]
