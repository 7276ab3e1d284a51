"""lab.stats: bootstrap intervals and Welch's test."""
import numpy as np
import pytest

from lab.stats import bootstrap_diff_ci, compare, ratio_ci, welch_p


def test_bootstrap_interval_covers_the_difference_and_is_deterministic():
    a, b = [10.0, 11.0, 12.0, 13.0, 14.0], [5.0, 6.0, 7.0, 8.0, 9.0]
    low, high = bootstrap_diff_ci(a, b)
    assert low <= 5.0 <= high and high - low < 6
    assert bootstrap_diff_ci(a, b) == (low, high)  # seeded
    assert bootstrap_diff_ci([], b) is None
    same = bootstrap_diff_ci([1.0, 1.0], [1.0, 1.0])
    assert same == (0.0, 0.0)


def test_welch_p_matches_scipy_and_edge_cases():
    from scipy import stats
    a, b = [1.0, 2.0, 3.5, 4.0], [2.0, 5.0, 6.0, 9.0, 7.5]
    assert welch_p(a, b) == pytest.approx(stats.ttest_ind(a, b, equal_var=False).pvalue)
    assert welch_p([1.0], b) is None
    assert welch_p([2.0, 2.0], [2.0, 2.0]) == 1.0


def test_compare_row():
    row = compare([12.0, 14.0, 13.0], [10.0, 10.5, 9.5])
    assert row['n'] == 3 and row['mean'] == pytest.approx(13.0) and row['diff'] == pytest.approx(3)
    assert row['ci_low'] <= 3 <= row['ci_high'] and 0 <= row['p'] <= 1
    assert row['rel'] == pytest.approx(0.3)
    assert compare([1.0], [])['std'] == 0.0 and 'diff' not in compare([1.0], [])


def test_ratio_ci_is_paired():
    rng = np.random.default_rng(0)
    base = rng.uniform(1, 2, 200)
    ratio, low, high = ratio_ci(base * 1.25, base)  # a constant factor: no spread at all
    assert ratio == pytest.approx(1.25) and low == pytest.approx(1.25) and high == pytest.approx(1.25)
    noisy = base * 1.25 + rng.normal(0, 0.05, 200)
    ratio, low, high = ratio_ci(noisy, base)
    assert low < ratio < high and low < 1.25 < high
    with pytest.raises(ValueError):
        ratio_ci([1.0], [1.0, 2.0])
