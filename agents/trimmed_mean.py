"""`trimmed-mean`: drop the f largest and f smallest values per coordinate, average the rest.

The Byzantine-tolerant merge of Dolev et al. (1986): with at most f liars among the values
it sees, the result lies within the range of the honest values among them, whatever the
liars send. With fewer than 2f + 1 values that guarantee is impossible, so the agent keeps
its own state rather than risk it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from convergence.agent import BehaviourContext, FloatArray, State

__all__ = ["TrimmedMean"]


class TrimmedMean:
    """Trimmed mean of own and received values, trimming `context.trim` from each end per coordinate."""

    name: ClassVar[str] = "trimmed-mean"

    def __init__(self, context: BehaviourContext | None = None) -> None:
        self.context = context or BehaviourContext()
        self.trim = self.context.trim

    def initial_state(self, signal: FloatArray, *, agent: int) -> State:
        return State(np.array(signal, dtype=np.float64), 1.0)

    def merge(self, own: State, received: Sequence[State]) -> State:
        values = np.vstack([own.value, *(state.value for state in received)])
        f = self.trim
        if len(values) < 2 * f + 1:
            return own
        kept = np.sort(values, axis=0)[f : len(values) - f]
        weight = own.weight + float(np.mean([state.weight for state in received]))
        return State(kept.mean(axis=0), weight)
