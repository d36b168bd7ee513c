"""Metric definitions, exactly as DESIGN.md states them.

Over the live honest agents with states x_i and mean m:
- dispersion D = mean_i ||x_i - m|| (Euclidean norm); D0 is its value after initialization;
- consensus score = 1 - D / D0 clipped to [0, 1], and 1 when D0 = 0;
- accuracy (estimate tasks): error ||m - truth|| and its ratio to the initial crowd error
  ||m0 - truth||, m0 the mean of the initial signals;
- time to consensus: the first virtual time from which the score stays >= target.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from convergence.agent import FloatArray

__all__ = ["accuracy", "consensus_score", "dispersion", "time_to_consensus"]


def dispersion(states: FloatArray) -> float:
    """Mean Euclidean distance of the rows of `states` from their mean (0 for no rows)."""
    if len(states) == 0:
        return 0.0
    centred = states - states.mean(axis=0)
    return float(np.sqrt(np.einsum("ij,ij->i", centred, centred)).mean())


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
