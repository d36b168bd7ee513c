"""The symmetric convergence protocol, agent side: init broadcast, then one merge per level.

Each agent runs its own coroutine. At a level where its group merges it sends its state to
its mirror partners, waits for theirs until the level's deadline, and merges what came. An
agent that sits a level out (a bye, or an observer until the last level) gets that level's
timeout added to its next wait, so skipping never shortens anyone's patience.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import anyio
import numpy as np

from convergence.messages import COORDINATOR, Message, MessageKind
from convergence.plan import Level, SymmetricPlan, build_symmetric_plan
from convergence.scenario import Scenario

if TYPE_CHECKING:
    from convergence.engine import Simulation

__all__ = ["SymmetricProtocol"]


class _LevelRoutes:
    """Per-agent send lists and expected receive counts of one level (CSR arrays)."""

    def __init__(self, level: Level, n: int) -> None:
        src, dst = level.edges()
        by_src = np.argsort(src, kind="stable")
        self.targets = dst[by_src]
        self.pointers = np.concatenate(([0], np.cumsum(np.bincount(src, minlength=n))))
        self.expected = np.bincount(dst, minlength=n)
        self.participants = int(np.count_nonzero(self.pointers[1:] - self.pointers[:-1]))
        self.group_of = np.full(n, -1, dtype=np.int64)
        self.group_of[level.order] = np.repeat(np.arange(level.n_groups), level.sizes)


class SymmetricProtocol:
    """Pairs -> quads (+ observers) -> octads -> doubling -> full convergence."""

    name = "symmetric"

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.plan: SymmetricPlan = build_symmetric_plan(
            scenario.agents.count, scenario.protocol.observers
        )

    async def run(self, sim: Simulation) -> None:
        plan = self.plan
        self.routes = [_LevelRoutes(level, plan.n) for level in plan.levels]
        self._remaining_in_group = [np.diff(level.offsets) for level in plan.levels]
        self._finished = [0] * (len(plan.levels) + 1)
        self._started = [False] * (len(plan.levels) + 1)
        self._group_messages = [np.zeros(level.n_groups, dtype=np.int64) for level in plan.levels]
        sim.plan_samples(sum(r.participants for r in self.routes))
        sim.emit(
            "run_start",
            **sim.start_fields(),
            observers=plan.observers.tolist(),
            levels=[
                {"level": lv.index, "name": lv.name, "phase": lv.phase, "groups": lv.n_groups}
                for lv in plan.levels
            ],
        )
        sim.sample()
        self._start_level(sim, 0)
        for agent in range(plan.n):
            sim.send(COORDINATOR, agent, MessageKind.INIT, 0, None)
        async with anyio.create_task_group() as group:
            for agent in range(plan.n):
                group.start_soon(self._agent, sim, agent)

    # -- phase bookkeeping ----------------------------------------------------------------

    def _level_meta(self, index: int) -> tuple[str, str, int]:
        if index == 0:
            return "init", "init", 1
        level = self.plan.levels[index - 1]
        return level.name, level.phase, level.n_groups

    def _start_level(self, sim: Simulation, index: int) -> None:
        if self._started[index]:
            return
        self._started[index] = True
        name, phase, groups = self._level_meta(index)
        byes = self.plan.levels[index - 1].byes.tolist() if index else []
        sim.emit("phase_start", level=index, name=name, phase=phase, groups=groups, byes=byes)

    def _finish_level(self, sim: Simulation, index: int) -> None:
        self._finished[index] += 1
        participants = self.plan.n if index == 0 else self.routes[index - 1].participants
        if self._finished[index] < participants:
            return
        name, phase, groups = self._level_meta(index)
        sim.sample()
        score, d = sim.snapshot()
        sim.emit(
            "phase_end",
            level=index,
            name=name,
            phase=phase,
            groups=groups,
            messages=sim.network.sent_by_level[index],
            dropped=sim.network.dropped_by_level[index],
            consensus=score,
            dispersion=d,
        )

    def _finish_group(self, sim: Simulation, index: int, agent: int, received: int) -> None:
        routes = self.routes[index - 1]
        group = int(routes.group_of[agent])
        remaining = self._remaining_in_group[index - 1]
        remaining[group] -= 1
        if remaining[group]:
            return
        level = self.plan.levels[index - 1]
        members = level.members(group)
        values = sim.values[members]
        from convergence.metrics import consensus_score, dispersion

        d = dispersion(values)
        sim.emit(
            "merge",
            level=index,
            group=group,
            size=len(members),
            members=members.tolist(),
            mean=[float(v) for v in values.mean(axis=0)],
            dispersion=d,
            consensus=consensus_score(d, sim.d0),
            messages=int(self._group_messages[index - 1][group]),
        )

    # -- the agent ------------------------------------------------------------------------

    async def _agent(self, sim: Simulation, agent: int) -> None:
        await sim.collect(agent, 0, 1, sim.now + sim.phase_timeout)
        self._finish_level(sim, 0)
        skipped = 0
        for index, routes in enumerate(self.routes, start=1):
            first, last = int(routes.pointers[agent]), int(routes.pointers[agent + 1])
            if first == last:
                skipped += 1
                continue
            self._start_level(sim, index)
            deadline = sim.now + sim.phase_timeout * (1 + skipped)
            skipped = 0
            state = sim.state_of(agent)
            group = int(routes.group_of[agent])
            self._group_messages[index - 1][group] += last - first
            for target in routes.targets[first:last].tolist():
                sim.send(agent, target, MessageKind.STATE, index, state)
            got = await sim.collect(agent, index, int(routes.expected[agent]), deadline)
            if got:
                merged = sim.behaviour.merge(state, [_state(m) for m in got])
                sim.set_state(agent, merged)
            self._finish_group(sim, index, agent, len(got))
            self._finish_level(sim, index)


def _state(message: Message) -> object:
    return message.payload
