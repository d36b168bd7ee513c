"""The simulated network: one inbox per agent, latency, drops, duplicates, partitions, counts.

Deliveries are timers on the (virtual-time) event loop, never one task per message.
Random draws come from the run's network Generator in blocks, so each message costs a
buffer read, and the same seed gives the same draws in the same order.
"""

from __future__ import annotations

import asyncio
import heapq
import math
from collections import Counter
from collections.abc import Callable

import numpy as np
from anyio import BrokenResourceError, ClosedResourceError, create_memory_object_stream
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from numpy.typing import NDArray

from convergence.messages import Message
from convergence.scenario import (
    ConstantLatency,
    ExponentialLatency,
    Latency,
    LognormalLatency,
    UniformLatency,
)
from convergence.scenario import (
    Network as NetworkConfig,
)

__all__ = ["LatencySampler", "Network"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

_BLOCK = 4096


class LatencySampler:
    """Draws latencies (seconds) from a scenario's distribution, a block at a time."""

    def __init__(self, model: Latency, rng: np.random.Generator) -> None:
        self._model = model
        self._rng = rng
        self._buffer: list[float] = []
        self._constant = model.value if isinstance(model, ConstantLatency) else None

    def _refill(self) -> None:
        model, rng = self._model, self._rng
        if isinstance(model, UniformLatency):
            block = rng.uniform(model.low, model.high, _BLOCK)
        elif isinstance(model, ExponentialLatency):
            block = rng.exponential(model.mean, _BLOCK)
        elif isinstance(model, LognormalLatency):
            if model.median == 0:
                block = np.zeros(_BLOCK)
            else:
                block = rng.lognormal(math.log(model.median), model.sigma, _BLOCK)
        else:  # pragma: no cover - constant never refills
            raise AssertionError(model)
        # Reversed so that pop() hands them out in draw order.
        self._buffer = block[::-1].tolist()

    def sample(self) -> float:
        if self._constant is not None:
            return self._constant
        if not self._buffer:
            self._refill()
        return self._buffer.pop()


class _Coin:
    """Bernoulli(p) draws from a Generator, a block at a time."""

    def __init__(self, p: float, rng: np.random.Generator) -> None:
        self._p = p
        self._rng = rng
        self._buffer: list[float] = []

    def flip(self) -> bool:
        if self._p <= 0.0:
            return False
        if self._p >= 1.0:
            return True
        if not self._buffer:
            self._buffer = self._rng.random(_BLOCK)[::-1].tolist()
        return self._buffer.pop() < self._p


class Network:
    """Inboxes and delivery for `n` agents on the running (virtual-time) loop."""

    def __init__(self, n: int, config: NetworkConfig, rng: np.random.Generator) -> None:
        self.n = n
        self._loop = asyncio.get_running_loop()
        self._latency = LatencySampler(config.latency, rng)
        self._drop = _Coin(config.drop, rng)
        self._duplicate = _Coin(config.duplicate, rng)
        self._links: dict[tuple[int, int], float] = {}
        for link in config.links:
            a, b = link.between
            self._links[a, b] = self._links[b, a] = link.latency
        self.extra_delay: FloatArray = np.zeros(n, dtype=np.float64)
        """Added to the latency of everything an agent sends (stragglers)."""
        self.down: BoolArray = np.zeros(n, dtype=bool)
        """Crashed agents: deliveries to them are dropped."""
        self.partition: IntArray | None = None
        """Partition group of each agent while a partition holds, else None."""
        self.handlers: dict[str, Callable[[Message], None]] = {}
        """Message kinds delivered to a callback instead of the receiver's inbox."""
        self.on_delivery: Callable[[Message], None] | None = None
        self._send_streams: list[MemoryObjectSendStream[Message]] = []
        self.inboxes: list[MemoryObjectReceiveStream[Message]] = []
        for _ in range(n):
            send, receive = create_memory_object_stream[Message](math.inf)
            self._send_streams.append(send)
            self.inboxes.append(receive)
        self._waiters: list[asyncio.Future[None] | None] = [None] * n
        # Pending deliveries and timeouts, ordered by (virtual time, sequence number): one
        # loop timer stands for the earliest, so the loop never holds more than one of ours.
        self._queue: list[tuple[float, int, Message | None, int, int]] = []
        self._seq = 0
        self._timer: asyncio.TimerHandle | None = None
        self._timer_when = math.inf
        self._firing = False
        self._timeout_token = [0] * n
        self._timed_out = [False] * n
        self._disarmed = 0
        self.sent = 0
        self.dropped = 0
        self.delivered = 0
        self.sent_by_level: Counter[int] = Counter()
        self.dropped_by_level: Counter[int] = Counter()
        self.duplicated = 0
        self.cut = 0

    # -- sending and delivery -------------------------------------------------------------

    def send(self, message: Message) -> None:
        """Send `message`: dropped (by chance or a partition), or delivered after its latency.

        With the duplication probability a second copy follows, with its own latency.
        """
        self.sent += 1
        self.sent_by_level[message.level] += 1
        if self._drop.flip() or self._severed(message):
            self._lose(message)
            return
        self._push(self._loop.time() + self._delay(message), message, -1, 0)
        if self._duplicate.flip():
            self.duplicated += 1
            self._push(self._loop.time() + self._delay(message), message, -1, 0)

    def _severed(self, message: Message) -> bool:
        """True if a partition separates sender and receiver right now."""
        groups, sender = self.partition, message.sender
        if groups is None or sender < 0 or groups[sender] == groups[message.receiver]:
            return False
        self.cut += 1
        return True

    def _delay(self, message: Message) -> float:
        sender = message.sender
        base = self._links.get((sender, message.receiver)) if self._links else None
        if base is None:
            base = self._latency.sample()
        return base + float(self.extra_delay[sender]) if sender >= 0 else base

    def _push(self, time: float, message: Message | None, agent: int, token: int) -> None:
        self._seq += 1
        heapq.heappush(self._queue, (time, self._seq, message, agent, token))
        if not self._firing and time < self._timer_when:
            if self._timer is not None:
                self._timer.cancel()
            self._arm(time)

    def _arm(self, time: float) -> None:
        self._timer_when = time
        self._timer = self._loop.call_at(time, self._fire)

    def _fire(self) -> None:
        self._timer, self._timer_when = None, math.inf
        self._firing = True
        queue, now = self._queue, self._loop.time()
        try:
            while queue and queue[0][0] <= now:
                _, _, message, agent, token = heapq.heappop(queue)
                if message is not None:
                    self._deliver(message)
                elif self._timeout_token[agent] == token:
                    self._timeout_token[agent] = 0
                    self._timed_out[agent] = True
                    self._wake(agent)
        finally:
            self._firing = False
        # Disarmed timeouts must not move the clock: drop them before arming the timer.
        while queue and queue[0][2] is None and self._timeout_token[queue[0][3]] != queue[0][4]:
            heapq.heappop(queue)
        if queue:
            self._arm(queue[0][0])

    def _deliver(self, message: Message) -> None:
        receiver = message.receiver
        if self.down[receiver]:
            self._lose(message)
            return
        handler = self.handlers.get(message.kind)
        if handler is not None:
            self.delivered += 1
            handler(message)
            return
        try:
            self._send_streams[receiver].send_nowait(message)
        except (BrokenResourceError, ClosedResourceError):
            # The receiver is gone (finished and closed): the message is lost.
            self._lose(message)
            return
        self.delivered += 1
        if self.on_delivery is not None:
            self.on_delivery(message)
        self._wake(receiver)

    def _lose(self, message: Message) -> None:
        self.dropped += 1
        self.dropped_by_level[message.level] += 1

    # -- waiting --------------------------------------------------------------------------

    def _wake(self, receiver: int) -> None:
        waiter = self._waiters[receiver]
        if waiter is not None:
            self._waiters[receiver] = None
            if not waiter.done():
                waiter.set_result(None)

    async def wait_for_mail(self, agent: int) -> None:
        """Return once something lands in `agent`'s inbox or its timeout fires.

        Cheaper than `await inbox.receive()`, whose checkpoint costs an extra loop
        iteration per message: an agent drains its inbox with `receive_nowait` and only
        sleeps here when it is empty.
        """
        waiter = self._loop.create_future()
        self._waiters[agent] = waiter
        try:
            await waiter
        finally:
            if self._waiters[agent] is waiter:
                self._waiters[agent] = None

    def arm_timeout(self, agent: int, deadline: float) -> None:
        """Wake `agent` at `deadline` with `timed_out(agent)` true, unless disarmed first."""
        self._seq += 1
        self._timeout_token[agent] = self._seq
        self._timed_out[agent] = False
        self._push(deadline, None, agent, self._seq)

    def disarm_timeout(self, agent: int) -> None:
        if self._timeout_token[agent]:
            self._timeout_token[agent] = 0
            self._disarmed += 1
            if self._disarmed > 1024 and 2 * self._disarmed > len(self._queue):
                self._compact()
        self._timed_out[agent] = False

    def _compact(self) -> None:
        """Drop disarmed timeouts from the queue (they would only be skipped later)."""
        tokens = self._timeout_token
        self._queue = [e for e in self._queue if e[2] is not None or tokens[e[3]] == e[4]]
        heapq.heapify(self._queue)
        self._disarmed = 0

    def timed_out(self, agent: int) -> bool:
        return self._timed_out[agent]

    def in_flight(self) -> int:
        """Messages sent but neither delivered nor lost yet (still on the wire)."""
        return sum(1 for entry in self._queue if entry[2] is not None)

    def unread(self) -> int:
        """Messages delivered to an inbox that nobody has taken out yet."""
        return sum(inbox.statistics().current_buffer_used for inbox in self.inboxes)

    def close(self) -> None:
        """Close every inbox; later deliveries count as drops."""
        if self._timer is not None:
            self._timer.cancel()
        for stream in self._send_streams:
            stream.close()
        for inbox in self.inboxes:
            inbox.close()
