"""The real-sample term of each GAN discriminator loss, and which MMagic model uses which.

The AS-GAN attack ascends the discriminator's *real-sample* term (the part of D's
loss that says "x is real"), and D is then trained on the perturbed reals with
the same term. Each function below equals, exactly, the ``loss_disc_real`` term
that the corresponding MMagic model computes in its ``disc_loss``.
"""
from typing import Dict, Optional

import torch.nn.functional as F
from torch import Tensor

GAN_TYPES = ('vanilla', 'hinge', 'lsgan', 'wgan')

# MMagic model class -> the gan_type of its hard-coded D loss (read from
# mmagic 1.2.0: each class's ``disc_loss``). Subclasses are resolved through the
# MRO, so e.g. StyleGAN3 (a StyleGAN2) is 'vanilla'.
MODEL_GAN_TYPES: Dict[str, str] = {
    'DCGAN': 'vanilla',  # BCE-with-logits
    'StyleGAN2': 'vanilla',  # softplus(-d) == BCE-with-logits(d, 1)
    'LSGAN': 'lsgan',  # mse(d, 1)
    'GGAN': 'hinge',  # relu(1 - d)
    'SAGAN': 'hinge',  # also registered as SNGAN
    'BigGAN': 'hinge',
    'WGANGP': 'wgan',  # -d (the gradient penalty is left to the model)
}

# Score above which D calls a sample real: the logit / critic / hinge margin 0,
# and halfway between LSGAN's targets 0 and 1.
DECISION_THRESHOLDS = {'vanilla': 0.0, 'hinge': 0.0, 'wgan': 0.0, 'lsgan': 0.5}


def real_term(pred: Tensor, gan_type: str) -> Tensor:
    """D's real-sample loss, averaged over the batch.

    Args:
        pred (Tensor): D's output on real samples, shape (N, ...).
        gan_type (str): one of :data:`GAN_TYPES`.

    Returns:
        Tensor: scalar.
    """
    if gan_type == 'vanilla':
        return F.binary_cross_entropy_with_logits(pred, pred.new_ones(()).expand_as(pred))
    if gan_type == 'hinge':
        return F.relu(1.0 - pred).mean()
    if gan_type == 'lsgan':
        return F.mse_loss(pred, pred.new_ones(()).expand_as(pred))
    if gan_type == 'wgan':
        return -pred.mean()
    raise ValueError(f'gan_type must be one of {GAN_TYPES}, got {gan_type!r}')


def attack_objective(pred: Tensor, gan_type: str) -> Tensor:
    """What the attack ascends: the real-sample loss, except for hinge.

    The hinge term ``relu(1 - d)`` has zero gradient wherever D is confident
    (``d > 1``), so those reals would get no perturbation at all. For hinge we
    ascend the un-clipped score ``-d`` instead: the same direction wherever the
    hinge is active, and still a direction where it is not.
    """
    if gan_type == 'hinge':
        return -pred.mean()
    return real_term(pred, gan_type)


def gan_type_of(model: object) -> Optional[str]:
    """The gan_type of an MMagic GAN model from its class (None if unknown)."""
    for cls in type(model).__mro__:
        if cls.__name__ in MODEL_GAN_TYPES:
            return MODEL_GAN_TYPES[cls.__name__]
    return None
