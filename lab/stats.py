"""Statistics for studies over a few seeds: Welch intervals, Holm's correction.

Seeds are few (five held-out seeds per cell), so every difference of means is
reported with Welch's t-interval (unequal variances, Welch-Satterthwaite
degrees of freedom), whose coverage is right at n = 5 where a per-arm
percentile bootstrap's is not (about 87% for a nominal 95%), and with Welch's
two-sided p. A table of several comparisons is corrected with Holm's
step-down method (:func:`holm`): a claim stands only where the adjusted p is
below 0.05.
"""
import math
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np


def _welch(a: np.ndarray, b: np.ndarray) -> Optional[Tuple[float, float, float]]:
    """(difference of means, its standard error, Welch-Satterthwaite df)."""
    if len(a) < 2 or len(b) < 2:
        return None
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = math.sqrt(va + vb)
    df = (va + vb)**2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1)) if se else math.inf
    return float(a.mean() - b.mean()), se, df


def welch_ci(a: Sequence[float], b: Sequence[float],
             level: float = 0.95) -> Optional[Tuple[float, float]]:
    """Welch's t-interval of ``mean(a) - mean(b)``; None with fewer than 2
    values in a group; a point interval if both groups are constant."""
    stats = _welch(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
    if stats is None:
        return None
    diff, se, df = stats
    if se == 0:
        return diff, diff
    from scipy import stats as st
    half = st.t.ppf(0.5 + level / 2, df) * se
    return diff - half, diff + half


def welch_p(a: Sequence[float], b: Sequence[float]) -> Optional[float]:
    """Two-sided p-value of Welch's t-test; None with fewer than 2 values in a
    group, 1.0 if both groups are constant and equal (0.0 if unequal)."""
    stats = _welch(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
    if stats is None:
        return None
    diff, se, df = stats
    if se == 0:
        return 1.0 if diff == 0 else 0.0
    from scipy import stats as st
    return float(2 * st.t.sf(abs(diff) / se, df))


def holm(pvalues: Sequence[Optional[float]]) -> List[Optional[float]]:
    """Holm's step-down adjusted p-values (None stays None, and is not counted
    among the comparisons)."""
    known = sorted((p, i) for i, p in enumerate(pvalues) if p is not None)
    m = len(known)
    adjusted: List[Optional[float]] = [None] * len(pvalues)
    running = 0.0
    for rank, (p, i) in enumerate(known):
        running = max(running, min(1.0, (m - rank) * p))
        adjusted[i] = running
    return adjusted


def compare(values: Sequence[float], baseline: Sequence[float]) -> Dict[str, Optional[float]]:
    """Mean, std, and against ``baseline`` (when given): the difference of means
    with its 95% Welch interval, the relative difference and Welch's p."""
    v, base = np.asarray(values, dtype=float), np.asarray(baseline, dtype=float)
    out = dict(n=len(v), mean=float(v.mean()) if len(v) else None,
               std=float(v.std(ddof=1)) if len(v) > 1 else None)  # no spread from one value
    if len(v) and len(base):
        diff = float(v.mean() - base.mean())
        ci = welch_ci(v, base) or (None, None)
        out.update(diff=diff, ci_low=ci[0], ci_high=ci[1],
                   rel=diff / base.mean() if base.mean() else math.nan, p=welch_p(v, base))
    return out


def ratio_ci(numerator: Sequence[float], denominator: Sequence[float], level: float = 0.95,
             resamples: int = 10000, seed: int = 0) -> tuple:
    """Ratio of means with a percentile bootstrap interval (paired samples,
    resampled together, as interleaved timings are; hundreds of pairs, where
    the bootstrap's coverage is right)."""
    x, y = np.asarray(numerator, dtype=float), np.asarray(denominator, dtype=float)
    if len(x) != len(y) or not len(x):
        raise ValueError('ratio_ci needs paired samples of the same, non-zero length')
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(x), (resamples, len(x)))
    ratios = x[idx].mean(1) / y[idx].mean(1)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(ratios, [tail, 100 - tail])
    return float(x.mean() / y.mean()), float(low), float(high)
