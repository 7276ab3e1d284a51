# CPU study variant: dcgan-small-study_1xb64-1500iters_fashion-mnist-32x32 plus AS-GAN with
# FastGAN's "free" attack (epsilon = step = 2/255, the perturbation persisted across D steps and
# updated from D's own backward; adversarial reals replace the clean ones, as in FastGAN).
_base_ = './dcgan-small-study_1xb64-1500iters_fashion-mnist-32x32.py'
custom_imports = dict(imports=['mmagic_asgan'], allow_failed_imports=False)
custom_hooks = _base_.get('custom_hooks', []) + [
    dict(type='RealSampleAttackHook', attack='free', epsilon=2 / 255, mode='replace')
]
