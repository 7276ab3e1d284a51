"""The persistent perturbation of "free" adversarial training (FastGAN).

FastGAN (Zhong, Liu & Hsieh 2020, after Shafahi et al. 2019) spends no extra
pass on the attack: D's own update backward, run on ``x + delta``, also gives
the input gradient, and one signed step along it updates ``delta`` for the
*next* D step. ``delta`` persists across iterations (it is applied to whatever
real batch comes next), stays in the epsilon-ball and is clamped with the
image to the valid pixel range only when applied.

Pure torch; :class:`~mmagic_asgan.losses.ASGANDiscriminatorLoss` owns one when
``attack='free'``.
"""
from typing import Optional

import torch
from torch import Tensor

from .attacks import (
    NORMS,
    Scale,
    _ascent_direction,
    _per_sample,
    _project,
    _random_start,
    finite_samples,
    zero_nonfinite,
)


class FreePerturbation:
    """``delta``, shaped like the real batch, carried from one D step to the next.

    Args:
        norm (str): ``'linf'`` or ``'l2'`` (budget units as in
            :mod:`mmagic_asgan.attacks`).
        random_start (bool): start from a random point of the ball (FastGAN
            starts from clipped Gaussian noise); otherwise from zero, so the
            first D step sees clean reals and no random number is drawn.
    """

    def __init__(self, norm: str = 'linf', random_start: bool = False) -> None:
        if norm not in NORMS:
            raise ValueError(f'norm must be one of {NORMS}, got {norm!r}')
        self.norm = norm
        self.random_start = random_start
        self.delta: Optional[Tensor] = None
        self.updates = 0

    def apply(self, x: Tensor, epsilon: float, scale: Scale, lower: Scale,
              upper: Scale) -> Tensor:
        """``clamp(x + delta)``, a leaf that requires grad, so that the D step
        that trains on it leaves the input gradient in its ``.grad``.

        ``delta`` is (re)started when the batch shape changes, moved to the
        batch's device and dtype, and projected onto the current ball (a
        schedule may shrink epsilon).
        """
        x = x.detach()
        if self.delta is None or self.delta.shape != x.shape:
            self.delta = (_random_start(x, epsilon, self.norm, scale, None)
                          if self.random_start else torch.zeros_like(x))
        self.delta = _project(self.delta.to(x), epsilon, self.norm, scale)
        return torch.clamp(x + self.delta, lower, upper).requires_grad_(True)

    def update(self, x_adv: Tensor, epsilon: float, step_size: float, scale: Scale) -> Tensor:
        """One ascent step along ``x_adv.grad`` (the gradient of the loss D was
        just trained on, which increases with D's real-sample loss); projected
        onto the ball. A sample whose gradient is not finite (e.g. after an fp16
        overflow) keeps its perturbation; no data-dependent branch, no sync.

        Returns:
            Tensor: int64 scalar on the device, the number of such samples.

        Raises:
            RuntimeError: ``x_adv`` has no gradient: the D step did not
                backpropagate to the real images it was given.
        """
        grad = x_adv.grad
        if grad is None:
            raise RuntimeError("attack='free': the discriminator step left no gradient on the "
                               'perturbed reals, so the perturbation cannot be updated; the '
                               "model's train_discriminator must backpropagate its loss through "
                               'D(real images)')
        ok = finite_samples(grad)
        step = step_size * _ascent_direction(zero_nonfinite(grad.detach(), ok), self.norm, scale)
        moved = _project(self.delta + step, epsilon, self.norm, scale)
        self.delta = torch.where(_per_sample(ok, moved), moved, self.delta).detach()
        self.updates += 1
        return (~ok).sum()

    def state_dict(self) -> dict:
        return dict(delta=None if self.delta is None else self.delta.detach().cpu(),
                    updates=self.updates)

    def load_state_dict(self, state: dict) -> None:
        """Inverse of :meth:`state_dict` (``delta`` moves to the batch's device
        at the next :meth:`apply`)."""
        self.delta = state.get('delta')
        self.updates = int(state.get('updates', 0))
