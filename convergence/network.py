"""The simulated network: one inbox per agent, latency, drops, and message counts.

Deliveries are timers on the (virtual-time) event loop, never one task per message.
Random draws come from the run's network Generator in blocks, so each message costs a
buffer read, and the same seed gives the same draws in the same order.
"""

from __future__ import annotations

import asyncio
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
    Network as NetworkConfig,
    UniformLatency,
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
            block = rng.lognormal(math.log(model.median) if model.median > 0 else -math.inf, model.sigma, _BLOCK)
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
        self.sent = 0
        self.dropped = 0
        self.delivered = 0
        self.sent_by_level: Counter[int] = Counter()
        self.dropped_by_level: Counter[int] = Counter()

    def send(self, message: Message) -> None:
        """Send `message`; it is delivered after a latency draw, or dropped."""
        self.sent += 1
        self.sent_by_level[message.level] += 1
        if self._drop.flip():
            self.dropped += 1
            self.dropped_by_level[message.level] += 1
            return
        delay = self._latency.sample()
        self._loop.call_at(self._loop.time() + delay, self._deliver, message)

    def _deliver(self, message: Message) -> None:
        try:
            self._send_streams[message.receiver].send_nowait(message)
        except (BrokenResourceError, ClosedResourceError):
            # The receiver is gone (crashed or finished and closed): the message is lost.
            self.dropped += 1
            self.dropped_by_level[message.level] += 1
            return
        self.delivered += 1

    def notify_at(self, time: float, message: Message) -> asyncio.TimerHandle:
        """Put `message` (a local timer, not network traffic) in its receiver's inbox at `time`."""
        return self._loop.call_at(time, self._notify, message)

    def _notify(self, message: Message) -> None:
        try:
            self._send_streams[message.receiver].send_nowait(message)
        except (BrokenResourceError, ClosedResourceError):
            pass

    def close(self) -> None:
        """Close every inbox; later deliveries count as drops."""
        for stream in self._send_streams:
            stream.close()
        for inbox in self.inboxes:
            inbox.close()
