# Stress study (results/stress_fmnist), unstressed regime: the small Fashion-MNIST DCGAN
# (G 128-64-32, D 32-64-128 with BatchNorm, Adam 2e-4 (0.5, 0.999)), batch 32, 2,000
# iterations: sized from the pilot so that the study's ~115 runs fit a 2-core CPU (one run
# takes about 6.5 minutes of one core). Scored over training with FD-SmallCNN (2,000 fakes vs
# a fixed random 10,000 of the train split) and D probed (DiscriminatorProbeHook: 256
# held-out test reals and 256 fakes) every 500 iterations; the last checkpoint with
# Inception FID-2k (tools/test.py: 2,000 fakes vs a fixed random 2,000 train images). Data
# loading stays in the training process (num_workers=0): on 2 cores the workers cost more
# than they save. The stress regimes and the study's variants derive from this file.
_base_ = '../dcgan-small_1xb64-3kiters_fashion-mnist-32x32.py'

train_cfg = dict(max_iters=2000, val_interval=500)
train_dataloader = dict(batch_size=32, num_workers=0, persistent_workers=False)
val_dataloader = dict(num_workers=0, persistent_workers=False)
test_dataloader = dict(num_workers=0, persistent_workers=False)
default_hooks = dict(
    logger=dict(interval=100),
    checkpoint=dict(interval=100000, save_best=None, save_last=True))
custom_hooks = [
    dict(type='RandomStateHook'),
    dict(
        type='VisualizationHook',
        interval=500,
        fixed_input=True,
        vis_kwargs_list=dict(type='GAN', name='fake_img')),
    dict(
        type='DiscriminatorProbeHook',
        interval=500,
        num_images=256,
        epsilons=(2 / 255, 4 / 255),
        dataset=dict(
            type='BasicConditionalDataset',
            data_root='data/fashion-mnist/test',
            pipeline=[
                dict(type='LoadImageFromFile', key='gt', color_type='grayscale'),
                dict(type='Resize', keys='gt', scale=(32, 32)),
                dict(type='PackInputs'),
            ])),
]
val_evaluator = dict(metrics=[
    dict(type='ClassifierFD', prefix='FD-SmallCNN', fake_nums=2000, real_nums=10000,
         classifier='work_dirs/fd_classifier/fashion-mnist-smallcnn.pth', sample_model='orig')
])
test_evaluator = dict(metrics=[
    dict(type='OfflineFID', prefix='FID-2k', fake_nums=2000, real_nums=2000,
         sample_model='orig')
])
