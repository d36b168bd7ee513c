"""Agent faults at run time: who is faulty, when each fault starts, and what liars send.

Faulty agents are the ones a fault lists, or drawn from the run's fault stream in the order
the faults are written. A fault starts at a virtual time or at the start of the first level
of a named phase; `Triggers` runs callbacks at either. A Byzantine agent runs the honest
protocol, but every state it sends (and every claim in its audit copies) is replaced by its
strategy's lie on the way out.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from convergence.agent import FloatArray, State
from convergence.scenario import Scenario
from convergence.scenario_faults import ByzantineFault, StragglerFault

__all__ = ["FaultAssignment", "FaultRuntime", "Triggers", "corrupt_payload"]

Lie = Callable[[FloatArray], FloatArray]


class Triggers:
    """Run callbacks at a virtual time, or when a phase (or level name) first starts."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._by_phase: dict[str, list[Callable[[], None]]] = {}
        self._started: set[str] = set()

    def at(self, when: float | str, callback: Callable[[], None]) -> None:
        if isinstance(when, str):
            if when in self._started:
                callback()
            else:
                self._by_phase.setdefault(when, []).append(callback)
        elif when <= self._loop.time():
            callback()
        else:
            self._loop.call_at(when, callback)

    @property
    def pending(self) -> list[str]:
        """Phase names still awaited (a fault or partition that never started)."""
        return sorted(self._by_phase)

    def phase_started(self, *names: str) -> None:
        """A level of these names (phase, level name) started: fire what waited for them."""
        for name in names:
            self._started.add(name)
            for callback in self._by_phase.pop(name, []):
                callback()


@dataclass(frozen=True)
class FaultAssignment:
    """One faulty agent: its fault, when it starts, and the fault's options."""

    agent: int
    kind: str
    at: float | str
    strategy: str | None = None

    def as_event(self) -> dict[str, Any]:
        record: dict[str, Any] = {"agent": self.agent, "kind": self.kind, "at": self.at}
        if self.strategy is not None:
            record["strategy"] = self.strategy
        return record


class FaultRuntime:
    """The faulty agents of one run and the lies the Byzantine ones tell."""

    def __init__(self, scenario: Scenario, rng: np.random.Generator, truth: FloatArray | None) -> None:
        n = scenario.agents.count
        self._rng = rng
        self._truth = truth
        self.assignments: list[FaultAssignment] = []
        self.byzantine: dict[int, ByzantineFault] = {}
        self.stragglers: dict[int, StragglerFault] = {}
        self.lying = np.zeros(n, dtype=bool)
        taken = np.zeros(n, dtype=bool)
        for fault in scenario.faults:
            if fault.agents is not None:
                chosen = list(fault.agents)
            else:
                free = np.flatnonzero(~taken)
                chosen = sorted(rng.permutation(free)[: fault.size].tolist())
            taken[chosen] = True
            strategy = fault.strategy if isinstance(fault, ByzantineFault) else None
            for agent in chosen:
                self.assignments.append(FaultAssignment(agent, fault.kind, fault.at, strategy))
                if isinstance(fault, ByzantineFault):
                    self.byzantine[agent] = fault
                elif isinstance(fault, StragglerFault):
                    self.stragglers[agent] = fault
        self._sent = dict.fromkeys(self.byzantine, 0)

    @property
    def byzantine_ids(self) -> list[int]:
        return sorted(self.byzantine)

    def of_kind(self, kind: str) -> list[int]:
        return sorted(a.agent for a in self.assignments if a.kind == kind)

    def lie_for(self, sender: int) -> Lie | None:
        """The lie a Byzantine sender tells in its next message (None if it is honest now)."""
        if not self.lying[sender]:
            return None
        fault = self.byzantine[sender]
        count = self._sent[sender]
        self._sent[sender] = count + 1
        if fault.strategy == "constant":
            constant = np.asarray(fault.value, dtype=np.float64)
            return lambda value: np.broadcast_to(constant, value.shape).astype(np.float64)
        if fault.strategy == "random":
            rng, scale = self._rng, fault.scale
            return lambda value: scale * rng.standard_normal(value.shape)
        if fault.strategy == "flip":
            truth = self._truth
            return lambda value: 2.0 * truth - value if truth is not None else -value
        offset = fault.scale if count % 2 == 0 else -fault.scale
        return lambda value: value + offset


def corrupt_payload(payload: Any, lie: Lie) -> Any:
    """`payload` with every state value in it replaced by `lie(value)`.

    States and bare arrays are replaced; any other object that offers `map_values(lie)`
    (an audit record) maps its own claims; anything else passes unchanged.
    """
    if isinstance(payload, State):
        return State(lie(payload.value), payload.weight)
    if isinstance(payload, np.ndarray):
        return lie(payload)
    mapper = getattr(payload, "map_values", None)
    if callable(mapper):
        return mapper(lie)
    return payload
