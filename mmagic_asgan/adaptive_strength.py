"""An adaptive attack strength: ADA's overfitting controller driving epsilon.

ADA (Karras et al. 2020) measures how much D overfits with
``r_t = E[sign(D(x_real) - threshold)]`` over the reals D trains on: near 1 when
D calls every real confidently real (it has memorised them), near 0 when it
cannot tell. Every ``interval`` D steps it moves a strength ``p`` in [0, 1] by
``sign(r_t - target) * images / (kimg * 1000)``, where ``images`` is the number
of reals those steps saw (all ranks), so ``p`` can go from 0 to 1 in ``kimg``
thousand images. :class:`AdaptiveStrength` does the same for the attack:
this iteration's budget is ``epsilon * schedule(iteration) * p``.

The signs are summed on the device at each D step (no host sync); the sum is
read once per adjustment (one ``.item()`` every ``interval`` D steps) and, under
DDP, all-reduced first, so every rank holds the same ``p``.
"""
from typing import Optional

import torch
from torch import Tensor


def _check(ok: bool, field: str, allowed: str, value) -> None:
    if not ok:
        raise ValueError(f'RealSampleAttackHook: adaptive.{field} must be {allowed}, got {value!r}')


class AdaptiveStrength:
    """ADA's controller of a strength ``p`` in [0, 1] (here: of the attack budget).

    Args:
        target (float): the ``r_t`` the controller holds D at, in (0, 1)
            (ADA's 0.6).
        interval (int): D steps between adjustments (ADA's 4).
        kimg (float): thousands of real images over which ``p`` can go from 0
            to 1 (ADA's 500 suits runs of tens of millions of images; the
            default suits runs of a few hundred thousand).
        initial (float): ``p`` at the start, in [0, 1] (ADA's 0).
    """

    def __init__(self, target: float = 0.6, interval: int = 4, kimg: float = 100.0,
                 initial: float = 0.0) -> None:
        number = (int, float)
        _check(isinstance(target, number) and 0 < target < 1, 'target', 'a number in (0, 1)',
               target)
        _check(isinstance(interval, int) and not isinstance(interval, bool) and interval >= 1,
               'interval', 'an int >= 1', interval)
        _check(isinstance(kimg, number) and kimg > 0, 'kimg', 'a number > 0', kimg)
        _check(isinstance(initial, number) and 0 <= initial <= 1, 'initial',
               'a number in [0, 1]', initial)
        self.target = float(target)
        self.interval = interval
        self.kimg = float(kimg)
        # state
        self.strength = float(initial)
        self.last_rt: Optional[float] = None
        self._sign_sum: Optional[Tensor] = None  # on the device
        self._count = 0  # reals seen since the last adjustment (this rank)

    def observe(self, scores: Tensor, threshold: float) -> None:
        """Adds one D step's scores on the reals (one per sample, or maps that
        are averaged per sample) without reading them."""
        scores = scores.detach().float()
        signs = torch.sign(scores.reshape(scores.shape[0], -1).mean(1) - threshold)
        total = signs.sum()
        self._sign_sum = total if self._sign_sum is None else self._sign_sum + total
        self._count += signs.numel()

    def due(self, iteration: int) -> bool:
        """Whether :meth:`adjust` runs before iteration ``iteration`` (0-based)."""
        return iteration > 0 and iteration % self.interval == 0

    def adjust(self) -> Optional[float]:
        """Moves ``strength`` by the ``r_t`` of the steps observed since the last
        adjustment (all ranks); returns that ``r_t`` (None if nothing was seen)."""
        device = self._sign_sum.device if self._sign_sum is not None else 'cpu'
        stats = torch.stack([
            self._sign_sum if self._sign_sum is not None else torch.zeros((), device=device),
            torch.tensor(float(self._count), device=device)]).double()
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            torch.distributed.all_reduce(stats)
        sign_sum, count = stats.tolist()  # the one host read per adjustment
        self._sign_sum, self._count = None, 0
        if count == 0:
            return None
        self.last_rt = sign_sum / count
        step = (1.0 if self.last_rt > self.target else -1.0 if self.last_rt < self.target
                else 0.0) * count / (self.kimg * 1000)
        self.strength = min(1.0, max(0.0, self.strength + step))
        return self.last_rt

    def state_dict(self) -> dict:
        return dict(strength=self.strength, last_rt=self.last_rt, count=self._count,
                    sign_sum=None if self._sign_sum is None else self._sign_sum.detach().cpu())

    def load_state_dict(self, state: dict) -> None:
        """Inverse of :meth:`state_dict` (the running sum moves to the device of
        the next :meth:`observe`)."""
        self.strength = float(state['strength'])
        self.last_rt = state.get('last_rt')
        self._count = int(state.get('count', 0))
        self._sign_sum = state.get('sign_sum')

    def __repr__(self) -> str:
        return (f'AdaptiveStrength(target={self.target}, interval={self.interval}, '
                f'kimg={self.kimg:g}, strength={self.strength:.4g})')
