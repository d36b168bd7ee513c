"""Small, exact statistics for comparing protocols over replicates (no SciPy needed).

- `mean_interval`: the mean and its two-sided t-based confidence interval,
  mean +- t_{(1+level)/2, n-1} * s / sqrt(n), s the sample standard deviation;
  clipped to the metric's range when it has one (`METRIC_RANGES`: a score in [0, 1] or a
  percentage cannot have an interval past its bound);
- `ratio_interval`: the ratio of two means over paired replicates (same seeds) and its
  percentile bootstrap interval: the replicate indices are resampled with replacement,
  the same indices for both sides, so seed-to-seed variation common to both cancels.
The Student t quantile comes from the regularized incomplete beta function (continued
fraction, Numerical Recipes 6.4) inverted by bisection, accurate to ~1e-10.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["METRIC_RANGES", "Interval", "mean_interval", "ratio_interval", "t_quantile"]

# The metrics with a bounded range; their t-intervals are clipped to it.
METRIC_RANGES: dict[str, tuple[float, float]] = {
    "consensus": (0.0, 1.0),
    "accuracy": (0.0, 1.0),
    "cqi": (0.0, 1.0),
    "sps": (0.0, 100.0),
}


@dataclass(frozen=True)
class Interval:
    """An estimate with its confidence interval and the number of values behind it."""

    estimate: float | None
    low: float | None
    high: float | None
    n: int


def _beta_continued_fraction(a: float, b: float, x: float) -> float:
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 400):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < 1e-15:
            break
    return h


def _incomplete_beta(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _beta_continued_fraction(a, b, x) / a
    return 1.0 - math.exp(log_front) * _beta_continued_fraction(b, a, 1.0 - x) / b


def _t_cdf(t: float, df: float) -> float:
    tail = 0.5 * _incomplete_beta(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t >= 0 else tail


def t_quantile(p: float, df: float) -> float:
    """The p-quantile of Student's t with `df` degrees of freedom (0.5 <= p < 1)."""
    if not 0.5 <= p < 1.0 or df <= 0:
        raise ValueError(f"t_quantile needs 0.5 <= p < 1 and df > 0, got p={p}, df={df}")
    low, high = 0.0, 1.0
    while _t_cdf(high, df) < p:
        high *= 2.0
    for _ in range(200):
        mid = 0.5 * (low + high)
        if _t_cdf(mid, df) < p:
            low = mid
        else:
            high = mid
        if high - low < 1e-12 * max(1.0, high):
            break
    return 0.5 * (low + high)


def mean_interval(
    values: Sequence[float | None], level: float = 0.95, bounds: tuple[float, float] | None = None
) -> Interval:
    """Mean of the values that are not None, with its t-based interval (None if n < 2),
    clipped to `bounds` (low, high) when given."""
    data = np.array([v for v in values if v is not None], dtype=np.float64)
    n = len(data)
    if n == 0:
        return Interval(None, None, None, 0)
    mean = float(data.mean())
    if n == 1:
        return Interval(mean, None, None, 1)
    half = t_quantile(0.5 + level / 2.0, n - 1) * float(data.std(ddof=1)) / math.sqrt(n)
    low, high = mean - half, mean + half
    if bounds is not None:
        low, high = max(low, bounds[0]), min(high, bounds[1])
    return Interval(mean, low, high, n)


def ratio_interval(
    numerator: Sequence[float | None],
    denominator: Sequence[float | None],
    *,
    seed: int,
    level: float = 0.95,
    resamples: int = 2000,
) -> Interval:
    """mean(numerator) / mean(denominator) over the pairs where both are known, with a
    paired percentile bootstrap interval (`resamples` draws from a generator seeded by `seed`).
    """
    pairs = [(a, b) for a, b in zip(numerator, denominator, strict=True) if a is not None and b is not None]
    n = len(pairs)
    if n == 0:
        return Interval(None, None, None, 0)
    top = np.array([a for a, _ in pairs], dtype=np.float64)
    bottom = np.array([b for _, b in pairs], dtype=np.float64)
    if bottom.sum() <= 0:
        return Interval(None, None, None, n)
    estimate = float(top.mean() / bottom.mean())
    if n == 1:
        return Interval(estimate, None, None, 1)
    rng = np.random.default_rng(seed)
    index = rng.integers(0, n, size=(resamples, n))
    bottom_means = bottom[index].mean(axis=1)
    valid = bottom_means > 0
    ratios = top[index].mean(axis=1)[valid] / bottom_means[valid]
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(ratios, [alpha, 1.0 - alpha])
    return Interval(estimate, float(low), float(high), n)
