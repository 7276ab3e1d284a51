"""Config handling shared by ``tools/train.py`` and ``tools/test.py``."""
import os
import os.path as osp
from argparse import ArgumentParser, Namespace
from typing import List, Optional

from mmengine.config import Config, DictAction

LAUNCHERS = ('none', 'pytorch', 'slurm', 'mpi')


def add_common_args(parser: ArgumentParser) -> None:
    """Arguments every OpenMMLab entry point has."""
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, key=value pairs, e.g. '
        'train_cfg.max_iters=1000 train_dataloader.batch_size=32')
    parser.add_argument('--launcher', choices=LAUNCHERS, default='none', help='job launcher')
    # torchrun / torch.distributed.launch pass --local-rank (or --local_rank)
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def load_config(args: Namespace) -> Config:
    """Loads ``args.config`` (its ``custom_imports`` run here), applies the
    launcher, ``--cfg-options`` and the work dir (CLI > config > ./work_dirs/<name>)."""
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    return cfg


def enable_amp(cfg: Config, dtype: Optional[str] = None) -> List[str]:
    """Switches every optimizer wrapper of ``cfg`` to ``AmpOptimWrapper``.

    MMagic's ``tools/train.py --amp`` only converts per-model wrappers that
    already name a ``type``; GAN configs (``MultiOptimWrapperConstructor`` with
    ``generator=dict(optimizer=...)``, ``discriminator=dict(optimizer=...)``) name
    none, so upstream ``--amp`` silently does nothing for them. Here a wrapper
    without ``type`` counts as ``OptimWrapper``.

    Args:
        cfg (Config): the config, changed in place.
        dtype (str, optional): autocast dtype (``'float16'``, ``'bfloat16'``);
            None keeps PyTorch's default (float16 on CUDA).

    Returns:
        list[str]: the optimizer wrappers switched (``'optim_wrapper'`` or
        ``'optim_wrapper.<key>'``).

    Raises:
        ValueError: a wrapper has another type than OptimWrapper/AmpOptimWrapper.
    """
    def switch(wrapper: dict, name: str) -> bool:
        kind = wrapper.get('type', 'OptimWrapper')
        if kind == 'AmpOptimWrapper':
            return False
        if kind != 'OptimWrapper':
            raise ValueError(f'--amp: {name}.type is {kind!r}; only OptimWrapper can be '
                             'switched to AmpOptimWrapper')
        wrapper['type'] = 'AmpOptimWrapper'
        wrapper.setdefault('loss_scale', 'dynamic')
        if dtype is not None:
            wrapper['dtype'] = dtype
        return True

    optim = cfg.optim_wrapper
    if optim.get('constructor', 'DefaultOptimWrapperConstructor') == \
            'DefaultOptimWrapperConstructor':
        return ['optim_wrapper'] if switch(optim, 'optim_wrapper') else []
    switched = []
    for key, value in optim.items():
        if isinstance(value, dict) and 'optimizer' in value:
            if switch(value, f'optim_wrapper.{key}'):
                switched.append(f'optim_wrapper.{key}')
    return switched
