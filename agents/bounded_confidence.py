"""`bounded-confidence`: Hegselmann-Krause, each agent moves to the mean of the opinions it trusts.

An agent trusts the opinions within `epsilon` of its own (Euclidean distance), itself
included, and moves to their plain mean (HK counts every opinion once, so weights are kept,
not used). Boundary: a distance counts as within epsilon when
||a - b|| <= epsilon + 1e-12 * max(1, |a|_inf, |b|_inf), so rounding in the subtraction never
splits opinions that are exactly epsilon apart (0.8 - 0.2 <= 0.6 holds here, though not in
raw floating point), and with epsilon = 0 only equal opinions (to 1e-12) see each other.

Every received state counts as one opinion, so `merge` and `combine` (the protocols' merge
of states from distinct agents) are the same rule. Which opinions arrive is the protocol's
business: under `all-to-all` every agent receives every other agent's opinion of the
previous round and all update at once, which is exactly synchronous Hegselmann-Krause;
under `degroot` it is HK on the graph (neighbours only); under `symmetric` it is a
bounded-confidence merge with the mirror partners.
The mean is summed in sorted order, so agents trusting the same set land on the same float.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from convergence.agent import BehaviourContext, FloatArray, State
from convergence.errors import ConvergenceError

__all__ = ["BoundedConfidence", "within_confidence"]

BOUNDARY_TOLERANCE = 1e-12


def within_confidence(a: FloatArray, b: FloatArray, epsilon: float) -> bool:
    """Whether opinion `b` lies within `epsilon` of `a` (with the documented tolerance)."""
    scale = max(1.0, float(np.max(np.abs(a))), float(np.max(np.abs(b))))
    return float(np.linalg.norm(a - b)) <= epsilon + BOUNDARY_TOLERANCE * scale


class BoundedConfidence:
    """Move to the mean of every opinion within epsilon, one's own included."""

    name: ClassVar[str] = "bounded-confidence"

    def __init__(self, context: BehaviourContext) -> None:
        if context.epsilon is None:
            raise ConvergenceError("bounded-confidence agents need agents.epsilon (e.g. epsilon: 0.2)")
        self.epsilon = context.epsilon

    def initial_state(self, signal: FloatArray, *, agent: int) -> State:
        return State(np.array(signal, dtype=np.float64), 1.0)

    def merge(self, own: State, received: Sequence[State]) -> State:
        return self.combine(own, received)

    def combine(self, own: State, received: Sequence[State]) -> State:
        """Move to the mean of own opinion and every received one within epsilon."""
        near = [s.value for s in received if within_confidence(own.value, s.value, self.epsilon)]
        if not near:
            return own
        stacked = np.array([own.value, *near], dtype=np.float64).reshape(len(near) + 1, -1)
        ordered = stacked[np.lexsort(stacked.T[::-1])]
        value = ordered.sum(axis=0) / len(ordered)
        return State(value.reshape(own.value.shape), own.weight)
