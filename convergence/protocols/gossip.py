"""Randomized gossip (Boyd, Ghosh, Prabhakar, Shah 2006): one pair averages per tick.

Each tick a uniformly random agent i wakes (its Poisson clock, a local event: no message)
and picks a uniformly random neighbour j on the topology. i sends j its state; j replies
with its own and both merge. The next tick starts when the exchange is over, so ticks are
spaced by the latency model (two latencies per exchange). A round is N ticks; the run
stops at the target or the round/time limit, checked at round ends.

The merge is the behaviour's `merge` of the two states, after which both sides hold half
of the combined weight: sum_i w_i x_i and sum_i w_i are conserved by every exchange. With
`weighted-mean` and unit weights that is exactly Boyd's x_i, x_j <- (x_i + x_j) / 2. A lost
reply leaves j updated and i not: the run still agrees, but not on the mean.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from convergence.agent import State
from convergence.messages import MessageKind
from convergence.protocols.common import emit_merge
from convergence.protocols.rounds import Rounds
from convergence.scenario import Scenario

if TYPE_CHECKING:
    from convergence.engine import Simulation

__all__ = ["GossipProtocol"]

Role = tuple[int, bool, int]
"""(tick, is the initiator, peer)."""


class GossipProtocol:
    """Asynchronous pairwise averaging, one pair per tick.

    `on_exchange(sim, tick)` runs after each exchange (a seam for tests and oracles).
    """

    name = "gossip"

    def __init__(
        self, scenario: Scenario, on_exchange: Callable[[Simulation, int], None] | None = None
    ) -> None:
        self.scenario = scenario
        self.on_exchange = on_exchange

    async def run(self, sim: Simulation) -> None:
        self.rounds = Rounds(sim, 1)
        self.rounds.start(ticks_per_round=sim.n)
        limit = sim.n * self.rounds.max_rounds
        self.merge_stride = max(1, math.ceil(limit / sim.scenario.record.timeline_points))
        streams = [anyio.create_memory_object_stream[Role](math.inf) for _ in range(sim.n)]
        self._pending = 0
        self._done = anyio.Event()
        async with anyio.create_task_group() as group:
            for agent, (_, receive) in enumerate(streams):
                group.start_soon(self._agent, sim, agent, receive)
            await self._schedule(sim, [send for send, _ in streams])

    async def _schedule(self, sim: Simulation, queues: list[MemoryObjectSendStream[Role]]) -> None:
        graph, rng, n = sim.graph, sim.rng, sim.n
        tick = 0
        current = self.rounds.first()
        while current is not None:
            for _ in range(n):
                tick += 1
                i = int(rng.integers(n))
                degree = int(graph.indptr[i + 1] - graph.indptr[i])
                if degree == 0:
                    continue
                j = int(graph.indices[graph.indptr[i] + int(rng.integers(degree))])
                self._pending, self._done = 2, anyio.Event()
                queues[i].send_nowait((tick, True, j))
                queues[j].send_nowait((tick, False, i))
                await self._done.wait()
                if self.on_exchange is not None:
                    self.on_exchange(sim, tick)
                if tick % self.merge_stride == 0:
                    members = sorted((i, j))
                    emit_merge(sim, current, tick, members, 2, sim.values[members])
            current = await self.rounds.advance(current)
        for queue in queues:
            queue.close()

    def _finished(self) -> None:
        self._pending -= 1
        if self._pending == 0:
            self._done.set()

    async def _agent(self, sim: Simulation, agent: int, roles: MemoryObjectReceiveStream[Role]) -> None:
        async with roles:
            async for tick, initiator, peer in roles:
                if initiator:
                    state = sim.state_of(agent)
                    sim.send(agent, peer, MessageKind.STATE, tick, state)
                    got = await sim.collect(agent, tick, 1, sim.now + 2 * sim.phase_timeout)
                    if got:
                        sim.set_state(agent, _average(sim, state, got[0].payload))
                else:
                    got = await sim.collect(agent, tick, 1, sim.now + sim.phase_timeout)
                    if got:
                        state = sim.state_of(agent)
                        sim.send(agent, peer, MessageKind.STATE, tick, state)
                        sim.set_state(agent, _average(sim, state, got[0].payload))
                self._finished()


def _average(sim: Simulation, own: State, other: State) -> State:
    merged = sim.behaviour.merge(own, [other])
    return State(merged.value, merged.weight / 2.0)
