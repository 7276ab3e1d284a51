"""Gradient attacks on an input batch: FGSM, PGD and MI-FGSM.

Pure functions of a differentiable objective and a batch; no MMagic imports, so
they can be checked against closed-form answers and reused elsewhere.

Every attack *increases* ``objective(x)`` (a scalar, e.g. the discriminator's
real-sample loss) within a norm ball around ``x`` and inside ``[lower, upper]``.
A sample whose input gradient is not finite (an fp16 overflow, say) keeps a zero
perturbation; the attack counts such samples on the device and never branches on
them, so every process of a distributed run takes the same code path.

Budget units. ``epsilon`` and ``step_size`` are measured in *budget units*;
``scale`` (a float or a tensor broadcastable to ``x``, e.g. shape (1, C, 1, 1))
says how many units of ``x`` one budget unit is. The AS-GAN loss attacks the
discriminator's normalized input (``x`` in [-1, 1] for MMagic's default
``mean=std=127.5``) with ``epsilon`` in [0, 1] image scale, so there
``scale = 255 / std`` per channel. The ball is ``||(x_adv - x) / scale|| <= epsilon``.

The attacks never call ``.backward()``: input gradients come from
:func:`torch.autograd.grad`, so nothing is accumulated in any parameter's
``.grad``. Freezing the parameters (and the module's buffers) is the caller's job.
"""
from dataclasses import dataclass
from typing import Callable, Optional, Union

import torch
from torch import Tensor

ATTACKS = ('fgsm', 'pgd', 'mifgsm')
NORMS = ('linf', 'l2')
# 'random': the equal-cost control: the same passes and budget, a random direction
DIRECTIONS = ('gradient', 'random')

Objective = Callable[[Tensor], Tensor]
Scale = Union[float, Tensor]


@dataclass
class AttackResult:
    """What an attack returns.

    Attributes:
        x_adv (Tensor): The perturbed batch, shape like ``x``, detached.
        nonfinite (Tensor): int64 scalar on ``x``'s device: how many samples had
            a non-finite input gradient at some step; their ``x_adv`` is the
            clean ``x``. Never read on the host by the attack itself (no sync,
            no data-dependent branch: every rank runs the same code).
    """
    x_adv: Tensor
    nonfinite: Tensor


def _flat_norm(t: Tensor, p: float) -> Tensor:
    """Per-sample p-norm of ``t`` (N, ...), shaped (N, 1, ..., 1) to broadcast."""
    norms = t.flatten(1).norm(p=p, dim=1)
    return norms.view(-1, *([1] * (t.dim() - 1)))


def perturbation_norm(delta: Tensor, norm: str, scale: Scale = 1.0) -> Tensor:
    """Per-sample size of a perturbation in budget units.

    Args:
        delta (Tensor): ``x_adv - x``, shape (N, ...).
        norm (str): ``'linf'`` or ``'l2'``.
        scale (float | Tensor): units of ``x`` per budget unit.

    Returns:
        Tensor: shape (N,).
    """
    d = delta / scale
    return d.flatten(1).abs().amax(dim=1) if norm == 'linf' else d.flatten(1).norm(dim=1)


def finite_samples(grad: Tensor) -> Tensor:
    """Per-sample mask (N,) of gradients whose every element is finite."""
    return torch.isfinite(grad).flatten(1).all(dim=1)


def zero_nonfinite(grad: Tensor, ok: Tensor) -> Tensor:
    """``grad`` with the samples where ``ok`` is False set to zero (on device)."""
    return torch.where(_per_sample(ok, grad), grad, torch.zeros((), dtype=grad.dtype,
                                                                  device=grad.device))


def _per_sample(mask: Tensor, like: Tensor) -> Tensor:
    return mask.view(-1, *([1] * (like.dim() - 1)))


def _project(delta: Tensor, epsilon: float, norm: str, scale: Scale) -> Tensor:
    """Projects ``delta`` (in units of x) onto the epsilon-ball (budget units)."""
    if norm == 'linf':
        bound = epsilon * scale
        bound = bound if isinstance(bound, Tensor) else torch.tensor(bound, dtype=delta.dtype,
                                                                     device=delta.device)
        return torch.maximum(torch.minimum(delta, bound), -bound)
    size = _flat_norm(delta / scale, 2)
    factor = torch.clamp(epsilon / size.clamp_min(1e-12), max=1.0)
    return delta * factor


def _ascent_direction(grad: Tensor, norm: str, scale: Scale) -> Tensor:
    """Steepest-ascent step of unit size (budget units), expressed in x units.

    For linf it is ``scale * sign(grad)``; for l2 the gradient with respect to the
    budget coordinates (``grad * scale``) normalized to unit l2 norm, times scale.
    """
    if norm == 'linf':
        return torch.sign(grad) * scale
    g_budget = grad * scale
    return g_budget / _flat_norm(g_budget, 2).clamp_min(1e-12) * scale


def _random_start(x: Tensor, epsilon: float, norm: str, scale: Scale,
                  generator: Optional[torch.Generator]) -> Tensor:
    """A random point of the ball around ``x`` (uniform per coordinate for
    linf; uniform direction and radius for l2)."""
    if norm == 'linf':
        u = torch.rand(x.shape, generator=generator, device=x.device, dtype=x.dtype)
        return (2 * u - 1) * epsilon * scale
    direction = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
    direction = direction / _flat_norm(direction, 2).clamp_min(1e-12)
    radius = torch.rand((x.shape[0], ) + (1, ) * (x.dim() - 1), generator=generator,
                        device=x.device, dtype=x.dtype) * epsilon
    return direction * radius * scale


