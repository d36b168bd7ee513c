"""`weighted-mean`: merge two groups by their sizes, so averaging ends on the exact mean."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from convergence.agent import BehaviourContext, FloatArray, State

__all__ = ["WeightedMean", "merge_weighted"]


class WeightedMean:
    """Average own and received states, each side weighted by the signals it stands for.

    The received states are copies of the other side's state; their mean (and mean weight)
    stands for that side, so duplicates from several senders do not count twice.
    """

    name: ClassVar[str] = "weighted-mean"

    def __init__(self, context: BehaviourContext | None = None) -> None:
        self.context = context or BehaviourContext()

    def initial_state(self, signal: FloatArray, *, agent: int) -> State:
        return State(np.array(signal, dtype=np.float64), 1.0)

    def merge(self, own: State, received: Sequence[State]) -> State:
        return merge_weighted(own, received)


def merge_weighted(own: State, received: Sequence[State]) -> State:
    """Weighted mean of own state and the other side (the mean of the received copies)."""
    if len(received) == 1:
        other_value, other_weight = received[0].value, received[0].weight
    else:
        other_value = np.mean([state.value for state in received], axis=0)
        other_weight = float(np.mean([state.weight for state in received]))
    total = own.weight + other_weight
    value = (own.weight * own.value + other_weight * other_value) / total
    return State(value, total)
