"""Push-sum (Kempe, Dobra, Gehrke 2003): gossip that carries (sum, weight) pairs.

Agent i holds a weight w_i (from its behaviour's initial state; 1 by default) and an
estimate x_i, so its sum is s_i = w_i x_i. Each synchronous round it keeps half of its
weight and pushes the other half, with its estimate, to a uniformly random neighbour on the
topology; it then takes the weight-averaged estimate of what it kept and what it was sent.
That is exactly Kempe's (s, w) halving, written as (x, w) so that every message carries an
estimate like the other protocols' (and a Byzantine sender lies about the estimate). Sums of
s and w over the agents are conserved by every round while no message is lost, so the
estimates converge to the weighted mean whoever talks to whom. The update is linear
whatever the agents' behaviour (which gives only the initial state).

A dropped message takes its mass with it, and so does a crashed agent: the run ends with a
`mass` event (compensated sums over the live agents) giving the initial and final weight and
sums and the share of weight lost, rather than pretending the result is exact.

A round ends when every push of the round has arrived or the phase timeout passed: the round
clock knows how many pushes each agent was sent (the synchronous model's clock), so no agent
waits for mail that was never posted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from convergence.agent import FloatArray, State
from convergence.messages import Message, MessageKind
from convergence.metrics import exact_sum
from convergence.protocols.common import run_agents
from convergence.protocols.rounds import Rounds
from convergence.scenario import Scenario

if TYPE_CHECKING:
    from convergence.engine import Simulation

__all__ = ["PushSumProtocol", "push_sum_merge"]


def push_sum_merge(own: State, heard: Sequence[Message]) -> State:
    """The kept half plus every push heard: weights add, sums (weight x estimate) add."""
    ordered = sorted(heard, key=lambda message: message.sender)
    weight = own.weight + math.fsum(message.payload.weight for message in ordered)
    total = own.weight * own.value
    for message in ordered:
        total = total + message.payload.weight * message.payload.value
    return State(total / weight, weight) if weight > 0.0 else own


class PushSumProtocol:
    """Synchronous push-sum on the scenario's topology."""

    name = "push-sum"

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario

    async def run(self, sim: Simulation) -> None:
        self._degrees = sim.graph.degrees
        self.initial = self._mass(sim)
        self.rounds = Rounds(sim, sim.n, phase_fields=self._weight_total, on_round_end=self._draw_targets)
        self.rounds.start()
        self._draw_targets(0)
        await run_agents(sim, self._agent)
        sum0, weight0 = self.initial
        sums, weight = self._mass(sim)
        sim.emit(
            "mass",
            weight_initial=weight0,
            weight_final=weight,
            weight_lost=weight0 - weight,
            weight_lost_share=(weight0 - weight) / weight0 if weight0 else 0.0,
            sum_initial=sum0,
            sum_final=sums,
        )

    @staticmethod
    def _mass(sim: Simulation) -> tuple[list[float | None], float]:
        """(sum of w_i x_i per coordinate, sum of w_i) over the agents still up, compensated.

        A sum that overflows (a liar's huge value) is None.
        """
        up = ~sim.crashed
        weights = sim.weights[up]
        with np.errstate(over="ignore"):
            sums: FloatArray = sim.values[up] * weights[:, None]
        return [exact_sum(column) for column in sums.T.tolist()], math.fsum(weights.tolist())

    def _weight_total(self) -> dict[str, float]:
        return {"weight_total": self._mass(self.rounds.sim)[1]}

    def _draw_targets(self, _round: int) -> None:
        """Draw every agent's push target for the next round (-1: no neighbour, keep all)."""
        sim, graph, degrees = self.rounds.sim, self.rounds.sim.graph, self._degrees
        picks = sim.rng.integers(np.maximum(degrees, 1))
        has = degrees > 0
        slots = np.minimum(graph.indptr[:-1] + picks, max(len(graph.indices) - 1, 0))
        chosen = graph.indices[slots] if len(graph.indices) else np.zeros(sim.n, dtype=np.int64)
        self.targets = np.where(has, chosen, -1)
        pushing = has & ~sim.crashed
        self.expected = np.bincount(self.targets[pushing], minlength=sim.n)

    async def _agent(self, sim: Simulation, agent: int) -> None:
        current = self.rounds.first()
        while current is not None:
            target = int(self.targets[agent])
            state = sim.state_of(agent)
            if target >= 0:
                state = State(state.value, state.weight / 2.0)
                sim.set_state(agent, state)
                sim.plan_exchanges(current, 1)
                sim.send(agent, target, MessageKind.STATE, current, state)
            wait = sim.now + sim.phase_timeout
            got = await sim.collect(agent, current, int(self.expected[agent]), wait)
            sim.merge(agent, current, state, got, rule=push_sum_merge)
            current = await self.rounds.advance(current, agent)
