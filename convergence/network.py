"""The simulated network: one inbox per agent, latency, drops, and message counts.

Deliveries are timers on the (virtual-time) event loop, never one task per message.
Random draws come from the run's network Generator in blocks, so each message costs a
buffer read, and the same seed gives the same draws in the same order.
"""

from __future__ import annotations

import asyncio
import heapq
import math
from collections import Counter

import numpy as np
from anyio import BrokenResourceError, ClosedResourceError, create_memory_object_stream
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

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

    # -- sending and delivery -------------------------------------------------------------

    def send(self, message: Message) -> None:
        """Send `message`; it is delivered after a latency draw, or dropped."""
        self.sent += 1
        self.sent_by_level[message.level] += 1
        if self._drop.flip():
            self.dropped += 1
            self.dropped_by_level[message.level] += 1
            return
        self._push(self._loop.time() + self._latency.sample(), message, -1, 0)

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
        try:
            self._send_streams[receiver].send_nowait(message)
        except (BrokenResourceError, ClosedResourceError):
            # The receiver is gone (crashed or finished and closed): the message is lost.
            self.dropped += 1
            self.dropped_by_level[message.level] += 1
            return
        self.delivered += 1
        self._wake(receiver)

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

    def close(self) -> None:
        """Close every inbox; later deliveries count as drops."""
        if self._timer is not None:
            self._timer.cancel()
        for stream in self._send_streams:
            stream.close()
        for inbox in self.inboxes:
            inbox.close()
