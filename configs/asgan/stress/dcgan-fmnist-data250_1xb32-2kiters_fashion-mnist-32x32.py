# Stress study, regime "very limited data": the unstressed small Fashion-MNIST DCGAN trained
# on a fixed class-balanced subset of 250 training images (256 epochs in 2,000 iterations of
# 32). Chosen after the pilot: with 1,000 images (64 epochs) the baseline did not struggle
# within 2,000 iterations. Prepare the subset with:
#   python tools/prepare_data.py subset data/fashion-mnist/train --num 250 --seed 0 \
#       --out data/fashion-mnist/train-250
# FD-SmallCNN and FID-2k are still measured against the full train split.
_base_ = './dcgan-fmnist_1xb32-2kiters_fashion-mnist-32x32.py'
train_dataloader = dict(dataset=dict(data_root='data/fashion-mnist/train-250'))
