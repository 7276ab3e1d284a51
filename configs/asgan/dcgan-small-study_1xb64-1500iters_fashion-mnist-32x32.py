# The CPU study's baseline (README "Benchmarks", results/fmnist_cpu): the small Fashion-MNIST
# DCGAN (dcgan-small_1xb64-3kiters_fashion-mnist-32x32) for 1,500 iterations (the study's 19 runs
# fit a 2-core CPU in about 100 minutes), scored over training with the fast classifier Frechet
# distance FD-SmallCNN (2,000 fakes vs 10,000 train images, every 250 iterations; train the
# classifier first: README "Benchmarks"), and at the end with Inception
# FID-2k (2,000 fakes vs 2,000 train images; tools/test.py, run by tools/dev/benchmark.py
# --test-metric FID-2k/fid). FD-SmallCNN is not FID; compare only runs scored the same way.
_base_ = './dcgan-small_1xb64-3kiters_fashion-mnist-32x32.py'

train_cfg = dict(max_iters=1500, val_interval=250)
default_hooks = dict(checkpoint=dict(interval=1500, save_best=None))
val_evaluator = dict(metrics=[
    dict(type='ClassifierFD', prefix='FD-SmallCNN', fake_nums=2000, real_nums=10000,
         classifier='work_dirs/fd_classifier/fashion-mnist-smallcnn.pth', sample_model='orig')
])
test_evaluator = dict(metrics=[
    dict(type='OfflineFID', prefix='FID-2k', fake_nums=2000, real_nums=2000,
         sample_model='orig')
])
