# AS-SNGAN: sngan-uncond_hinge-ndisc5-1xb64-500kiters_cifar100-32x32 plus adversarial
# training of D on real samples
# (FGSM, epsilon 2/255, mix objective with adv_weight 0.5).
_base_ = './sngan-uncond_hinge-ndisc5-1xb64-500kiters_cifar100-32x32.py'
custom_imports = dict(imports=['mmagic_asgan'], allow_failed_imports=False)
custom_hooks = _base_.get('custom_hooks', []) + [
    dict(type='RealSampleAttackHook', attack='fgsm', epsilon=2 / 255, mode='mix')
]
