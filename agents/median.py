"""`median`: the coordinate-wise median of the agent's own state and what it received."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from convergence.agent import BehaviourContext, FloatArray, State

__all__ = ["Median"]


class Median:
    """Per coordinate, the median of own and received values (robust to a minority of liars).

    With a mirror exchange (one value received) it is the midpoint; with an all-to-all
    exchange it is the median of the merged group. The weight adds up like a mean's, so
    the state still says how many signals stand behind it.
    """

    name: ClassVar[str] = "median"

    def __init__(self, context: BehaviourContext | None = None) -> None:
        self.context = context or BehaviourContext()

    def initial_state(self, signal: FloatArray, *, agent: int) -> State:
        return State(np.array(signal, dtype=np.float64), 1.0)

    def merge(self, own: State, received: Sequence[State]) -> State:
        values = np.vstack([own.value, *(state.value for state in received)])
        weight = own.weight + float(np.mean([state.weight for state in received]))
        return State(np.median(values, axis=0), weight)
