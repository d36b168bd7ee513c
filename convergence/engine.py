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
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

import anyio
import numpy as np
from anyio import WouldBlock

from agents import make_behaviour
from convergence.agent import BehaviourContext, FloatArray, State
from convergence.clock import VirtualEventLoop, run_virtual
from convergence.errors import checked_seed
from convergence.faults import FaultRuntime, Triggers, corrupt_payload
from convergence.messages import Message, MessageKind
from convergence.metrics import dispersion, exact_sum
from convergence.network import Network
from convergence.scenario import Scenario
from convergence.scenario_faults import Partition
from convergence.summary import summarize
from convergence.task import TaskInstance, draw_task
from convergence.topology import Graph, build_graph
from convergence.watchdog import Wait, Watchdog

if TYPE_CHECKING:
    from convergence.protocols import ProtocolRunner

__all__ = ["Event", "RunResult", "Simulation", "simulate"]

Event = dict[str, Any]
MergeRule = Callable[[State, Sequence[Message]], State]
"""A protocol's own update from its state and the valid messages heard (see `merge`)."""
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


class _AgentDownError(Exception):
    """Unwinds an agent whose behaviour failed; the failure is already recorded."""


def _finite_state(state: State) -> bool:
    return bool(np.isfinite(state.value).all()) and math.isfinite(state.weight)


