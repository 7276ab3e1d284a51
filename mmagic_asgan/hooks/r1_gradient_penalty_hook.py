"""``R1GradientPenaltyHook``: the R1 penalty on reals for any MMagic GAN.

The positive control of the AS-GAN studies: to first order, FGSM on the reals
adds ``epsilon * ||grad_x L_real||_1`` to D's loss, a gradient penalty at the
reals; R1 (Mescheder et al. 2018) penalises ``gamma / 2 * ||grad_x D(x)||^2``
there. It is switched on the same way as AS-GAN (``_base_`` plus two lines)
and acts at the same place: D's own call on the real batch.
"""
from typing import Dict

import torch
from torch import Tensor

from mmagic.registry import HOOKS

from .discriminator_step import DiscriminatorStepHook


@HOOKS.register_module()
class R1GradientPenaltyHook(DiscriminatorStepHook):
    """Adds ``gamma / 2 * E ||grad_x D(x)||^2`` at the reals to D's loss.

    D's own call on the real batch is given the same values as a leaf that
    requires grad (so D computes exactly what it would), and the penalty is the
    gradient of that call's output with respect to it (``create_graph``), as in
    Mescheder et al.'s reference code: no extra forward pass. The gradient is
    taken in D's input units (``[-1, 1]`` for MMagic's default preprocessor),
    summed over C, H, W and averaged over the batch, like MMagic's
    ``r1_gradient_penalty_loss`` with ``norm_mode='HWC'``. The gradient is of
    D's output summed over the batch in fp32 (as StyleGAN2-ADA's
    ``real_logits.sum()``), with no loss-scaler factor, so an fp16 D does not
    overflow (a 2^16 scale on D's output did). Logged as ``loss_r1``.

    Beside ``RealSampleAttackHook`` (AS + R1; either order in ``custom_hooks``)
    it joins that hook's D step: the penalty is taken where D is trained to say
    "real": at the clean reals in ``mode='mix'`` (sharing the attack's input
    gradient pass), at ``x_adv`` in ``mode='replace'``.

    Args:
        gamma (float): penalty weight, > 0.
        interval (int): lazy R1: apply the penalty every ``interval``-th D step
            (``runner.iter``) with its weight multiplied by ``interval``
            (StyleGAN2's lazy regularisation; optimizer settings are left as
            they are). Defaults to 1.
        real_batch (str): where the model hands over the real batch.
        input_range (tuple, optional): ``(low, high)`` of D's input for pixels
            0 and 255; defaults to the data preprocessor's mean/std (only
            checked here: the penalty is taken in D's input units).

    Examples:
        >>> custom_hooks = _base_.get('custom_hooks', []) + [
        ...     dict(type='R1GradientPenaltyHook', gamma=1.0)]
        >>> custom_hooks = _base_.get('custom_hooks', []) + [  # AS + R1
        ...     dict(type='RealSampleAttackHook', epsilon=1 / 255),
        ...     dict(type='R1GradientPenaltyHook', gamma=0.1)]
    """
    name = 'R1GradientPenaltyHook'
    gradient_penalty = True

    def __init__(self, gamma: float = 1.0, interval: int = 1, real_batch: str = 'auto',
                 input_range=None) -> None:
        super().__init__(real_batch, input_range)
        if isinstance(gamma, bool) or not isinstance(gamma, (int, float)) or gamma <= 0:
            raise ValueError(f'R1GradientPenaltyHook: gamma must be a number > 0, got {gamma!r}')
        if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
            raise ValueError(f'R1GradientPenaltyHook: interval must be an int >= 1, '
                             f'got {interval!r}')
        self.gamma = float(gamma)
        self.interval = interval

    def acts_at(self, iteration: int) -> bool:
        return iteration % self.interval == 0

    def penalty(self, output: Tensor, leaf: Tensor) -> Dict[str, Tensor]:
        grad, = torch.autograd.grad(output.float().sum(), leaf, create_graph=True)
        penalty = grad.float().pow(2).flatten(1).sum(1).mean()
        return {'loss_r1': (0.5 * self.gamma * self.interval) * penalty}
