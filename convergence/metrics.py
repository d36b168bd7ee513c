"""Metric definitions, exactly as DESIGN.md states them.

Over the live honest agents with states x_i and mean m:
- dispersion D = mean_i ||x_i - m|| (Euclidean norm); D0 is its value after initialization;
- consensus score = 1 - D / D0 clipped to [0, 1], and 1 when D0 = 0;
- accuracy (estimate tasks): error ||m - truth|| and its ratio to the initial crowd error
  ||m0 - truth||, m0 the mean of the initial signals;
- time to consensus: the first virtual time from which the score stays >= target.

Choice tasks (states are vote vectors over K options):
- an agent's top option is its largest share, ties (within 1e-9) broken by the run's tie
  order (a random permutation of the options: a fair coin between two tied options);
- the plurality option is the most common top option (ties by the same order);
- consensus = share of agents whose top option is the plurality option;
- accuracy = share of agents whose top option is the correct one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from convergence.agent import FloatArray

IntArray = NDArray[np.int64]

__all__ = [
    "TIE_TOLERANCE",
    "accuracy",
    "consensus_score",
    "dispersion",
    "exact_sum",
    "plurality",
    "time_to_consensus",
    "top_options",
]

TIE_TOLERANCE = 1e-9
"""Vote shares closer than this count as tied (real differences are >= 1/N >= 1e-7)."""


def dispersion(states: FloatArray) -> float:
    """Mean Euclidean distance of the rows of `states` from their mean (0 for no rows).

    Identical rows give exactly 0: their float mean may differ from them in the last bit,
    and a D0 of 1e-17 would make the consensus score meaningless (case C17).
    """
    if len(states) == 0 or bool(np.all(states == states[0])):
        return 0.0
    centred = states - states.mean(axis=0)
    return float(np.sqrt(np.einsum("ij,ij->i", centred, centred)).mean())


def exact_sum(values: Sequence[float]) -> float | None:
    """The correctly rounded sum (math.fsum), or None when it overflows."""
    try:
        return math.fsum(values)
    except OverflowError:
        return None


def consensus_score(d: float, d0: float) -> float:
    """1 - D/D0 clipped to [0, 1]; 1 when the initial dispersion is 0."""
    if d0 <= 0.0:
        return 1.0
    return min(1.0, max(0.0, 1.0 - d / d0))


def accuracy(states: FloatArray, initial: FloatArray, truth: FloatArray) -> tuple[float, float]:
    """Return (||m - truth||, ratio to ||m0 - truth||); the ratio is nan if m0 is exact."""
    error = float(np.linalg.norm(states.mean(axis=0) - truth))
    initial_error = float(np.linalg.norm(initial.mean(axis=0) - truth))
    ratio = error / initial_error if initial_error > 0 else (1.0 if error == 0 else math.inf)
    return error, ratio


def time_to_consensus(scores: Sequence[float], target: float) -> int | None:
    """Index of the first sample from which every later score is >= target, else None."""
    first: int | None = None
    for index, score in enumerate(scores):
        if score < target:
            first = None
        elif first is None:
            first = index
    return first


def top_options(states: FloatArray, tie_order: IntArray) -> IntArray:
    """Each row's top option: its largest share, ties broken by first place in `tie_order`."""
    k = states.shape[1]
    priority = np.empty(k, dtype=np.int64)
    priority[tie_order] = np.arange(k, 0, -1)
    tied = states >= states.max(axis=1, keepdims=True) - TIE_TOLERANCE
    return np.asarray(np.where(tied, priority, 0).argmax(axis=1), dtype=np.int64)


def plurality(top: IntArray, options: int, tie_order: IntArray) -> tuple[int, float]:
    """(the most common top option, the share of rows holding it); (-1, 1.0) for no rows."""
    if len(top) == 0:
        return -1, 1.0
    counts = np.bincount(top, minlength=options)
    tied = np.flatnonzero(counts == counts.max())
    winner = next(int(option) for option in tie_order if option in tied)
    return winner, float(counts[winner]) / len(top)