def _valid_state(payload: object) -> bool:
    """A state whose value is finite and whose weight is finite and positive."""
    return (
        isinstance(payload, State)
        and bool(np.isfinite(payload.value).all())
        and math.isfinite(payload.weight)
        and payload.weight > 0
    )


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
        streams = np.random.SeedSequence(seed).spawn(6)
        task_seq, network_seq, self.agent_seed_sequence, topology_seq, protocol_seq, fault_seq = streams
        self._topology_rng = np.random.default_rng(topology_seq)
        self._graph: Graph | None = None
        self.rng = np.random.default_rng(protocol_seq)
        """The protocol's own random stream (gossip pairs, push-sum targets)."""
        self.task: TaskInstance = draw_task(scenario.task, self.n, np.random.default_rng(task_seq))
        self.faults = FaultRuntime(scenario, np.random.default_rng(fault_seq), self.task.truth)
        trim = scenario.agents.trim
        context = BehaviourContext(
            n_agents=self.n,
            task=scenario.task.kind,
            epsilon=scenario.agents.epsilon,
            noise_sigma=self.task.noise_sigma,
            trim=len(self.faults.byzantine) if trim is None else trim,
        )
        self.behaviour = make_behaviour(scenario.agents.behaviour, context)
        self.network = Network(self.n, scenario.network, np.random.default_rng(network_seq))
        self.network.handlers[MessageKind.NOTICE] = self._on_notice
        self.network.on_delivery = self._on_delivery
        self.phase_timeout = scenario.protocol.phase_timeout
        self.target = scenario.protocol.target
        self.initial_values = self.task.signals
        initial = [self.behaviour.initial_state(row, agent=i) for i, row in enumerate(self.task.signals)]
        self.values: FloatArray = np.array([s.value for s in initial], dtype=np.float64)
        self.weights: FloatArray = np.array([s.weight for s in initial], dtype=np.float64)
        self.honest_live = np.ones(self.n, dtype=bool)
        self.honest_live[self.faults.byzantine_ids] = False
        self.crashed = np.zeros(self.n, dtype=bool)
        self.excluded: list[set[int]] = [set() for _ in range(self.n)]
        """Per agent: senders it has been told to quarantine (their states are not merged)."""
        self.events: list[Event] = []
        self.timeline: list[Event] = []
        self.d0 = dispersion(self.values[self.honest_live])
        self._stash: dict[tuple[int, int], list[Message]] = {}
        self._scopes: dict[int, anyio.CancelScope] = {}
        self._waits: dict[int, tuple[int, int, list[Message], float]] = {}
        self.run_scope: anyio.CancelScope | None = None
        self.crash_listeners: list[Callable[[int], None]] = []
        """Called with an agent's id when it crashes (protocol barriers leave it out)."""
        self.stalled: str | None = None
        self.planned: Counter[int] = Counter()
        self.used: Counter[int] = Counter()
        self.late_messages = 0
        self.phases_are_message_levels = False
        """Set by protocols whose phase `level` is the level messages are sent at."""
        self.invalid_messages = 0
        self.quarantined_messages = 0
        self.duplicates_discarded = 0
        self._merges = 0
        self._sample_stride = 1
        self.triggers = Triggers(loop)
        self._arm_faults()
        self.watchdog = Watchdog(loop, self._watchdog_interval(), self._stall)

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
        if event == "phase_start":
            self.triggers.phase_started(str(fields.get("phase")), str(fields.get("name")))

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
        self.watchdog.progress()
        self._merges += 1
        if self._merges % self._sample_stride == 0:
            self.sample()

    def state_of(self, agent: int) -> State:
        return State(self.values[agent].copy(), float(self.weights[agent]))

    # -- agents and faults ---------------------------------------------------------------

    async def run_agents(
        self, main: Callable[[int], Awaitable[None]], agents: Iterable[int] | None = None
    ) -> None:
        """Run `main(agent)` for every agent in one task group, each under fault control.

        An agent that crashes is cancelled; one whose code raises is recorded as crashed
        with the exception, and the others go on. Protocols start their agents here.
        """
        async with anyio.create_task_group() as group:
            for agent in range(self.n) if agents is None else agents:
                group.start_soon(self._guard, agent, main)

    async def _guard(self, agent: int, main: Callable[[int], Awaitable[None]]) -> None:
        if self.crashed[agent]:
            return
        with anyio.CancelScope() as scope:
            self._scopes[agent] = scope
            try:
                await main(agent)
            except _AgentDownError:
                pass
            except Exception as exc:
                self.crash(agent, "exception", exc)
        self._scopes.pop(agent, None)

    def crash(self, agent: int, reason: str = "fault", error: BaseException | None = None) -> None:
        """Stop `agent` now: it sends and receives nothing more and leaves the metrics."""
        if self.crashed[agent]:
            return
        self.crashed[agent] = True
        self.honest_live[agent] = False
        self.network.down[agent] = True
        fields: dict[str, Any] = {"agent": agent, "reason": reason}
        if error is not None:
            fields["error"] = {"type": type(error).__name__, "message": str(error)}
        self.emit("agent_crashed", **fields)
        for listener in self.crash_listeners:
            listener(agent)
        scope = self._scopes.get(agent)
        if scope is not None:
            scope.cancel()

    def _arm_faults(self) -> None:
        triggers = self.triggers
        for fault in self.faults.assignments:
            triggers.at(fault.at, partial(self._start_fault, fault.agent, fault.kind))
        for partition in self.scenario.network.partitions:
            triggers.at(partition.at, partial(self._partition, partition, True))
            if partition.until is not None:
                triggers.at(partition.until, partial(self._partition, partition, False))

    def _start_fault(self, agent: int, kind: str) -> None:
        if kind == "crash":
            self.crash(agent)
        elif kind == "straggler":
            self.network.extra_delay[agent] = self.faults.stragglers[agent].delay
        else:
            self.faults.lying[agent] = True

    def _partition(self, partition: Partition, on: bool) -> None:
        groups = np.full(self.n, len(partition.groups), dtype=np.int64)
        for index, members in enumerate(partition.groups):
            groups[members] = index
        self.network.partition = groups if on else None
        self.emit("partition", active=on, groups=partition.groups)

    def quarantine(self, observer: int, suspects: Sequence[int], level: int) -> None:
        """Tell every agent (over the network) to stop merging the suspects' states."""
        for agent in range(self.n):
            self.send(observer, agent, MessageKind.NOTICE, level, tuple(suspects))

    def _on_notice(self, message: Message) -> None:
        self.excluded[message.receiver].update(message.payload)

    # -- messaging -----------------------------------------------------------------------

    def send(self, sender: int, receiver: int, kind: str, level: int, payload: Any) -> None:
        """Send through the network; a crashed sender sends nothing, a Byzantine one lies."""
        if sender >= 0:
            if self.crashed[sender]:
                return
            if self.faults.lying[sender]:
                lie = self.faults.lie_for(sender)
                if lie is not None:
                    payload = corrupt_payload(payload, lie)
        self.network.send(Message(sender, receiver, kind, level, payload, self.now))

    def plan_exchanges(self, level: int, count: int) -> None:
        """Declare `count` planned directed exchanges at `level` (the denominator of SPS)."""
        self.planned[level] += count

    async def collect(self, agent: int, level: int, expected: int, deadline: float) -> list[Message]:
        """Wait for `expected` messages of `level`, or until `deadline`; return what came.

        Messages for later levels are kept for then; messages for past levels are late and
        counted; a duplicate of a message already here is discarded; a state holding NaN or
        an infinity counts as arrived but is rejected (an `invalid_message` event), so it never
        reaches a merge. A wait that ends short is recorded as a `timeout` event.
        """
        got: list[Message] = []
        seen: dict[int, Message] = {}  # by id; holding them keeps ids unique
        for message in self._stash.pop((agent, level), []):
            self._keep(agent, message, got, seen)
        if len(seen) >= expected:
            return got
        network = self.network
        inbox = network.inboxes[agent]
        armed = False
        self._waits[agent] = (level, expected, got, deadline)
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
                    self._keep(agent, message, got, seen)
                    if len(seen) >= expected:
                        break
                elif message.level > level:
                    self._stash.setdefault((agent, message.level), []).append(message)
                else:
                    self.late_messages += 1
        finally:
            if armed:
                network.disarm_timeout(agent)
            del self._waits[agent]
        if len(seen) < expected:
            self.emit("timeout", agent=agent, level=level, expected=expected, received=len(seen))
        return got

    def _keep(self, agent: int, message: Message, got: list[Message], seen: dict[int, Message]) -> None:
        if id(message) in seen:
            self.duplicates_discarded += 1
            return
        seen[id(message)] = message
        payload = message.payload
        if isinstance(payload, State) and not _finite_state(payload):
            self.invalid_messages += 1
            self.emit("invalid_message", agent=agent, sender=message.sender, level=message.level)
            return
        got.append(message)

    def merge(
        self,
        agent: int,
        level: int,
        own: State,
        messages: Sequence[Message],
        rule: MergeRule | None = None,
    ) -> State:
        """Merge the valid states that arrived into `own`, store and return the result.

        Non-finite states are rejected and counted (`invalid_message` events), states from
        quarantined senders are skipped; the rest count as used exchanges (SPS). A
        behaviour that raises, or returns a non-finite state, crashes its agent.
        `rule(own, valid_messages)` replaces the behaviour's `merge(own, states)` for
        protocols whose update is not a two-group merge (DeGroot weights, gossip halves).
        """
        excluded = self.excluded[agent]
        valid: list[Message] = []
        for message in messages:
            if not _valid_state(message.payload):
                self.invalid_messages += 1
                self.emit("invalid_message", agent=agent, sender=message.sender, level=level)
            elif message.sender in excluded:
                self.quarantined_messages += 1
            else:
                valid.append(message)
        self.used[level] += len(valid)
        if not valid:
            return own
        try:
            if rule is None:
                merged = self.behaviour.merge(own, [message.payload for message in valid])
            else:
                merged = rule(own, valid)
            if not _valid_state(merged):
                raise ValueError(f"behaviour {self.behaviour.name!r} returned a non-finite state")
        except Exception as exc:
            self.crash(agent, "exception", exc)
            raise _AgentDownError from exc
        self.set_state(agent, merged)
        return merged

    # -- the watchdog ------------------------------------------------------------------------

    def _watchdog_interval(self) -> float:
        configured = self.scenario.protocol.watchdog
        return configured if configured is not None else max(10.0, 4 * self.phase_timeout)

    def _on_delivery(self, message: Message) -> None:
        self.watchdog.progress()

    def waiting(self) -> list[Wait]:
        """Who waits for what right now, by agent id."""
        return [
            Wait(agent, level, expected, len(got), deadline)
            for agent, (level, expected, got, deadline) in sorted(self._waits.items())
        ]

    def _stall(self, reason: str) -> None:
        waits = self.waiting()
        self.stalled = reason
        self.emit("stalled", reason=reason, waiting=[w.as_event() for w in waits])
        if self.run_scope is not None:
            self.run_scope.cancel()

    # -- the end -------------------------------------------------------------------------

    def finish(self) -> None:
        """Emit the final sample, the exchange counts and `run_end` with the totals."""
        self.watchdog.stop()
        if self.triggers.pending:
            self.emit("never_started", phases=self.triggers.pending)
        if self.planned:
            self.emit(
                "exchanges",
                levels=[
                    {"level": level, "planned": self.planned[level], "used": self.used[level]}
                    for level in sorted(self.planned)
                ],
            )
        self.sample()
        score, d = self.snapshot()
        network = self.network
        fields: dict[str, Any] = {
            "consensus": score,
            "dispersion": d,
            "messages_sent": network.sent,
            "messages_dropped": network.dropped,
            "messages_delivered": network.delivered,
            "messages_late": self.late_messages,
            "messages_unread": network.unread() + sum(len(kept) for kept in self._stash.values()),
            "messages_in_flight": network.in_flight(),
            "messages_invalid": self.invalid_messages,
            "messages_quarantined": self.quarantined_messages,
            "messages_duplicated": network.duplicated,
            "messages_cut": network.cut,
            "crashed": np.flatnonzero(self.crashed).tolist(),
            "stalled": self.stalled,
            "mass_loss": self.mass_loss(),
        }
        if self.phases_are_message_levels:
            # Final per-level counts: audit copies and late sends of a level can follow its
            # phase_end, so the summary's phase rows take these to add up to the totals.
            fields["messages_by_level"] = [
                [level, network.sent_by_level[level], network.dropped_by_level[level]]
                for level in sorted(network.sent_by_level)
            ]
        fields.update(self.task.outcome(self.live_values(), self.initial_values))
        self.emit("run_end", **fields)

    def mass_loss(self) -> list[float | None]:
        """Per coordinate: sum of initial minus sum of final values over all agents (exact).

        None where the sum overflows (a liar's huge value can get into merged states).
        """
        return [
            exact_sum(np.concatenate((self.initial_values[:, k], -self.values[:, k])).tolist())
            for k in range(self.values.shape[1])
        ]

    def start_fields(self) -> dict[str, Any]:
        """Fields of the `run_start` event common to every protocol."""
        fields: dict[str, Any] = {
            "scenario": self.scenario.name,
            "seed": self.seed,
            "n_agents": self.n,
            "protocol": self.scenario.protocol.name,
            "target": self.target,
            "d0": self.d0,
            "faults": [fault.as_event() for fault in self.faults.assignments],
        }
        fields.update(self.task.start_fields())
        return fields


async def _simulate(
    scenario: Scenario, seed: int, subscribers: Sequence[Subscriber], protocol: ProtocolRunner | None
) -> Simulation:
    from convergence.protocols import make_protocol

    sim = Simulation(scenario, seed, subscribers)
    runner = make_protocol(scenario) if protocol is None else protocol
    try:
        with anyio.CancelScope() as scope:
            sim.run_scope = scope
            await runner.run(sim)
        sim.finish()
    finally:
        sim.network.close()  # also when interrupted: no inbox is left open
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
    run_seed = scenario.seed if seed is None else checked_seed(seed)
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
