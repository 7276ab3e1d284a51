"""Analysis of trained discriminators: robustness under attack, input-gradient spectra.

Used by ``tools/analysis/d_robustness.py`` and ``tools/analysis/d_gradients.py``;
the paper's claims are that an AS-trained D is far more robust on real samples and
that its input gradient carries less high-frequency "adversarial noise".
"""
from typing import Dict, Optional, Tuple

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from torch import Tensor, nn

from mmagic.registry import DATASETS, MODELS

from .attacks import attack
from .gan_terms import DECISION_THRESHOLDS, attack_objective, gan_type_of
from .losses import ASGANDiscriminatorLoss
from .module_state import frozen


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


def real_batch(config: str, model: nn.Module, num: int, seed: int = 0) -> Tensor:
    """``num`` training images as D sees them (the config's train pipeline and the
    model's data preprocessor), a fixed random subset."""
    cfg = Config.fromfile(config)
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    if len(dataset) == 0:
        raise ValueError(f'the train dataset of {config} is empty')
    idx = np.random.default_rng(seed).choice(len(dataset), size=min(num, len(dataset)),
                                             replace=False)
    data = model.data_preprocessor(pseudo_collate([dataset[int(i)] for i in idx]), True)
    return data['data_samples'].gt_img


@torch.no_grad()
def fake_batch(model: nn.Module, num: int, seed: int = 0) -> Tensor:
    """``num`` generated images (D's input scale) from fixed noise."""
    torch.manual_seed(seed)
    noise = model.noise_fn(num_batches=num)
    return model.generator(noise=noise, return_noise=False)


def accuracy_under_attack(discriminator: nn.Module, images: Tensor, is_real: bool, gan_type: str,
                          epsilon: float, method: str = 'fgsm', steps: int = 1,
                          loss: Optional[ASGANDiscriminatorLoss] = None,
                          batch_size: int = 128) -> float:
    """Fraction of ``images`` D classifies correctly after an attack of size
    ``epsilon`` (image scale) that pushes reals towards "fake" and fakes towards
    "real". D runs with frozen parameters and restored buffers."""
    loss = loss or ASGANDiscriminatorLoss(gan_type=gan_type)
    threshold = DECISION_THRESHOLDS[gan_type]
    correct = 0
    with frozen(discriminator) as d:
        for chunk in images.split(batch_size):
            scale, lower, upper = loss.input_range(chunk)
            objective = ((lambda x: attack_objective(d(x), gan_type)) if is_real else
                         (lambda x: d(x).mean()))  # fakes: raise D's score
            x = chunk if epsilon == 0 else attack(objective, chunk, epsilon, method, steps,
                                                  lower=lower, upper=upper, scale=scale).x_adv
            with torch.no_grad():
                score = d(x).flatten(1).mean(1)
            correct += int(((score > threshold) == is_real).sum())
    return correct / len(images)


def input_gradients(discriminator: nn.Module, images: Tensor) -> Tensor:
    """d D(x) / d x for each image (N, C, H, W), D's parameters frozen."""
    with frozen(discriminator) as d:
        x = images.detach().requires_grad_(True)
        grad, = torch.autograd.grad(d(x).sum(), x)
    return grad


def high_frequency_share(grad: Tensor, cutoff: float = 0.5) -> Tensor:
    """Per-image share of the gradient's spectral energy above ``cutoff`` times
    the Nyquist frequency (radially).

    A gradient made of smooth, image-like structure keeps its energy at low
    frequencies (share near 0); pixel-level "adversarial noise" spreads it
    evenly (white noise has a share of about 1 - pi * cutoff**2 / 4, 0.80 at the
    default cutoff). Shape (N,).
    """
    spectrum = torch.fft.fft2(grad.float()).abs().pow(2).sum(1)  # (N, H, W)
    h, w = spectrum.shape[-2:]
    fy = torch.fft.fftfreq(h).abs().view(-1, 1) / 0.5
    fx = torch.fft.fftfreq(w).abs().view(1, -1) / 0.5
    high = (fy.pow(2) + fx.pow(2)).sqrt() > cutoff
    total = spectrum.flatten(1).sum(1).clamp_min(1e-30)
    return spectrum[:, high].sum(1) / total


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


def resolve_gan_type(model: nn.Module, gan_type: Optional[str] = None) -> str:
    gan_type = gan_type or gan_type_of(model)
    if gan_type is None:
        raise ValueError(f'cannot tell the D loss of {type(model).__name__}: pass --gan-type')
    return gan_type


def normalization_of(model: nn.Module) -> Tuple[Optional[Tensor], Optional[Tensor]]:
    pre = model.data_preprocessor
    if getattr(pre, '_enable_normalize', False):
        return pre.mean, pre.std
    return None, None


def robustness_table(model: nn.Module, reals: Tensor, fakes: Tensor, epsilons, methods,
                     steps: int, gan_type: str) -> Dict[Tuple[str, float], Tuple[float, float]]:
    """``{(method, epsilon): (real accuracy, fake accuracy)}``."""
    loss = ASGANDiscriminatorLoss(gan_type=gan_type)
    loss.set_normalization(*normalization_of(model))
    d = model.discriminator
    return {(m, e): (accuracy_under_attack(d, reals, True, gan_type, e, m, steps, loss),
                     accuracy_under_attack(d, fakes, False, gan_type, e, m, steps, loss))
            for m in methods for e in epsilons}


__all__ = ['add_checkpoint_args', 'checkpoint_labels', 'load_gan', 'real_batch', 'fake_batch', 'accuracy_under_attack', 'input_gradients',
           'high_frequency_share', 'robustness_table', 'resolve_gan_type']
