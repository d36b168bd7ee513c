"""Recursive doubling all-reduce (the MPI butterfly; Thakur, Rabenseifner, Gropp 2005).

N a power of two: log2 N steps; in step k rank p exchanges with p XOR 2^k and both merge.
Other N: N' = 2^floor(log2 N), r = N - N'. First each even agent among the first 2r sends its
state to the next odd one and sits out (the `fold` step); the N' left run the butterfly;
finally each odd agent among the first 2r sends the result back (`unfold`). That is
floor(log2 N) + 2 steps and N' log2 N' + 2r messages (N = 22: 6 steps, 76 messages).

States carry weights (the behaviour's `State.weight`, i.e. (sum, count)), so a folded pair
counts twice and `weighted-mean` ends on the exact mean. The topology is ignored: the
butterfly is an overlay that may message any agent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from convergence.messages import MessageKind
from convergence.protocols.common import PairRecorder, StepBook, StepInfo, adopt, run_agents
from convergence.scenario import Scenario

if TYPE_CHECKING:
    from convergence.engine import Simulation

__all__ = ["RecursiveDoublingPlan", "RecursiveDoublingProtocol"]


@dataclass(frozen=True)
class RecursiveDoublingPlan:
    """Sizes of the butterfly for `n` agents: N' = 2^m core ranks and r folded pairs."""

    n: int

    @property
    def core(self) -> int:
        return 1 << (self.n.bit_length() - 1) if self.n else 0

    @property
    def folded(self) -> int:
        return self.n - self.core

    @property
    def rounds(self) -> int:
        """Butterfly steps: log2 N'."""
        return self.core.bit_length() - 1 if self.core else 0

    @property
    def n_steps(self) -> int:
        return self.rounds + (2 if self.folded else 0)

    @property
    def n_messages(self) -> int:
        return self.core * self.rounds + 2 * self.folded

    def rank_of(self, agent: int) -> int | None:
        """The butterfly rank of an agent, or None for an agent folded out."""
        r = self.folded
        if agent < 2 * r:
            return agent // 2 if agent % 2 else None
        return agent - r

    def agent_of(self, rank: int) -> int:
        r = self.folded
        return 2 * rank + 1 if rank < r else rank + r

    def steps(self) -> list[StepInfo]:
        pairs, core = self.folded, self.core
        fold = [StepInfo("fold", "fold", pairs, 2 * pairs, pairs)] if pairs else []
        butterfly = [
            StepInfo(f"butterfly-{k + 1}", "butterfly", core // 2, core, core) for k in range(self.rounds)
        ]
        unfold = [StepInfo("unfold", "unfold", pairs, 2 * pairs, pairs)] if pairs else []
        return fold + butterfly + unfold


class RecursiveDoublingProtocol:
    """Butterfly all-reduce with the standard non-power-of-two fold and unfold."""

    name = "recursive-doubling"

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.plan = RecursiveDoublingPlan(scenario.agents.count)

    async def run(self, sim: Simulation) -> None:
        plan = self.plan
        self.book = StepBook(sim, plan.steps(), core=plan.core, folded=plan.folded)
        self.pairs = PairRecorder(sim)
        self.offset = 1 if plan.folded else 0
        await run_agents(sim, self._agent)

    async def _exchange(self, sim: Simulation, agent: int, partner: int, level: int, group: int) -> None:
        self.book.start(level)
        state = sim.state_of(agent)
        sim.send(agent, partner, MessageKind.STATE, level, state)
        got = await sim.collect(agent, level, 1, sim.now + sim.phase_timeout)
        sim.merge(agent, level, state, got)
        self.pairs.done(level, group, agent)
        self.book.finish(level)

    async def _agent(self, sim: Simulation, agent: int) -> None:
        plan = self.plan
        last = plan.n_steps
        rank = plan.rank_of(agent)
        if rank is None:  # folded out: hand the state over, wait for the result
            self.book.start(1)
            sim.send(agent, agent + 1, MessageKind.STATE, 1, sim.state_of(agent))
            self.pairs.done(1, agent // 2, agent)
            self.book.finish(1)
            got = await sim.collect(agent, last, 1, sim.now + sim.phase_timeout * last)
            sim.merge(agent, last, sim.state_of(agent), got, rule=adopt)
            self.pairs.done(last, agent // 2, agent)
            self.book.finish(last)
            return
        if plan.folded and agent < 2 * plan.folded:
            self.book.start(1)
            got = await sim.collect(agent, 1, 1, sim.now + sim.phase_timeout)
            sim.merge(agent, 1, sim.state_of(agent), got)
            self.pairs.done(1, agent // 2, agent)
            self.book.finish(1)
        for k in range(plan.rounds):
            partner_rank = rank ^ (1 << k)
            low = min(rank, partner_rank)
            group = (low >> (k + 1) << k) | (low & ((1 << k) - 1))
            await self._exchange(sim, agent, plan.agent_of(partner_rank), self.offset + k + 1, group)
        if plan.folded and agent < 2 * plan.folded:
            self.book.start(last)
            sim.send(agent, agent - 1, MessageKind.STATE, last, sim.state_of(agent))
            self.pairs.done(last, agent // 2, agent)
            self.book.finish(last)
