"""One run: the simulation runtime that protocols drive, and `simulate` to run a scenario.

The runtime owns the network, the agents' states (one numpy row per agent), the metrics
timeline and the event stream. A protocol (see `convergence.protocols`) starts the agents'
coroutines in one task group and calls back into the runtime to send, collect and merge.
Subscribers (the recorder, a dashboard) receive every event as a plain dict, in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import math
import time as wall_clock
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from anyio import WouldBlock

from agents import make_behaviour
from convergence.agent import BehaviourContext, FloatArray, State
from convergence.clock import VirtualEventLoop, run_virtual
from convergence.messages import Message
from convergence.metrics import dispersion
from convergence.network import Network
from convergence.scenario import Scenario
from convergence.summary import summarize
from convergence.task import TaskInstance, draw_task
from convergence.topology import Graph, build_graph

if TYPE_CHECKING:
    from convergence.protocols import ProtocolRunner

__all__ = ["Event", "RunResult", "Simulation", "simulate"]

Event = dict[str, Any]
Subscriber = Callable[[Event], None]


@dataclass
class RunResult:
    """Everything one run produced."""

    scenario: Scenario
    seed: int
    summary: dict[str, Any]
    events: list[Event]
    initial_values: FloatArray
    final_values: FloatArray
    truth: FloatArray | None
    timeline: list[Event] = field(default_factory=list)


class Simulation:
    """The runtime of one run. Create it inside a `VirtualEventLoop`."""

    def __init__(self, scenario: Scenario, seed: int, subscribers: Sequence[Subscriber] = ()) -> None:
        loop = asyncio.get_running_loop()
        if not isinstance(loop, VirtualEventLoop):
            raise RuntimeError("a Simulation must run on a VirtualEventLoop (use simulate())")
        self.loop = loop
        self.scenario = scenario
        self.seed = seed
        self.n = scenario.agents.count
        self.subscribers = list(subscribers)
        streams = np.random.SeedSequence(seed).spawn(5)
        task_seq, network_seq, self.agent_seed_sequence, topology_seq, protocol_seq = streams
        self._topology_rng = np.random.default_rng(topology_seq)
        self._graph: Graph | None = None
        self.rng = np.random.default_rng(protocol_seq)
        """The protocol's own random stream (gossip pairs, push-sum targets)."""
        self.task: TaskInstance = draw_task(scenario.task, self.n, np.random.default_rng(task_seq))
        context = BehaviourContext(
            n_agents=self.n,
            task=scenario.task.kind,
            epsilon=scenario.agents.epsilon,
            noise_sigma=self.task.noise_sigma,
        )
        self.behaviour = make_behaviour(scenario.agents.behaviour, context)
        self.network = Network(self.n, scenario.network, np.random.default_rng(network_seq))
        self.phase_timeout = scenario.protocol.phase_timeout
        self.target = scenario.protocol.target
        self.initial_values = self.task.signals
        initial = [self.behaviour.initial_state(row, agent=i) for i, row in enumerate(self.task.signals)]
        self.values: FloatArray = np.array([s.value for s in initial], dtype=np.float64)
        self.weights: FloatArray = np.array([s.weight for s in initial], dtype=np.float64)
        self.honest_live = np.ones(self.n, dtype=bool)
        self.events: list[Event] = []
        self.timeline: list[Event] = []
        self.d0 = dispersion(self.values)
        self._stash: dict[tuple[int, int], list[Message]] = {}
        self.late_messages = 0
        self._merges = 0
        self._sample_stride = 1

    @property
    def graph(self) -> Graph:
        """The scenario's topology, built on first use (symmetric never needs it)."""
        if self._graph is None:
            self._graph = build_graph(self.scenario.network.topology, self.n, self._topology_rng)
        return self._graph

    # -- events and metrics -------------------------------------------------------------

    @property
    def now(self) -> float:
        return self.loop.time()

    def emit(self, event: str, **fields: Any) -> None:
        """Record an event at the current virtual time and hand it to every subscriber."""
        record: Event = {"t": self.now, "event": event, **fields}
        self.events.append(record)
        for subscriber in self.subscribers:
            subscriber(record)

    def live_values(self) -> FloatArray:
        return self.values[self.honest_live]

    def snapshot(self) -> tuple[float, float]:
        """(consensus score, dispersion) over the live honest agents right now."""
        values = self.live_values()
        d = dispersion(values)
        return self.task.consensus(values, d, self.d0), d

    def plan_samples(self, total_merges: int) -> None:
        """Sample the timeline at every merge, or evenly when merges exceed the budget."""
        budget = self.scenario.record.timeline_points
        self._sample_stride = max(1, math.ceil(total_merges / budget))

    def sample(self) -> None:
        """Append a metrics sample (a `sample` event) to the timeline."""
        score, d = self.snapshot()
        self.emit("sample", consensus=score, dispersion=d, messages=self.network.sent)
        self.timeline.append(self.events[-1])

    def set_state(self, agent: int, state: State) -> None:
        """Store an agent's merged state; sample the timeline on schedule."""
        self.values[agent] = state.value
        self.weights[agent] = state.weight
        self._merges += 1
        if self._merges % self._sample_stride == 0:
            self.sample()

    def state_of(self, agent: int) -> State:
        return State(self.values[agent].copy(), float(self.weights[agent]))

    # -- messaging -----------------------------------------------------------------------

    def send(self, sender: int, receiver: int, kind: str, level: int, payload: Any) -> None:
        self.network.send(Message(sender, receiver, kind, level, payload, self.now))

    async def collect(self, agent: int, level: int, expected: int, deadline: float) -> list[Message]:
        """Wait for `expected` messages of `level`, or until `deadline`; return what came.

        Messages for later levels are kept for then; messages for past levels are late and
        counted.
        """
        got = self._stash.pop((agent, level), [])
        if len(got) >= expected:
            return got
        network = self.network
        inbox = network.inboxes[agent]
        armed = False
        try:
            while True:
                try:
                    message = inbox.receive_nowait()
                except WouldBlock:
                    if network.timed_out(agent):
                        break
                    if not armed:
                        network.arm_timeout(agent, deadline)
                        armed = True
                    await network.wait_for_mail(agent)
                    continue
                if message.level == level:
                    got.append(message)
                    if len(got) >= expected:
                        break
                elif message.level > level:
                    self._stash.setdefault((agent, message.level), []).append(message)
                else:
                    self.late_messages += 1
        finally:
            if armed:
                network.disarm_timeout(agent)
        return got

    # -- the end -------------------------------------------------------------------------

    def finish(self) -> None:
        """Emit the final sample and `run_end` with the totals."""
        self.sample()
        score, d = self.snapshot()
        fields: dict[str, Any] = {
            "consensus": score,
            "dispersion": d,
            "messages_sent": self.network.sent,
            "messages_dropped": self.network.dropped,
            "messages_delivered": self.network.delivered,
            "messages_late": self.late_messages,
        }
        fields.update(self.task.outcome(self.live_values(), self.initial_values))
        self.emit("run_end", **fields)

    def start_fields(self) -> dict[str, Any]:
        """Fields of the `run_start` event common to every protocol."""
        fields: dict[str, Any] = {
            "scenario": self.scenario.name,
            "seed": self.seed,
            "n_agents": self.n,
            "protocol": self.scenario.protocol.name,
            "target": self.target,
            "d0": self.d0,
        }
        fields.update(self.task.start_fields())
        return fields


