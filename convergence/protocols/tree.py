"""Tree reduce then broadcast (Pattern 1): a coordinator, 2 sub-coordinators, 4, 8, ...

The tree is binomial, the one MPI's reduce and broadcast use: with L = ceil(log2 N), in
reduce step k (k = 0..L-1) every agent r with r mod 2^(k+1) = 2^k sends its partial state to
r - 2^k, which merges it; agent 0, the coordinator, then holds the result. The broadcast
runs the steps backwards: the holders double each step (1 coordinator, 2, 4, 8, ...) until
every agent has the result. Each agent sends at most one message per step, so a step costs
one latency: 2L steps and 2(N - 1) messages (N = 22: 10 steps, 42 messages).

Merges fold each child's (disjoint) subtree into the parent with the scenario's behaviour,
so `weighted-mean` ends on the exact mean. The topology is ignored (an overlay).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from convergence.messages import MessageKind
from convergence.protocols.common import PairRecorder, StepBook, StepInfo, adopt, run_agents
from convergence.scenario import Scenario

if TYPE_CHECKING:
    from convergence.engine import Simulation

__all__ = ["TreePlan", "TreeProtocol"]


@dataclass(frozen=True)
class TreePlan:
    """The binomial tree for `n` agents."""

    n: int

    @property
    def depth(self) -> int:
        """L = ceil(log2 N): reduce steps, and broadcast steps."""
        return (self.n - 1).bit_length() if self.n > 1 else 0

    @property
    def n_steps(self) -> int:
        return 2 * self.depth

    @property
    def n_messages(self) -> int:
        return 2 * (self.n - 1) if self.n else 0

    def senders(self, k: int) -> list[int]:
        """Agents sending up in reduce step k (each to agent - 2^k)."""
        return list(range(1 << k, self.n, 1 << (k + 1)))

    def parent_step(self, agent: int) -> int | None:
        """The reduce step in which `agent` sends up (its lowest set bit), None for 0."""
        return (agent & -agent).bit_length() - 1 if agent else None

    def reduce_level(self, k: int) -> int:
        return k + 1

    def broadcast_level(self, k: int) -> int:
        """Broadcast step with stride 2^k runs after the reduce, largest stride first."""
        return self.depth + (self.depth - k)

    def steps(self) -> list[StepInfo]:
        reduce = [
            StepInfo(f"reduce-{k + 1}", "reduce", groups, 2 * groups, groups)
            for k in range(self.depth)
            for groups in [len(self.senders(k))]
        ]
        broadcast = [
            StepInfo(f"broadcast-{self.depth - k}", "broadcast", groups, 2 * groups, groups)
            for k in reversed(range(self.depth))
            for groups in [len(self.senders(k))]
        ]
        return reduce + broadcast


class TreeProtocol:
    """Binomial-tree reduce to the coordinator (agent 0), then broadcast back."""

    name = "tree"

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.plan = TreePlan(scenario.agents.count)

    async def run(self, sim: Simulation) -> None:
        self.book = StepBook(sim, self.plan.steps(), coordinator=0)
        self.pairs = PairRecorder(sim)
        await run_agents(sim, self._agent)

    async def _agent(self, sim: Simulation, agent: int) -> None:
        plan, book = self.plan, self.book
        up = plan.parent_step(agent)
        top = plan.depth if up is None else up
        # Reduce: hear from each child (strides 1, 2, ... below the own lowest bit), then send up.
        for k in range(top):
            child = agent + (1 << k)
            if child >= plan.n:
                continue
            level = plan.reduce_level(k)
            book.start(level)
            got = await sim.collect(agent, level, 1, sim.now + sim.phase_timeout * (k + 1))
            sim.merge(agent, level, sim.state_of(agent), got)
            self.pairs.done(level, child >> (k + 1), agent)
            book.finish(level)
        if up is not None:
            level = plan.reduce_level(up)
            book.start(level)
            sim.send(agent, agent - (1 << up), MessageKind.STATE, level, sim.state_of(agent))
            self.pairs.done(level, agent >> (up + 1), agent)
            book.finish(level)
            # Broadcast: the result comes back down the same edge.
            level = plan.broadcast_level(up)
            waited = 2 * (plan.depth - up)
            got = await sim.collect(agent, level, 1, sim.now + sim.phase_timeout * waited)
            sim.merge(agent, level, sim.state_of(agent), got, rule=adopt)
            self.pairs.done(level, agent >> (up + 1), agent)
            book.finish(level)
        for k in reversed(range(top)):
            child = agent + (1 << k)
            if child >= plan.n:
                continue
            level = plan.broadcast_level(k)
            book.start(level)
            sim.send(agent, child, MessageKind.STATE, level, sim.state_of(agent))
            self.pairs.done(level, child >> (k + 1), agent)
            book.finish(level)
