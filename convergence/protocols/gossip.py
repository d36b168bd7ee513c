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

import contextlib
import math
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from convergence.agent import Behaviour, State
from convergence.messages import Message, MessageKind
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
        self._rule = partial(_average, sim.behaviour)
        inboxes = [receive for _, receive in streams]
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(sim.run_agents, lambda agent: self._agent(sim, agent, inboxes[agent]))
                await self._schedule(sim, [send for send, _ in streams])
        finally:
            for send, receive in streams:  # an agent crashed before it started never closed its own
                send.close()
                receive.close()

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
                if sim.crashed[i]:  # a crashed agent's clock wakes nobody
                    continue
                self._pending, self._done = 0, anyio.Event()
                for agent, role in ((i, (tick, True, j)), (j, (tick, False, i))):
                    if not sim.crashed[agent]:  # a crashed peer just never answers
                        self._pending += 1
                        queues[agent].send_nowait(role)
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
        active = False
        try:
            async for tick, initiator, peer in roles:
                active = True
                if initiator:
                    state = sim.state_of(agent)
                    sim.send(agent, peer, MessageKind.STATE, tick, state)
                    got = await sim.collect(agent, tick, 1, sim.now + 2 * sim.phase_timeout)
                    sim.merge(agent, tick, state, got, rule=self._rule)
                else:
                    got = await sim.collect(agent, tick, 1, sim.now + sim.phase_timeout)
                    if got:
                        state = sim.state_of(agent)
                        sim.send(agent, peer, MessageKind.STATE, tick, state)
                        sim.merge(agent, tick, state, got, rule=self._rule)
                active = False
                self._finished()
        finally:
            # Crashed (cancelled) mid-exchange or with roles queued: release the scheduler.
            if active:
                self._finished()
            with contextlib.suppress(anyio.WouldBlock, anyio.EndOfStream):
                while True:
                    roles.receive_nowait()
                    self._finished()
            roles.close()


def _average(behaviour: Behaviour, own: State, heard: Sequence[Message]) -> State:
    """Merge the two states, then each side keeps half the combined weight."""
    merged = behaviour.merge(own, [heard[0].payload])
    return State(merged.value, merged.weight / 2.0)
