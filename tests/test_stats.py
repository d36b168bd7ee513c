"""Interval statistics: Student t quantiles, t-based means, paired bootstrap ratios."""

from __future__ import annotations

import math

import numpy as np
import pytest

from convergence.stats import mean_interval, ratio_interval, t_quantile


@pytest.mark.parametrize(
    ("p", "df", "expected"),
    [
        (0.975, 1, 12.706204736),
        (0.975, 2, 4.302652730),
        (0.975, 10, 2.228138852),
        (0.975, 29, 2.045229642),
        (0.975, 1000, 1.962339081),
        (0.995, 5, 4.032142984),
        (0.5, 7, 0.0),
    ],
)
def test_t_quantiles_match_the_tables(p: float, df: int, expected: float) -> None:
    assert t_quantile(p, df) == pytest.approx(expected, abs=1e-8)


def test_t_quantile_refuses_lower_tail() -> None:
    with pytest.raises(ValueError, match=r"^t_quantile needs 0.5 <= p < 1 and df > 0, got p=0.1, df=3$"):
        t_quantile(0.1, 3)


def test_mean_interval_is_t_based_and_skips_missing_values() -> None:
    interval = mean_interval([1.0, 2.0, None, 3.0, 4.0])
    half = t_quantile(0.975, 3) * float(np.std([1, 2, 3, 4], ddof=1)) / math.sqrt(4)
    assert interval.estimate == 2.5
    assert interval.n == 4
    assert interval.low == pytest.approx(2.5 - half)
    assert interval.high == pytest.approx(2.5 + half)
    assert mean_interval([None, None]).estimate is None
    assert mean_interval([5.0]).low is None


def test_ratio_interval_pairs_by_index_and_is_reproducible() -> None:
    rng = np.random.default_rng(1)
    base = rng.uniform(1, 2, 30)
    other = 3 * base * rng.uniform(0.99, 1.01, 30)  # strongly paired: ratio close to 3
    first = ratio_interval(list(other), list(base), seed=5)
    assert first == ratio_interval(list(other), list(base), seed=5)
    assert first.estimate == pytest.approx(other.mean() / base.mean())
    low, estimate, high = first.low, first.estimate, first.high
    assert low is not None
    assert estimate is not None
    assert high is not None
    assert low < estimate < high
    assert high - low < 0.02  # pairing cancels the seed-to-seed spread
    assert ratio_interval([1.0, None, 3.0], [1.0, 2.0, None], seed=0).n == 1
