"""The symmetric convergence protocol, agent side: init broadcast, then one merge per level.

Each agent runs its own coroutine. At a level where its group merges it sends its state to
its mirror partners, waits for theirs until the level's deadline, and merges what came. An
agent that sits a level out (a bye, or an observer until the last level) gets that level's
timeout added to its next wait, so skipping never shortens anyone's patience.

Agents run under the runtime's fault control (`Simulation.run_agents`): a crashed agent
counts as done for the levels it will never finish, so phase bookkeeping stays whole. With
validation on, every participant sends the observers an audit copy after each merge.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

import anyio
import numpy as np

from convergence.agent import State
from convergence.messages import COORDINATOR, MessageKind
from convergence.plan import Level, SymmetricPlan, build_symmetric_plan
from convergence.protocols.common import emit_merge
from convergence.scenario import Scenario
from convergence.validation import Auditor, AuditRecord

if TYPE_CHECKING:
    from convergence.engine import Simulation

__all__ = ["SymmetricProtocol"]


class _LevelRoutes:
    """Per-agent send lists, expected receive counts and groups of one level.

    Held as Python lists (indexing numpy scalars per agent costs more than the whole
    exchange); built when a level's first agent arrives and dropped when the level ends.
    """

    def __init__(self, level: Level, n: int, exchange: str) -> None:
        src, dst = level.edges(exchange)
        by_src = np.argsort(src, kind="stable")
        self.targets: list[int] = dst[by_src].tolist()
        self.pointers: list[int] = np.concatenate(([0], np.cumsum(np.bincount(src, minlength=n)))).tolist()
        self.expected: list[int] = np.bincount(dst, minlength=n).tolist()
        group_of = np.full(n, -1, dtype=np.int64)
        group_of[level.order] = np.repeat(np.arange(level.n_groups), level.sizes)
        self.group_of: list[int] = group_of.tolist()


def _participants(level: Level, n: int) -> list[bool]:
    """Which agents exchange at this level (members of merging groups, not byes)."""
    mask = np.zeros(n, dtype=bool)
    mask[level.order] = np.repeat(level.right >= 0, level.sizes)
    participates: list[bool] = mask.tolist()
    return participates


class SymmetricProtocol:
    """Pairs -> quads (+ observers) -> octads -> doubling -> full convergence."""

    name = "symmetric"

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.plan: SymmetricPlan = build_symmetric_plan(scenario.agents.count, scenario.protocol.observers)
        self.exchange = scenario.protocol.exchange

    async def run(self, sim: Simulation) -> None:
        plan = self.plan
        sim.phases_are_message_levels = True
        self._participates = [_participants(level, plan.n) for level in plan.levels]
        self._participant_counts = [sum(mask) for mask in self._participates]
        self._routes: list[_LevelRoutes | None] = [None] * len(plan.levels)
        self._remaining_in_group = [np.diff(level.offsets).tolist() for level in plan.levels]
        self._finished = [0] * (len(plan.levels) + 1)
        self._started = [False] * (len(plan.levels) + 1)
        self._group_messages = [[0] * level.n_groups for level in plan.levels]
        sim.plan_samples(sum(self._participant_counts))
        for level in plan.levels:
            sim.plan_exchanges(level.index, level.exchange_count(self.exchange))
        validation = self.scenario.validation
        self.auditor = (
            Auditor(sim, plan.observers.tolist(), self._participant_counts, validation)
            if validation.checks and len(plan.observers)
            else None
        )
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
        await sim.run_agents(partial(self._agent, sim))

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
        participants = self.plan.n if index == 0 else self._participant_counts[index - 1]
        if self._finished[index] < participants:
            return
        name, phase, groups = self._level_meta(index)
        if index:
            self._routes[index - 1] = None
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

    def _finish_group(self, sim: Simulation, index: int, group: int) -> None:
        remaining = self._remaining_in_group[index - 1]
        remaining[group] -= 1
        if remaining[group]:
            return
        members = self.plan.levels[index - 1].members(group)
        values = sim.values[members]
        emit_merge(sim, index, group, members.tolist(), self._group_messages[index - 1][group], values)

    # -- the agent ------------------------------------------------------------------------

    def _routes_for(self, index: int) -> _LevelRoutes:
        routes = self._routes[index - 1]
        if routes is None:
            level = self.plan.levels[index - 1]
            routes = self._routes[index - 1] = _LevelRoutes(level, self.plan.n, self.exchange)
        return routes

    async def _agent(self, sim: Simulation, agent: int) -> None:
        done = -1
        try:
            await sim.collect(agent, 0, 1, sim.now + sim.phase_timeout)
            self._finish_level(sim, 0)
            done = 0
            skipped, previous = 0, 0
            for index, participates in enumerate(self._participates, start=1):
                if not participates[agent]:
                    skipped += 1
                    done = index
                    continue
                routes = self._routes_for(index)
                self._start_level(sim, index)
                deadline = sim.now + sim.phase_timeout * (1 + skipped)
                skipped = 0
                state = sim.state_of(agent)
                group = routes.group_of[agent]
                first, last = routes.pointers[agent], routes.pointers[agent + 1]
                self._group_messages[index - 1][group] += last - first
                for target in routes.targets[first:last]:
                    sim.send(agent, target, MessageKind.STATE, index, state)
                got = await sim.collect(agent, index, routes.expected[agent], deadline)
                merged = sim.merge(agent, index, state, got)
                if self.auditor is not None:
                    received = tuple(m for m in got if isinstance(m.payload, State))
                    self.auditor.send(
                        AuditRecord(agent, index, group, previous, state.value, merged.value, received)
                    )
                    previous = index
                self._finish_group(sim, index, group)
                self._finish_level(sim, index)
                done = index
            if self.auditor is not None and agent in self.plan.observers:
                await self.auditor.finish(agent)
        except anyio.get_cancelled_exc_class():
            # Only this agent's crash counts it done for the rest; when the whole run is
            # cancelled (Ctrl-C, a stall) the levels it never reached must not be recorded.
            if sim.crashed[agent] and sim.stalled is None:
                self._abandon(sim, agent, done)
            raise
        except BaseException:
            if sim.stalled is None:
                self._abandon(sim, agent, done)
            raise

    def _abandon(self, sim: Simulation, agent: int, done: int) -> None:
        """Count a stopped agent as done for every level it did not finish."""
        if done < 0:
            self._finish_level(sim, 0)
        for index in range(max(done, 0) + 1, len(self.plan.levels) + 1):
            if not self._participates[index - 1][agent]:
                continue
            self._start_level(sim, index)
            self._finish_group(sim, index, int(self.plan.group_of(index)[agent]))
            self._finish_level(sim, index)
