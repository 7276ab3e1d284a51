"""Analysis of trained discriminators (``tools/analysis/d_*.py``).

Loads a GAN from a config and a checkpoint, draws held-out reals and fixed
fakes as D sees them, and measures D with :mod:`mmagic_asgan.probes`
(threshold-free robustness, input gradients and their spectra).
"""
from typing import Dict, Optional, Sequence

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from torch import Tensor, nn

from mmagic.registry import DATASETS, MODELS
from mmagic_asgan.hooks.discriminator_step import resolve_input_range
from mmagic_asgan.module_state import frozen
from mmagic_asgan.probes import high_frequency_share, input_gradients, probe

__all__ = ['add_checkpoint_args', 'checkpoint_labels', 'load_gan', 'real_batch', 'fake_batch',
           'probe_checkpoint', 'input_gradients', 'high_frequency_share']


def load_gan(config: str, checkpoint: Optional[str] = None, device: str = 'cpu') -> nn.Module:
    """Builds the model of an MMagic config and loads a checkpoint's weights."""
    from mmengine.registry import init_default_scope
    from mmengine.runner import load_checkpoint
    cfg = Config.fromfile(config)
    init_default_scope(cfg.get('default_scope', 'mmagic'))
    model = MODELS.build(cfg.model)
    if checkpoint:
        load_checkpoint(model, checkpoint, map_location='cpu')
    return model.to(device)


def real_batch(config: str, model: nn.Module, num: int, seed: int = 0,
               data_root: Optional[str] = None) -> Tensor:
    """``num`` real images as D sees them (the config's train pipeline and the
    model's data preprocessor), a fixed random subset of the train dataset or,
    with ``data_root``, of another folder of the same kind (e.g. the test split)."""
    cfg = Config.fromfile(config)
    dataset_cfg = cfg.train_dataloader.dataset
    if data_root:
        dataset_cfg.data_root = data_root
    dataset = DATASETS.build(dataset_cfg)
    if len(dataset) == 0:
        raise ValueError(f'the dataset of {config} (data_root {dataset_cfg.data_root}) is empty')
    idx = np.random.default_rng(seed).choice(len(dataset), size=min(num, len(dataset)),
                                             replace=False)
    data = model.data_preprocessor(pseudo_collate([dataset[int(i)] for i in idx]), True)
    return data['data_samples'].gt_img


@torch.no_grad()
def fake_batch(model: nn.Module, num: int, seed: int = 0) -> Tensor:
    """``num`` generated images (D's input scale) from fixed noise; G runs in
    the mode it is in, its buffers restored, the global generators untouched."""
    with torch.random.fork_rng(devices=[]), frozen(model.generator) as g:
        torch.manual_seed(seed)
        return g(model.noise_fn(num_batches=num), return_noise=False)


def probe_checkpoint(model: nn.Module, reals: Tensor, fakes: Tensor, epsilons: Sequence[float],
                     batch_size: int = 64) -> Dict[str, float]:
    """:func:`~mmagic_asgan.probes.probe` of the model's D (in train mode, as it
    trains; frozen, buffers restored)."""
    model.train()
    with frozen(model.discriminator) as d:
        return probe(d, reals, fakes, epsilons, resolve_input_range(model, None), batch_size)


def add_checkpoint_args(parser) -> None:
    """The arguments every checkpoint-comparing analysis tool takes."""
    from pathlib import Path
    parser.add_argument('config', help='the config the checkpoints were trained with')
    parser.add_argument('checkpoints', nargs='+')
    parser.add_argument('--labels', nargs='+', help='one per checkpoint (default: file names)')
    parser.add_argument('--seed', type=int, default=0, help='picks the images and the noise')
    parser.add_argument('--out-dir', type=Path, required=True)


def checkpoint_labels(args) -> list:
    """``args.labels`` checked against the checkpoints, or the file names."""
    from pathlib import Path
    labels = args.labels or [Path(c).stem for c in args.checkpoints]
    if len(labels) != len(args.checkpoints):
        raise SystemExit('--labels: one label per checkpoint')
    args.out_dir.mkdir(parents=True, exist_ok=True)
    return labels
