# R1 control for sngan-cnn_hinge-1xb64-100kiters_cifar10-32x32: the gradient penalty
# gamma / 2 * ||grad_x D(x)||^2 on the reals, switched on like AS-GAN. gamma from the CPU
# stress study (configs/asgan/studies/).
_base_ = './sngan-cnn_hinge-1xb64-100kiters_cifar10-32x32.py'
custom_imports = dict(imports=['mmagic_asgan'], allow_failed_imports=False)
custom_hooks = _base_.get('custom_hooks', []) + [dict(type='R1GradientPenaltyHook', gamma=1.0)]
