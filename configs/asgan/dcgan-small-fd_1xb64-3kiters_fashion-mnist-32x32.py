# The quick start's baseline (tools/quickstart.sh): the small Fashion-MNIST DCGAN scored every
# 500 iterations with FD-SmallCNN (a fast Frechet distance, not FID: docs/metrics.md; its
# classifier is trained once by the quick start), one loader process (two runs share 2 cores).
# Inception FID-1k stays the test metric: tools/test.py, or `bash tools/quickstart.sh --fid`.
_base_ = './dcgan-small_1xb64-3kiters_fashion-mnist-32x32.py'
train_dataloader = dict(num_workers=0, persistent_workers=False)
train_cfg = dict(val_interval=500)
default_hooks = dict(checkpoint=dict(save_best=None))
val_dataloader = dict(num_workers=0, persistent_workers=False)
val_evaluator = dict(metrics=[
    dict(type='ClassifierFD', prefix='FD-SmallCNN', fake_nums=2000, real_nums=10000,
         classifier='work_dirs/fd_classifier/fashion-mnist-smallcnn.pth', sample_model='orig')
])
