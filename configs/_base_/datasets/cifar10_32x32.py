# CIFAR-10 train split (50,000 images) as class folders, 32x32:
#   data/cifar10/train/<class>/<index>.png   (tools/prepare_data.py writes it)
# BasicConditionalDataset yields gt_label, which SNGAN's D step requires even
# when unconditional; DCGAN ignores it. Images are read BGR (MMagic's convention).
dataset_type = 'BasicConditionalDataset'
data_root = 'data/cifar10/train'

train_pipeline = [
    dict(type='LoadImageFromFile', key='gt'),
    dict(type='Flip', keys=['gt'], flip_ratio=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', key='gt'),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, pipeline=train_pipeline))
# FID reference statistics are computed on the train split (the BigGAN/MMagic protocol)
val_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
