"""The agent API: what a behaviour (merge rule) implements, and the state it carries.

A behaviour turns a private signal into an initial state and merges its own state with the
states received from the other side of a merge. States carry a weight (how many initial
signals they stand for) so merges of unequal groups stay unbiased. Behaviours live in the
top-level `agents` package and import only this module and `convergence.errors`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

__all__ = ["Behaviour", "FloatArray", "State"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class State:
    """An agent's value and the weight (number of initial signals) behind it."""

    value: FloatArray
    weight: float = 1.0


@runtime_checkable
class Behaviour(Protocol):
    """A merge rule. Implementations must be deterministic given their inputs."""

    name: ClassVar[str]

    def initial_state(self, signal: FloatArray) -> State:
        """The state an agent starts from, given its private signal."""
        ...

    def merge(self, own: State, received: Sequence[State]) -> State:
        """Combine the agent's own state with the states received from the other side.

        In a mirror exchange `received` holds one or more copies of the other group's state
        (each sent by a different member). It is never empty: an agent that received
        nothing keeps its state without calling `merge`.
        """
        ...
