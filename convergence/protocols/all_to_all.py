"""All-to-all: every round every agent broadcasts its state to all others and merges.

A round costs N(N - 1) messages (N = 22: 462). The merge is the behaviour's `combine`
(folded `merge` by default) over the states received, in sender order; each agent keeps its
own weight, so repeating rounds (bounded confidence, medians) never inflates weights.
With `weighted-mean` one fault-free round gives every agent the exact mean. Rounds repeat
until the consensus target, the round/time limit, or a round that changes nothing (a fixed
point, e.g. separate bounded-confidence clusters: `stalled`); see `convergence.protocols.rounds`.
The topology is ignored: every agent messages every other.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from convergence.protocols.common import merge_heard, run_agents
from convergence.protocols.rounds import FixedPoint, Rounds, exchange_rounds
from convergence.scenario import Scenario

if TYPE_CHECKING:
    from convergence.engine import Simulation

__all__ = ["AllToAllProtocol"]


class AllToAllProtocol:
    """Synchronous all-to-all broadcast rounds."""

    name = "all-to-all"

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario

    async def run(self, sim: Simulation) -> None:
        self.rounds = Rounds(sim, sim.n, stalled=FixedPoint(sim))
        self.rounds.start()
        await run_agents(sim, self._agent)

    async def _agent(self, sim: Simulation, agent: int) -> None:
        others = [other for other in range(sim.n) if other != agent]
        await exchange_rounds(sim, self.rounds, agent, others, partial(merge_heard, sim.behaviour))
