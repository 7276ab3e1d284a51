# AS-GAN on the CIFAR-10 study's DCGAN cell (results/cifar10_cpu): the AS setting its tuning
# picked (FGSM, `mix`, epsilon 1/255, score objective; docs/studies/cifar10_cpu.md). The
# study's held-out arm `AS-FGSM-mix-e1` is this config (tests/test_configs.py checks it).
_base_ = './dcgan-wide_1xb32-10kiters_cifar10-32x32.py'
custom_imports = dict(imports=['mmagic_asgan'], allow_failed_imports=False)
custom_hooks = _base_.get('custom_hooks', []) + [
    dict(type='RealSampleAttackHook', attack='fgsm', epsilon=1 / 255, mode='mix',
         objective='score')]
