"""Pieces the protocols share: merging several groups, step bookkeeping, merge events.

`combine` is how a protocol asks the scenario's behaviour to merge states from several
*distinct* groups (all-to-all, a tree parent hearing two children). A behaviour may offer
`combine(own, states)` for that; otherwise `merge` is folded one group at a time, which for
`weighted-mean` is the exact weighted mean of all of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

from convergence.agent import Behaviour, FloatArray, State
from convergence.messages import Message
from convergence.metrics import dispersion

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

    from convergence.engine import Simulation

__all__ = [
    "PairRecorder",
    "StepBook",
    "StepInfo",
    "adopt",
    "combine",
    "emit_merge",
    "merge_heard",
    "run_agents",
]


def combine(behaviour: Behaviour, own: State, states: Sequence[State]) -> State:
    """Merge `own` with states that each stand for a different group."""
    custom = getattr(behaviour, "combine", None)
    if custom is not None:
        result: State = custom(own, states)
        return result
    for state in states:
        own = behaviour.merge(own, [state])
    return own


def merge_heard(behaviour: Behaviour, own: State, heard: Sequence[Message]) -> State:
    """`combine` own state with the states heard this round, in sender order, keeping own weight.

    The merge rule (see `Simulation.merge`) of the repeated-round protocols (all-to-all,
    degroot with a non-linear behaviour): the same agents are heard again every round, so
    their weights must not accumulate.
    """
    ordered = sorted(heard, key=lambda message: message.sender)
    merged = combine(behaviour, own, [message.payload for message in ordered])
    return State(merged.value, own.weight)


def adopt(own: State, heard: Sequence[Message]) -> State:
    """The merge rule of a broadcast: take the state that came (the first, if several)."""
    payload: State = heard[0].payload
    return payload


def emit_merge(
    sim: Simulation, level: int, group: int, members: Sequence[int], messages: int, values: FloatArray
) -> None:
    """A `merge` event for one group (its members' states after the merge), symmetric's schema."""
    d = dispersion(values)
    sim.emit(
        "merge",
        level=level,
        group=group,
        size=len(members),
        members=list(members),
        mean=[float(v) for v in values.mean(axis=0)],
        dispersion=d,
        consensus=sim.task.consensus(values, d, sim.d0),
        messages=messages,
    )


async def run_agents(sim: Simulation, agent: Callable[[Simulation, int], Coroutine[Any, Any, None]]) -> None:
    """Run one coroutine per agent under the runtime's fault control; return when all are done.

    A crashed agent is cancelled, and one whose code raises is recorded as crashed (see
    `Simulation.run_agents`).
    """
    await sim.run_agents(partial(agent, sim))


class PairRecorder:
    """Emits one `merge` event per exchanging pair once both members have finished it.

    Each member's state is taken when it finishes, so a member that races ahead to the next
    step does not blur the record of this one.
    """

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self._pending: dict[tuple[int, int], list[tuple[int, FloatArray]]] = {}

    def done(self, level: int, group: int, agent: int) -> None:
        key = (level, group)
        entries = self._pending.setdefault(key, [])
        entries.append((agent, self.sim.values[agent].copy()))
        if len(entries) < 2:
            return
        del self._pending[key]
        entries.sort(key=lambda entry: entry[0])
        members = [agent for agent, _ in entries]
        emit_merge(self.sim, level, group, members, 2, np.array([value for _, value in entries]))


@dataclass(frozen=True)
class StepInfo:
    """One planned step of a fixed-step protocol: name, phase, groups, participants, messages."""

    name: str
    phase: str
    groups: int
    participants: int
    messages: int


class StepBook:
    """phase_start / phase_end events for a protocol with a fixed list of steps (levels 1..)."""

    def __init__(self, sim: Simulation, steps: Sequence[StepInfo], **start_fields: Any) -> None:
        self.sim = sim
        sim.phases_are_message_levels = True
        self.steps = list(steps)
        self._started = [False] * (len(steps) + 1)
        self._finished = [0] * (len(steps) + 1)
        sim.plan_samples(sum(step.participants for step in steps))
        for level, step in enumerate(steps, start=1):
            sim.plan_exchanges(level, step.messages)
        sim.emit(
            "run_start",
            **sim.start_fields(),
            levels=[
                {"level": level, "name": step.name, "phase": step.phase, "groups": step.groups}
                for level, step in enumerate(steps, start=1)
            ],
            **start_fields,
        )
        sim.sample()

    def start(self, level: int) -> None:
        """Emit `phase_start` the first time any participant enters `level`."""
        if self._started[level]:
            return
        self._started[level] = True
        step = self.steps[level - 1]
        self.sim.emit(
            "phase_start", level=level, name=step.name, phase=step.phase, groups=step.groups, byes=[]
        )

    def finish(self, level: int) -> None:
        """Count one participant done with `level`; the last one emits `phase_end`."""
        self._finished[level] += 1
        step = self.steps[level - 1]
        if self._finished[level] < step.participants:
            return
        sim = self.sim
        sim.sample()
        score, d = sim.snapshot()
        sim.emit(
            "phase_end",
            level=level,
            name=step.name,
            phase=step.phase,
            groups=step.groups,
            messages=sim.network.sent_by_level[level],
            dropped=sim.network.dropped_by_level[level],
            consensus=score,
            dispersion=d,
        )
