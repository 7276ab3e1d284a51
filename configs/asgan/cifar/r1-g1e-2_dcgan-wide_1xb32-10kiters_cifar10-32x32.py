# R1 on the CIFAR-10 study's DCGAN cell (results/cifar10_cpu): the gamma its tuning picked
# (0.01; docs/studies/cifar10_cpu.md). The study's held-out arm `R1-g0.01` is this config
# (tests/test_configs.py checks it).
_base_ = './dcgan-wide_1xb32-10kiters_cifar10-32x32.py'
custom_imports = dict(imports=['mmagic_asgan'], allow_failed_imports=False)
custom_hooks = _base_.get('custom_hooks', []) + [dict(type='R1GradientPenaltyHook', gamma=0.01)]
