"""Threshold-free measurements of a discriminator: robustness and input gradients.

A fixed decision threshold mixes D's calibration with its robustness (a D
whose scores drift calls fewer clean reals real, and looks "less robust"). These
measurements need none:

* :func:`roc_auc` of D's scores separating reals from fakes, clean and with
  both attacked (reals towards "fake", fakes towards "real") by FGSM;
* the mean drop of D's score on reals under FGSM, also relative to D's
  real-fake margin (so that D's of different output scales compare);
* the norm of D's input gradient on reals and on fakes, per unit of image
  scale (so that data preprocessors compare);
* the gradient's high-frequency share (:func:`high_frequency_share`): smooth,
  image-like gradients score near 0, pixel noise near 0.80.

Pure torch plus :mod:`mmagic_asgan.attacks`. D is called as given: run it in
:func:`~mmagic_asgan.module_state.frozen` so its state is left untouched.
"""
from typing import Callable, Dict, Sequence, Tuple

import torch
from torch import Tensor

from .attacks import attack

Forward = Callable[[Tensor], Tensor]


def roc_auc(positive: Tensor, negative: Tensor) -> float:
    """Area under the ROC curve of scores separating ``positive`` from
    ``negative``: P(s_pos > s_neg) + P(s_pos == s_neg) / 2 (Mann-Whitney)."""
    pos, neg = positive.detach().flatten().double(), negative.detach().flatten().double()
    if not len(pos) or not len(neg):
        raise ValueError('roc_auc needs at least one score of each kind')
    scores = torch.cat([pos, neg])
    order = scores.argsort()
    ranks = torch.empty_like(scores)
    ranks[order] = torch.arange(1, len(scores) + 1, dtype=scores.dtype)
    for value in scores[order].unique_consecutive():  # average ranks of ties
        tied = scores == value
        if int(tied.sum()) > 1:
            ranks[tied] = ranks[tied].mean()
    u = ranks[:len(pos)].sum() - len(pos) * (len(pos) + 1) / 2
    return float(u / (len(pos) * len(neg)))


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
    fy = torch.fft.fftfreq(h, device=grad.device).abs().view(-1, 1) / 0.5
    fx = torch.fft.fftfreq(w, device=grad.device).abs().view(1, -1) / 0.5
    high = (fy.pow(2) + fx.pow(2)).sqrt() > cutoff
    total = spectrum.flatten(1).sum(1).clamp_min(1e-30)
    return spectrum[:, high].sum(1) / total


def scores(forward: Forward, images: Tensor, batch_size: int) -> Tensor:
    """D's mean output per image (N,), in batches of ``batch_size``."""
    with torch.no_grad():
        return torch.cat([forward(b).flatten(1).mean(1) for b in images.split(batch_size)])


def input_gradients(forward: Forward, images: Tensor, batch_size: int) -> Tensor:
    """d D(x) / d x for each image (N, C, H, W), in batches."""
    grads = []
    for b in images.split(batch_size):
        x = b.detach().requires_grad_(True)
        with torch.enable_grad():
            grad, = torch.autograd.grad(forward(x).sum(), x)
        grads.append(grad)
    return torch.cat(grads)


def fgsm(forward: Forward, images: Tensor, epsilon: float, towards: str, batch_size: int,
         scale, lower, upper) -> Tensor:
    """One FGSM step of size ``epsilon`` (image scale) that lowers D's score
    (``towards='fake'``) or raises it (``'real'``), in batches."""
    sign = -1.0 if towards == 'fake' else 1.0
    return torch.cat([
        attack(lambda x: sign * forward(x).mean(), b, epsilon, 'fgsm', lower=lower, upper=upper,
               scale=scale).x_adv for b in images.split(batch_size)])


def probe(forward: Forward, reals: Tensor, fakes: Tensor, epsilons: Sequence[float],
          input_range: Tuple[Tensor, Tensor], batch_size: int = 64) -> Dict[str, float]:
    """Every measurement of this module for one D.

    Args:
        forward (Callable[[Tensor], Tensor]): D (frozen, in the mode it trains in).
        reals (Tensor), fakes (Tensor): (N, C, H, W) batches as D sees them;
            held-out reals, generated fakes.
        epsilons (Sequence[float]): FGSM budgets, image scale (e.g. 2/255).
        input_range (tuple): ``(lower, upper)``, D's input for pixels 0 and 255,
            broadcastable to (1, C, 1, 1).
        batch_size (int): D is run on reals and fakes separately, in batches
            of this size (as in training, where BatchNorm sees one kind).

    Returns:
        dict: ``auc_clean``, ``score_margin`` (mean real - mean fake score),
        ``grad_norm_real``, ``grad_norm_fake`` (mean per-image l2 norm of
        dD/dx per unit of [0, 1] image scale), ``grad_hf_share_real``,
        ``grad_hf_share_fake``, and per epsilon ``e`` (in 1/255, as ``e2``):
        ``score_drop_e2`` (mean D(x) - D(x_adv) over reals), ``rel_drop_e2``
        (that over ``score_margin``), ``auc_adv_e2`` (reals and fakes attacked).
    """
    lower, upper = (t.to(reals) for t in input_range)
    scale = upper - lower
    real_scores, fake_scores = scores(forward, reals, batch_size), scores(forward, fakes,
                                                                          batch_size)
    margin = float(real_scores.mean() - fake_scores.mean())
    out = dict(auc_clean=roc_auc(real_scores, fake_scores), score_margin=margin)
    for name, images in (('real', reals), ('fake', fakes)):
        grad = input_gradients(forward, images, batch_size) * scale  # per image unit
        out[f'grad_norm_{name}'] = float(grad.flatten(1).norm(dim=1).mean())
        out[f'grad_hf_share_{name}'] = float(high_frequency_share(grad).mean())
    for eps in epsilons:
        key = f'e{eps * 255:g}'
        real_adv = fgsm(forward, reals, eps, 'fake', batch_size, scale, lower, upper)
        fake_adv = fgsm(forward, fakes, eps, 'real', batch_size, scale, lower, upper)
        adv_scores = scores(forward, real_adv, batch_size)
        drop = float((real_scores - adv_scores).mean())
        out[f'score_drop_{key}'] = drop
        out[f'rel_drop_{key}'] = drop / margin if margin else float('nan')
        out[f'auc_adv_{key}'] = roc_auc(adv_scores, scores(forward, fake_adv, batch_size))
    return out
