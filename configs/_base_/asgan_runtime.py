# Runtime of this project's GAN configs: MMagic's GAN runtime, a readable log
# every 100 iterations, checkpoints every 5,000 kept to the last 5 plus the
# latest. gan_fid_runtime.py adds exact resume (RandomStateHook restores the random
# generators) to the custom hooks.
_base_ = 'mmagic::_base_/gen_default_runtime.py'

custom_imports = dict(imports=['mmagic_asgan'], allow_failed_imports=False)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=100, log_metric_by_epoch=False),
    checkpoint=dict(
        type='CheckpointHook',
        interval=5000,
        by_epoch=False,
        max_keep_ckpts=5,
        save_last=True,
        save_optimizer=True))
vis_backends = [dict(type='VisBackend'), dict(type='TensorboardVisBackend')]
visualizer = dict(type='Visualizer', vis_backends=vis_backends)
