"""Tasks: what the agents try to agree on, and the private signals they start from."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from convergence.agent import FloatArray
from convergence.scenario import EstimateTask

__all__ = ["TaskInstance", "draw_estimate_task"]


@dataclass(frozen=True)
class TaskInstance:
    """A drawn task: the hidden truth (if any) and one signal row per agent."""

    truth: FloatArray | None
    signals: FloatArray


def draw_estimate_task(task: EstimateTask, n: int, rng: np.random.Generator) -> TaskInstance:
    """Draw the truth (standard normal unless given) and truth + N(0, sigma_i^2) signals."""
    d = task.dimensions
    truth = np.asarray(task.truth, dtype=np.float64) if task.truth is not None else rng.standard_normal(d)
    sigma = np.asarray(task.noise.sigma, dtype=np.float64)
    sigma_column = sigma.reshape(-1, 1) if sigma.ndim else sigma
    signals = truth + sigma_column * rng.standard_normal((n, d))
    return TaskInstance(truth=truth, signals=signals)