def _input_grad(objective: Objective, x: Tensor) -> tuple:
    """Returns (objective(x) detached, d objective / d x), by :func:`torch.autograd.grad`."""
    x = x.detach().requires_grad_(True)
    with torch.enable_grad():
        value = objective(x)
        grad, = torch.autograd.grad(value, x)
    return value.detach(), grad


def attack(objective: Objective,
           x: Tensor,
           epsilon: float,
           method: str = 'fgsm',
           steps: int = 1,
           step_size: Optional[float] = None,
           norm: str = 'linf',
           random_start: bool = False,
           momentum: float = 1.0,
           lower: Scale = -1.0,
           upper: Scale = 1.0,
           scale: Scale = 1.0,
           generator: Optional[torch.Generator] = None,
           first_grad: Optional[Tensor] = None,
           direction: str = 'gradient') -> AttackResult:
    """Perturbs ``x`` to increase ``objective`` within an epsilon-ball.

    Args:
        objective (Callable[[Tensor], Tensor]): maps a batch (N, ...) to the
            scalar to increase.
        x (Tensor): the clean batch, shape (N, ...).
        epsilon (float): ball radius, budget units (>= 0).
        method (str): ``'fgsm'`` (one step of size ``step_size``, default
            ``epsilon``), ``'pgd'`` (``steps`` projected steps) or ``'mifgsm'``
            (momentum iterative FGSM, Dong et al. 2018).
        steps (int): iterations for pgd / mifgsm; fgsm always takes one.
        step_size (float, optional): step length, budget units. Defaults to
            ``epsilon`` for fgsm, ``epsilon / steps`` for mifgsm and
            ``2.5 * epsilon / steps`` for pgd (Madry et al.).
        norm (str): ``'linf'`` or ``'l2'``.
        random_start (bool): start from a random point of the ball.
        momentum (float): decay factor of mifgsm's gradient accumulator.
        lower (float | Tensor): smallest valid value of x (broadcastable).
        upper (float | Tensor): largest valid value of x (broadcastable).
        scale (float | Tensor): units of x per budget unit (broadcastable).
        generator (torch.Generator, optional): RNG for the random start.
        first_grad (Tensor, optional): the gradient of ``objective`` at ``x``,
            already computed (e.g. from the discriminator's own forward on the
            reals): the first step uses it instead of evaluating ``objective``.
            Not allowed with ``random_start`` (the first step is taken elsewhere).
        direction (str): ``'gradient'`` (the attack) or ``'random'``: the same
            passes and budget, each step along a standard normal draw instead
            of the input gradient (whose finiteness still decides which samples
            move): the control that tells whether the adversarial direction
            matters. Draws from ``generator`` (default: torch's global one).

    Returns:
        AttackResult: the perturbed batch and the count of non-finite samples.
    """
    if method not in ATTACKS:
        raise ValueError(f'method must be one of {ATTACKS}, got {method!r}')
    if direction not in DIRECTIONS:
        raise ValueError(f'direction must be one of {DIRECTIONS}, got {direction!r}')
    if norm not in NORMS:
        raise ValueError(f'norm must be one of {NORMS}, got {norm!r}')
    if first_grad is not None and random_start:
        raise ValueError('first_grad is the gradient at x; with random_start the first step '
                         'is taken at a random point of the ball')
    x0 = x.detach()
    n_steps = 1 if method == 'fgsm' else steps
    if step_size is None:
        step_size = {'fgsm': epsilon, 'mifgsm': epsilon / n_steps,
                     'pgd': 2.5 * epsilon / n_steps}[method]

    # delta is tracked explicitly (not recomputed as x_adv - x0) so that a single
    # FGSM step is exactly clamp(x0 + epsilon * scale * sign(grad)).
    delta = torch.zeros_like(x0)
    x_adv = x0
    if random_start:
        x_adv = torch.clamp(x0 + _random_start(x0, epsilon, norm, scale, generator), lower, upper)
        delta = x_adv - x0
    accumulated = torch.zeros_like(x0) if method == 'mifgsm' else None
    ok = torch.ones(x0.shape[0], dtype=torch.bool, device=x0.device)
    for step in range(n_steps):
        if step == 0 and first_grad is not None:
            grad = first_grad.detach()
        else:
            _, grad = _input_grad(objective, x_adv)
        step_ok = finite_samples(grad)
        ok = ok & step_ok
        if direction == 'random':
            grad = torch.randn(grad.shape, generator=generator, device=grad.device,
                               dtype=grad.dtype)
        grad = zero_nonfinite(grad, step_ok)
        if accumulated is not None:
            accumulated = momentum * accumulated + grad / _flat_norm(grad, 1).clamp_min(1e-12)
            grad = accumulated
        delta = _project(delta + step_size * _ascent_direction(grad, norm, scale), epsilon, norm,
                         scale)
        x_adv = torch.clamp(x0 + delta, lower, upper)
        if step + 1 < n_steps:
            delta = x_adv - x0
    x_adv = torch.where(_per_sample(ok, x0), x_adv, x0)
    return AttackResult(x_adv.detach(), (~ok).sum())
