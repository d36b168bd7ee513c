"""Push-sum (Kempe, Dobra, Gehrke 2003): gossip that carries (sum, weight) pairs.

Agent i holds s_i = w_i x_i and w_i (from its behaviour's initial state; weight 1 by
default). Each synchronous round it keeps half of (s_i, w_i) and pushes the other half to a
uniformly random neighbour on the topology; its estimate is s_i / w_i. Sums of s and w are
conserved by every round as long as no message is lost, so the estimates converge to the
weighted mean whoever talks to whom. A dropped message takes its mass with it: the run ends
with a `mass` event giving the initial and final totals (compensated sums) and the share of
weight lost, rather than pretending the result is exact.

A round ends when every message pushed in it has arrived or the phase timeout passed: the
round clock knows how many pushes each agent was sent (the synchronous model's clock), so
no agent waits for mail that was never posted.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from convergence.agent import FloatArray, State
from convergence.messages import MessageKind
from convergence.protocols.common import run_agents
from convergence.protocols.rounds import Rounds
from convergence.scenario import Scenario

if TYPE_CHECKING:
    from convergence.engine import Simulation

__all__ = ["PushSumProtocol"]


class PushSumProtocol:
    """Synchronous push-sum on the scenario's topology."""

    name = "push-sum"

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario

    async def run(self, sim: Simulation) -> None:
        graph = sim.graph
        self.w: FloatArray = sim.weights.copy()
        self.s: FloatArray = sim.values * self.w[:, None]
        self.initial = (_fsum_columns(self.s), math.fsum(self.w.tolist()))
        self._degrees = graph.degrees
        self.rounds = Rounds(sim, sim.n, phase_fields=self._weight_total, on_round_end=self._draw_targets)
        self.rounds.start()
        self._draw_targets(0)
        await run_agents(sim, self._agent)
        sums, weight = _fsum_columns(self.s), math.fsum(self.w.tolist())
        sum0, weight0 = self.initial
        sim.emit(
            "mass",
            weight_initial=weight0,
            weight_final=weight,
            weight_lost=weight0 - weight,
            weight_lost_share=(weight0 - weight) / weight0 if weight0 else 0.0,
            sum_initial=sum0,
            sum_final=sums,
        )

    def _weight_total(self) -> dict[str, float]:
        return {"weight_total": math.fsum(self.w.tolist())}

    def _draw_targets(self, _round: int) -> None:
        """Draw every agent's push target for the next round (-1: no neighbour, keep all)."""
        sim, graph, degrees = self.rounds.sim, self.rounds.sim.graph, self._degrees
        picks = sim.rng.integers(np.maximum(degrees, 1))
        has = degrees > 0
        slots = np.minimum(graph.indptr[:-1] + picks, max(len(graph.indices) - 1, 0))
        chosen = graph.indices[slots] if len(graph.indices) else np.zeros(sim.n, dtype=np.int64)
        self.targets = np.where(has, chosen, -1)
        self.expected = np.bincount(self.targets[has], minlength=sim.n)

    async def _agent(self, sim: Simulation, agent: int) -> None:
        current = self.rounds.first()
        while current is not None:
            target = int(self.targets[agent])
            s, w = self.s[agent], float(self.w[agent])
            if target >= 0:
                s, w = s / 2.0, w / 2.0
                sim.send(agent, target, MessageKind.STATE, current, State(s, w))
            got = await sim.collect(agent, current, int(self.expected[agent]), sim.now + sim.phase_timeout)
            got.sort(key=lambda message: message.sender)
            for message in got:
                s = s + message.payload.value
                w += message.payload.weight
            self.s[agent], self.w[agent] = s, w
            if w > 0.0:
                sim.set_state(agent, State(s / w, w))
            current = await self.rounds.advance(current, agent)


def _fsum_columns(values: FloatArray) -> list[float]:
    return [math.fsum(column) for column in values.T.tolist()]
