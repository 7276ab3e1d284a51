# Stress study, regime "limited data": the unstressed small Fashion-MNIST DCGAN trained on a
# fixed class-balanced subset of 1,000 training images (64 epochs in 2,000 iterations of 32,
# so D can memorise it). Prepare it with:
#   python tools/prepare_data.py subset data/fashion-mnist/train --num 1000 --seed 0 \
#       --out data/fashion-mnist/train-1k
# FD-SmallCNN and FID-2k are still measured against the full train split.
_base_ = './dcgan-fmnist_1xb32-2kiters_fashion-mnist-32x32.py'
train_dataloader = dict(dataset=dict(data_root='data/fashion-mnist/train-1k'))
