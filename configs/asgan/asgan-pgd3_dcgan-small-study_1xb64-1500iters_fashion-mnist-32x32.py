# CPU study variant: dcgan-small-study_1xb64-1500iters_fashion-mnist-32x32 plus AS-GAN
# (PGD with 3 steps (step 2.5 * epsilon / 3), epsilon 2/255, mix objective with adv_weight 0.5).
_base_ = './dcgan-small-study_1xb64-1500iters_fashion-mnist-32x32.py'
custom_imports = dict(imports=['mmagic_asgan'], allow_failed_imports=False)
custom_hooks = _base_.get('custom_hooks', []) + [
    dict(type='RealSampleAttackHook', attack='pgd', steps=3, epsilon=2 / 255, mode='mix')
]
