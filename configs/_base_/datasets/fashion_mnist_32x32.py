# Fashion-MNIST train split (60,000 28x28 grey images) as class folders:
#   data/fashion-mnist/train/<class>/<index>.png   (tools/prepare_data.py writes it)
# Resized to 32x32, one channel.
dataset_type = 'BasicConditionalDataset'
data_root = 'data/fashion-mnist/train'

train_pipeline = [
    dict(type='LoadImageFromFile', key='gt', color_type='grayscale'),
    dict(type='Resize', keys='gt', scale=(32, 32)),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, pipeline=train_pipeline))
test_dataloader = val_dataloader
