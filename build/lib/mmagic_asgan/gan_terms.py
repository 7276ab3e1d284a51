"""The real-sample term of each GAN discriminator loss, which MMagic model uses
which, and what the AS-GAN attack ascends.

The AS-GAN attack perturbs real samples towards "fake" (it lowers D's score on
them), and D is then trained on the perturbed reals with the real-sample term of
its own loss. Each :func:`real_term` equals, exactly, the ``loss_disc_real``
term that the corresponding MMagic model computes in its ``disc_loss`` (for
PGGAN plus the real half of its drift term ``loss_disc_shift``).
"""
from typing import Dict, Optional

import torch
import torch.nn.functional as F
from torch import Tensor

GAN_TYPES = ('vanilla', 'hinge', 'lsgan', 'wgan', 'wgan-drift')
OBJECTIVES = ('loss', 'score')

# PGGAN's drift term: loss_disc_shift = 0.001 * 0.5 * (D(fake)^2 + D(real)^2)
# (mmagic/models/editors/pggan/pggan.py, disc_loss), averaged by parse_losses.
PGGAN_DRIFT = 0.001 * 0.5

# MMagic model class -> the gan_type of its hard-coded D loss (read from
# mmagic 1.2.0: each class's ``disc_loss``). Subclasses are resolved through the
# MRO, so StyleGAN3 (a StyleGAN2) is 'vanilla' and StyleGAN1 is found before
# ProgressiveGrowingGAN, its base class.
MODEL_GAN_TYPES: Dict[str, str] = {
    'DCGAN': 'vanilla',  # BCE-with-logits
    'StyleGAN2': 'vanilla',  # softplus(-d) == BCE-with-logits(d, 1); + R1 on cloned reals
    'StyleGAN1': 'vanilla',  # softplus(-d); + R1 on cloned reals
    'LSGAN': 'lsgan',  # mse(d, 1)
    'GGAN': 'hinge',  # relu(1 - d)
    'SAGAN': 'hinge',  # also registered as SNGAN
    'BigGAN': 'hinge',
    'WGANGP': 'wgan',  # -d (the gradient penalty on interpolates is left to the model)
    'ProgressiveGrowingGAN': 'wgan-drift',  # -d + 0.0005 d^2 (+ GP on interpolates)
}

# Score above which D calls a sample real: the logit / critic / hinge margin 0,
# and halfway between LSGAN's targets 0 and 1.
DECISION_THRESHOLDS = {'vanilla': 0.0, 'hinge': 0.0, 'wgan': 0.0, 'wgan-drift': 0.0,
                       'lsgan': 0.5}


def _check(gan_type: str) -> None:
    if gan_type not in GAN_TYPES:
        raise ValueError(f'gan_type must be one of {GAN_TYPES}, got {gan_type!r}')


def real_term(pred: Tensor, gan_type: str) -> Tensor:
    """D's real-sample loss, averaged over the batch.

    Args:
        pred (Tensor): D's output on real samples, shape (N, ...).
        gan_type (str): one of :data:`GAN_TYPES`.

    Returns:
        Tensor: scalar.
    """
    _check(gan_type)
    if gan_type == 'vanilla':
        return F.softplus(-pred).mean()  # == BCE-with-logits(pred, 1), better gradients
    if gan_type == 'hinge':
        return F.relu(1.0 - pred).mean()
    if gan_type == 'lsgan':
        return F.mse_loss(pred, pred.new_ones(()).expand_as(pred))
    if gan_type == 'wgan':
        return -pred.mean()
    return -pred.mean() + PGGAN_DRIFT * pred.pow(2).mean()


def attack_objective(pred: Tensor, gan_type: str, objective: str = 'loss') -> Tensor:
    """What the attack ascends; every choice lowers D's score on each real.

    * ``'score'``: ``-D(x)``, the same for every gan_type.
    * ``'loss'``: D's real-sample loss (:func:`real_term`), per sample, where it
      falls as the score rises; where it does not, ``-D(x)``: hinge beyond the
      margin (``relu(1 - d)`` is flat for ``d > 1``), LSGAN above its target 1
      (``(d - 1)^2`` would push ``d`` further *up*, towards "real"), and PGGAN's
      drift term for ``d > 1000``. So reals D is over-confident about are still
      attacked towards "fake". The vanilla loss is used in its stable form
      ``softplus(-d)``, whose gradient stays non-zero for confident reals.

    With BatchNorm in D (train mode) a sample's score depends on the whole
    batch; the loss objective then weights each sample's pull by how wrong D is
    about it, the score objective weights them equally.

    Args:
        pred (Tensor): D's output on the (perturbed) reals, shape (N, ...).
        gan_type (str): one of :data:`GAN_TYPES`.
        objective (str): one of :data:`OBJECTIVES`.

    Returns:
        Tensor: scalar to maximise.
    """
    _check(gan_type)
    if objective not in OBJECTIVES:
        raise ValueError(f'objective must be one of {OBJECTIVES}, got {objective!r}')
    if objective == 'score' or gan_type in ('hinge', 'wgan'):
        return -pred.mean()  # hinge: the gradient of relu(1 - d) where it is not flat
    if gan_type == 'vanilla':
        return F.softplus(-pred).mean()
    if gan_type == 'lsgan':
        return torch.where(pred < 1.0, (pred - 1.0).pow(2), 1.0 - pred).mean()
    knee = 1.0 / (2.0 * PGGAN_DRIFT)  # where -d + c d^2 stops falling
    return torch.where(pred < knee, -pred + PGGAN_DRIFT * pred.pow(2), -pred).mean()


def gan_type_of(model: object) -> Optional[str]:
    """The gan_type of an MMagic GAN model from its class (None if unknown)."""
    for cls in type(model).__mro__:
        if cls.__name__ in MODEL_GAN_TYPES:
            return MODEL_GAN_TYPES[cls.__name__]
    return None
