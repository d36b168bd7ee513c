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

__all__ = ["Behaviour", "BehaviourContext", "FloatArray", "State"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class State:
    """An agent's value and the weight (number of initial signals) behind it."""

    value: FloatArray
    weight: float = 1.0


@dataclass(frozen=True, slots=True)
class BehaviourContext:
    """What a behaviour may know about its run; given to its constructor.

    `task` is the task's kind; `noise_sigma[i]` is agent i's known signal noise (standard
    deviation) in estimate tasks, else None; `epsilon` is the scenario's `agents.epsilon`;
    `trim` is how many values a robust merge drops from each end (`agents.trim`, by default
    the number of Byzantine agents the scenario's faults name).
    """

    n_agents: int = 1
    task: str = "estimate"
    epsilon: float | None = None
    noise_sigma: FloatArray | None = None
    trim: int = 0


@runtime_checkable
class Behaviour(Protocol):
    """A merge rule, constructed as `cls(context)`. Deterministic given its inputs."""

    name: ClassVar[str]

    def __init__(self, context: BehaviourContext) -> None: ...

    def initial_state(self, signal: FloatArray, *, agent: int) -> State:
        """The state agent number `agent` starts from, given its private signal."""
        ...

    def merge(self, own: State, received: Sequence[State]) -> State:
        """Combine the agent's own state with the states received from the other side.

        In a mirror exchange `received` holds one or more copies of the other group's state
        (each sent by a different member). It is never empty: an agent that received
        nothing keeps its state without calling `merge`.
        """
        ...
