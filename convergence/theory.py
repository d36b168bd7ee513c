"""Closed-form results the simulator must reproduce (see ORACLES.md); pure functions."""

from __future__ import annotations

import math

__all__ = ["condorcet_probability"]


def condorcet_probability(n: int, p: float) -> float:
    """P(majority of n independent voters, each right with probability p, is right).

    sum_{k > n/2} C(n, k) p^k (1 - p)^(n - k), plus half the tie term for even n (a fair
    coin breaks ties), which makes P_n = P_{n-1} for even n.
    """
    if n < 1 or not 0.0 <= p <= 1.0:
        raise ValueError(f"condorcet_probability needs n >= 1 and 0 <= p <= 1, got n={n}, p={p}")
    total = sum(math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(n // 2 + 1, n + 1))
    if n % 2 == 0:
        total += 0.5 * math.comb(n, n // 2) * (p * (1 - p)) ** (n // 2)
    return total
