"""``InputRange``: the values D sees for pixel 0 and pixel 255, per channel.

The attack budget is given in image scale (``8/255`` = 8 grey levels) and the
perturbed reals must stay inside the valid pixel range; both need the data
preprocessor's normalisation. An :class:`InputRange` holds it once, on the CPU,
and hands out copies on the batch's device and dtype from a cache, so the
training step path never copies it from the host again.
"""
from typing import Dict, Sequence, Tuple, Union

import torch
from torch import Tensor

Bound = Union[float, Sequence[float], Tensor]


class InputRange:
    """Per-channel ``lower`` (pixel 0) and ``upper`` (pixel 255) of D's input.

    Args:
        lower (float | Sequence[float] | Tensor): a scalar or one value per channel.
        upper (float | Sequence[float] | Tensor): the same, each above ``lower``.
            MMagic's default preprocessor (mean = std = 127.5) gives -1 and 1.

    Raises:
        ValueError: channel counts that do not broadcast, or ``upper <= lower``.
    """

    def __init__(self, lower: Bound = -1.0, upper: Bound = 1.0) -> None:
        low = torch.as_tensor(lower, dtype=torch.float32).detach().cpu().reshape(1, -1, 1, 1)
        high = torch.as_tensor(upper, dtype=torch.float32).detach().cpu().reshape(1, -1, 1, 1)
        if low.shape != high.shape and 1 not in (low.shape[1], high.shape[1]):
            raise ValueError(f'input range: {low.shape[1]} lower and {high.shape[1]} upper '
                             'channel values')
        if not bool((high > low).all()):
            raise ValueError('input range: the value of pixel 255 must be above that of pixel 0, '
                             f'got {low.flatten().tolist()} and {high.flatten().tolist()}')
        self.lower, self.upper = low, high
        self.scale = high - low  # D-input units per [0, 1]-image unit
        self._on: Dict[tuple, Tuple[Tensor, Tensor, Tensor]] = {}

    @property
    def channels(self) -> int:
        return max(self.lower.shape[1], self.upper.shape[1])

    def on(self, like: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        """``(scale, lower, upper)``, each (1, C, 1, 1), on ``like``'s device and
        dtype; copied there once and cached.

        Raises:
            ValueError: ``like`` is not (N, C, H, W) with C matching the range.
        """
        if like.dim() != 4:
            raise ValueError(f'real_imgs must be (N, C, H, W), got shape {tuple(like.shape)}')
        if self.channels not in (1, like.shape[1]):
            raise ValueError(f'the input range has {self.channels} channels, the real images '
                             f'{like.shape[1]}')
        key = (like.device, like.dtype)
        if key not in self._on:
            self._on[key] = tuple(t.to(device=like.device, dtype=like.dtype)
                                  for t in (self.scale, self.lower, self.upper))
        return self._on[key]

    def __repr__(self) -> str:
        return f'InputRange({self.lower.flatten().tolist()}, {self.upper.flatten().tolist()})'