async def _simulate(
    scenario: Scenario, seed: int, subscribers: Sequence[Subscriber], protocol: ProtocolRunner | None
) -> Simulation:
    from convergence.protocols import make_protocol

    sim = Simulation(scenario, seed, subscribers)
    runner = make_protocol(scenario) if protocol is None else protocol
    await runner.run(sim)
    sim.finish()
    sim.network.close()
    return sim


@contextlib.contextmanager
def _sparse_garbage_collection() -> Iterator[None]:
    """Collect cycles rarely during a run.

    A run allocates millions of short-lived objects (messages, handles, futures) that
    reference counting frees; the default thresholds would rescan every live task and
    state again and again (a third of the wall time at N = 10,000).
    """
    thresholds = gc.get_threshold()
    gc.set_threshold(200_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


def simulate(
    scenario: Scenario,
    *,
    seed: int | None = None,
    subscribers: Iterable[Subscriber] = (),
    protocol: ProtocolRunner | None = None,
) -> RunResult:
    """Run `scenario` to the end in virtual time and return its result.

    `seed` overrides the scenario's seed. Same scenario and seed give identical events.
    `protocol` replaces the runner the scenario names (a seam for tests and oracles).
    """
    run_seed = scenario.seed if seed is None else seed
    wall_start = wall_clock.perf_counter()
    with _sparse_garbage_collection():
        sim = run_virtual(_simulate, scenario, run_seed, tuple(subscribers), protocol)
    wall_time = wall_clock.perf_counter() - wall_start
    summary = summarize(sim.events)
    summary["wall_time_s"] = wall_time
    return RunResult(
        scenario=scenario,
        seed=run_seed,
        summary=summary,
        events=sim.events,
        initial_values=sim.initial_values,
        final_values=sim.values,
        truth=sim.task.truth,
        timeline=sim.timeline,
    )
