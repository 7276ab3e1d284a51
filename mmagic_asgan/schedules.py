"""Epsilon schedules for :class:`RealSampleAttackHook`.

A schedule maps the runner's iteration (``runner.iter``: D steps, 0-based) to a
factor in [0, 1] that multiplies the attack's base ``epsilon``. It is a pure
function of the iteration, so a resumed run continues it exactly.

Shapes (``type``):
    * ``'constant'``: 1 inside ``[begin, end)``.
    * ``'linear'``: decays linearly from 1 at ``begin`` to ``final_ratio`` at ``end``.
    * ``'cosine'``: decays along half a cosine from 1 to ``final_ratio``.
Every shape can start with a linear warm-up of ``warmup_iters`` iterations
(factor ``(i + 1) / warmup_iters`` on the ``i``-th iteration after ``begin``).
Outside ``[begin, end)`` the factor is 0 (no attack).

Example:
    >>> s = EpsilonSchedule(type='cosine', warmup_iters=100, end=1000)
    >>> s(0), s(99), s(1000)
    (0.01, 1.0, 0.0)
"""
import math
from typing import Optional

SCHEDULE_TYPES = ('constant', 'linear', 'cosine')


class EpsilonSchedule:
    """Factor of the base epsilon as a function of the iteration.

    Args:
        type (str): ``'constant'``, ``'linear'`` or ``'cosine'``.
        begin (int): first iteration with an attack. Defaults to 0.
        end (int, optional): first iteration without an attack (exclusive end).
            ``None`` means the end of training (``max_iters``). The decaying
            shapes need an end: given here, or set by :meth:`bind` from the runner.
        warmup_iters (int): length of the linear warm-up after ``begin``.
        final_ratio (float): the factor a decaying shape reaches at ``end``.
    """

    def __init__(self,
                 type: str = 'constant',
                 begin: int = 0,
                 end: Optional[int] = None,
                 warmup_iters: int = 0,
                 final_ratio: float = 0.0) -> None:
        if type not in SCHEDULE_TYPES:
            raise ValueError(f'schedule.type must be one of {SCHEDULE_TYPES}, got {type!r}')
        if not isinstance(begin, int) or begin < 0:
            raise ValueError(f'schedule.begin must be an int >= 0, got {begin!r}')
        if end is not None and (not isinstance(end, int) or end <= begin):
            raise ValueError(f'schedule.end must be None or an int > begin ({begin}), got {end!r}')
        if not isinstance(warmup_iters, int) or warmup_iters < 0:
            raise ValueError(f'schedule.warmup_iters must be an int >= 0, got {warmup_iters!r}')
        if not 0.0 <= final_ratio <= 1.0:
            raise ValueError(f'schedule.final_ratio must be in [0, 1], got {final_ratio!r}')
        self.type = type
        self.begin = begin
        self.end = end
        self.warmup_iters = warmup_iters
        self.final_ratio = final_ratio

    def bind(self, max_iters: int) -> None:
        """Uses the run's length as ``end`` when none was given."""
        if self.end is None:
            self.end = max_iters

    def __call__(self, it: int) -> float:
        """The factor for iteration ``it`` (0-based)."""
        if it < self.begin or (self.end is not None and it >= self.end):
            return 0.0
        factor = 1.0
        if self.type != 'constant':
            if self.end is None:
                raise RuntimeError(f"a '{self.type}' epsilon schedule needs an end: set "
                                   'schedule.end, or call bind(max_iters)')
            progress = (it - self.begin) / (self.end - self.begin)
            shape = (1.0 - progress if self.type == 'linear' else
                     0.5 * (1 + math.cos(math.pi * progress)))
            factor = self.final_ratio + (1.0 - self.final_ratio) * shape
        if self.warmup_iters and it - self.begin < self.warmup_iters:
            factor *= (it - self.begin + 1) / self.warmup_iters
        return factor

    def __repr__(self) -> str:
        return (f'EpsilonSchedule(type={self.type!r}, begin={self.begin}, end={self.end}, '
                f'warmup_iters={self.warmup_iters}, final_ratio={self.final_ratio})')
