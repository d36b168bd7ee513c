"""The watchdog: ends a run that makes no progress, and says who was waiting for what.

Progress is a delivered message or a merged state. Two things end a run: `interval` of
virtual time without progress (a partition that never heals under a long phase timeout),
and a loop with nothing ready and no timer pending (every task waits forever). Either way
the run's `on_stall(reason)` is called once; it records the diagnostic and cancels the run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from convergence.clock import VirtualEventLoop

__all__ = ["Wait", "Watchdog"]


@dataclass(frozen=True, slots=True)
class Wait:
    """What one agent is waiting for: messages of a level, until a deadline."""

    agent: int
    level: int
    expected: int
    received: int
    deadline: float

    def as_event(self) -> dict[str, Any]:
        return {
            "agent": self.agent,
            "level": self.level,
            "expected": self.expected,
            "received": self.received,
            "deadline": self.deadline,
        }


class Watchdog:
    """Watches one run's progress in virtual time."""

    def __init__(self, loop: VirtualEventLoop, interval: float, on_stall: Callable[[str], None]) -> None:
        self._loop = loop
        self.interval = interval
        self._on_stall = on_stall
        self._last_progress = loop.time()
        self._fired = False
        self._timer: asyncio.TimerHandle | None = loop.call_at(loop.time() + interval, self._check)
        loop.on_stall = self._deadlocked

    def progress(self) -> None:
        self._last_progress = self._loop.time()

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._loop.on_stall = None

    def _check(self) -> None:
        self._timer = None
        idle_until = self._last_progress + self.interval
        if self._loop.time() < idle_until:
            self._timer = self._loop.call_at(idle_until, self._check)
            return
        self._fire(f"no progress for {self.interval:g}s of virtual time")

    def _deadlocked(self) -> bool:
        if self._fired:
            return False
        self._fire("every agent waits and no timer is pending")
        return True

    def _fire(self, reason: str) -> None:
        self._fired = True
        self.stop()
        self._on_stall(reason)
