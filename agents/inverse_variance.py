"""`inverse-variance`: weight each signal by its known precision 1 / sigma_i^2 (estimate tasks).

With independent Gaussian noise this is the Bayesian (flat-prior) posterior mean, the best
linear unbiased estimate of the truth. The precision is the state's weight, so every merge
is the precision-weighted mean of the two sides and an exact protocol (symmetric, tree,
recursive doubling without faults) ends on sum_i x_i / sigma_i^2 / sum_i 1 / sigma_i^2.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from agents.weighted_mean import merge_weighted
from convergence.agent import BehaviourContext, FloatArray, State
from convergence.errors import ConvergenceError

__all__ = ["InverseVariance"]


class InverseVariance:
    """Precision-weighted mean: initial weight 1 / sigma_i^2, merges weighted by it."""

    name: ClassVar[str] = "inverse-variance"

    def __init__(self, context: BehaviourContext) -> None:
        if context.task != "estimate" or context.noise_sigma is None:
            raise ConvergenceError(
                f"inverse-variance agents need an estimate task with known noise, not {context.task!r}"
            )
        sigma = np.broadcast_to(np.asarray(context.noise_sigma, dtype=np.float64), (context.n_agents,))
        zero = np.flatnonzero(sigma <= 0)
        if len(zero):
            raise ConvergenceError(
                f"inverse-variance needs every task.noise.sigma > 0 (agent {int(zero[0])} has "
                f"{float(sigma[zero[0]])}); an agent without noise knows the truth"
            )
        self.precision = 1.0 / sigma**2

    def initial_state(self, signal: FloatArray, *, agent: int) -> State:
        return State(np.array(signal, dtype=np.float64), float(self.precision[agent]))

    def merge(self, own: State, received: Sequence[State]) -> State:
        return merge_weighted(own, received)
