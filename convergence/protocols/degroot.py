"""DeGroot averaging (DeGroot 1974): synchronous rounds x(t+1) = W x(t) over the topology.

Each round every agent sends its value to its neighbours and takes the W-weighted average
of its own and theirs. W is row-stochastic with a positive diagonal:
- `metropolis` (default): W_ij = 1 / (1 + max(d_i, d_j)) for neighbours, W_ii the rest. W is
  doubly stochastic, so the limit is the plain mean.
- `equal`: W_ij = 1 / (d_i + 1) over the closed neighbourhood. The left Perron vector is
  pi_i = (d_i + 1) / sum_j (d_j + 1), and the limit is pi^T x(0), not the mean.
Either way pi^T x(t) is invariant at every step; each `phase_end` carries it as `invariant`.
A neighbour's value that does not arrive (a drop) counts as the agent's own (its weight
moves to the diagonal), so W stays row-stochastic but the invariant no longer holds.

That is the linear model, run when the agents' behaviour is `weighted-mean`. Any other
behaviour makes the same synchronous neighbourhood rounds non-linear: each agent merges its
own state with its neighbours' with the behaviour's `combine` (bounded-confidence: HK on the
graph), keeping its weight; `invariant` is then not reported.

A disconnected graph never reaches consensus: the run starts with a `topology` event naming
the component count and stops as `stalled` at the components' fixed point.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from convergence.agent import FloatArray, State
from convergence.messages import Message
from convergence.protocols.common import merge_heard, run_agents
from convergence.protocols.rounds import FixedPoint, Rounds, exchange_rounds
from convergence.scenario import Scenario
from convergence.topology import Graph

if TYPE_CHECKING:
    from convergence.engine import Simulation

__all__ = ["DegrootProtocol", "degroot_matrix", "degroot_weights", "perron_vector"]


def degroot_weights(graph: Graph, kind: str) -> tuple[FloatArray, FloatArray]:
    """(W_ij aligned with `graph.indices`, W_ii per agent) for `metropolis` or `equal`."""
    degrees = graph.degrees.astype(np.float64)
    rows = np.repeat(np.arange(graph.n), graph.degrees)
    if kind == "equal":
        off = 1.0 / (degrees[rows] + 1.0)
        return off, np.asarray(1.0 / (degrees + 1.0), dtype=np.float64)
    off = 1.0 / (1.0 + np.maximum(degrees[rows], degrees[graph.indices]))
    diagonal = 1.0 - np.bincount(rows, weights=off, minlength=graph.n)
    return off, np.asarray(diagonal, dtype=np.float64)


def degroot_matrix(graph: Graph, kind: str) -> FloatArray:
    """W as a dense matrix (for tests and small checks)."""
    off, diagonal = degroot_weights(graph, kind)
    matrix = np.diag(diagonal)
    rows = np.repeat(np.arange(graph.n), graph.degrees)
    matrix[rows, graph.indices] = off
    return matrix


def perron_vector(graph: Graph, kind: str) -> FloatArray:
    """The left Perron vector pi of W in closed form (uniform, or proportional to d_i + 1)."""
    if kind == "equal":
        closed = graph.degrees.astype(np.float64) + 1.0
        return np.asarray(closed / closed.sum(), dtype=np.float64)
    return np.full(graph.n, 1.0 / graph.n)


class DegrootProtocol:
    """Synchronous DeGroot rounds on the scenario's topology."""

    name = "degroot"

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.kind = scenario.protocol.weights

    async def run(self, sim: Simulation) -> None:
        graph = sim.graph
        self.off, self.diagonal = degroot_weights(graph, self.kind)
        self.pi = perron_vector(graph, self.kind)
        self.linear = sim.behaviour.name == "weighted-mean"
        fields = self._invariant if self.linear else None
        self.rounds = Rounds(sim, sim.n, stalled=FixedPoint(sim), phase_fields=fields)
        self.rounds.start(weights=self.kind if self.linear else sim.behaviour.name)
        sim.emit(
            "topology",
            name=graph.name,
            nodes=graph.n,
            edges=graph.n_edges,
            components=graph.n_components,
            connected=graph.is_connected,
        )
        await run_agents(sim, self._agent)

    def _invariant(self) -> dict[str, list[float]]:
        return {"invariant": [float(v) for v in self.pi @ self.rounds.sim.values]}

    async def _agent(self, sim: Simulation, agent: int) -> None:
        graph = sim.graph
        first, last = int(graph.indptr[agent]), int(graph.indptr[agent + 1])
        neighbours = graph.indices[first:last].tolist()
        weight_of = dict(zip(neighbours, self.off[first:last].tolist(), strict=True))
        diagonal = float(self.diagonal[agent])

        def weighted(own: State, heard: Sequence[Message]) -> State:
            # x_i <- W_ii x_i + sum_j W_ij x_j; a neighbour not heard leaves its W_ij on x_i.
            ordered = sorted(heard, key=lambda message: message.sender)
            senders = {message.sender for message in ordered}
            value = (diagonal + sum(w for other, w in weight_of.items() if other not in senders)) * own.value
            for message in ordered:
                value = value + weight_of[message.sender] * message.payload.value
            return State(value, own.weight)

        rule = weighted if self.linear else partial(merge_heard, sim.behaviour)
        await exchange_rounds(sim, self.rounds, agent, neighbours, rule)
