# Baseline: sngan-uncond_hinge-ndisc5-1xb64-500kiters_cifar10-32x32 on CIFAR-100 32x32
# (class folders
# data/cifar100/train/<class>/*.png, written by tools/prepare_data.py cifar100).
_base_ = './sngan-uncond_hinge-ndisc5-1xb64-500kiters_cifar10-32x32.py'

data_root = 'data/cifar100/train'
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
