"""Statistics for studies over seeds: bootstrap confidence intervals and Welch's test.

Seeds are few (5 here), so every difference is reported with a 95% percentile
bootstrap interval of the difference of means (each group resampled with
replacement, independently) and Welch's unequal-variance t-test p-value.
"""
import math
from typing import Dict, Optional, Sequence

import numpy as np


def bootstrap_diff_ci(a: Sequence[float], b: Sequence[float], level: float = 0.95,
                      resamples: int = 10000, seed: int = 0) -> Optional[tuple]:
    """Percentile bootstrap interval of ``mean(a) - mean(b)``; None if either
    group is empty."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if not len(a) or not len(b):
        return None
    rng = np.random.default_rng(seed)
    diffs = (rng.choice(a, (resamples, len(a))).mean(1) -
             rng.choice(b, (resamples, len(b))).mean(1))
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(diffs, [tail, 100 - tail])
    return float(low), float(high)


def welch_p(a: Sequence[float], b: Sequence[float]) -> Optional[float]:
    """Two-sided p-value of Welch's t-test; None with fewer than 2 values in a
    group, 1.0 if both groups are constant and equal."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(a) < 2 or len(b) < 2:
        return None
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    if va + vb == 0:
        return 1.0 if a.mean() == b.mean() else 0.0
    from scipy import stats
    return float(stats.ttest_ind(a, b, equal_var=False).pvalue)


def compare(values: Sequence[float], baseline: Sequence[float]) -> Dict[str, Optional[float]]:
    """Mean, std, difference to the baseline's mean with its 95% CI, relative
    difference, and Welch's p."""
    v, base = np.asarray(values, dtype=float), np.asarray(baseline, dtype=float)
    out = dict(n=len(v), mean=float(v.mean()) if len(v) else None,
               std=float(v.std(ddof=1)) if len(v) > 1 else (0.0 if len(v) else None))
    if len(v) and len(base):
        diff = float(v.mean() - base.mean())
        ci = bootstrap_diff_ci(v, base)
        out.update(diff=diff, ci_low=ci[0], ci_high=ci[1],
                   rel=diff / base.mean() if base.mean() else math.nan, p=welch_p(v, base))
    return out


def ratio_ci(numerator: Sequence[float], denominator: Sequence[float], level: float = 0.95,
             resamples: int = 10000, seed: int = 0) -> tuple:
    """Ratio of means with a percentile bootstrap interval (paired samples:
    resampled together, as interleaved timings are)."""
    x, y = np.asarray(numerator, dtype=float), np.asarray(denominator, dtype=float)
    if len(x) != len(y) or not len(x):
        raise ValueError('ratio_ci needs paired samples of the same, non-zero length')
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(x), (resamples, len(x)))
    ratios = x[idx].mean(1) / y[idx].mean(1)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(ratios, [tail, 100 - tail])
    return float(x.mean() / y.mean()), float(low), float(high)
