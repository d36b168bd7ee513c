"""Virtual time: an asyncio event loop whose clock jumps to the next timer.

Nothing ever sleeps for real. When no callback is ready, the loop's selector is asked to
wait until the earliest timer; the virtual selector polls real I/O without blocking and
moves the clock straight to that timer instead. Pacing against the wall clock, if any, is a
layer above this one.
"""

from __future__ import annotations

import asyncio
import math
import selectors
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio

from convergence.errors import StalledError

__all__ = ["VirtualEventLoop", "run_virtual"]

T = TypeVar("T")


class _VirtualSelector(selectors.DefaultSelector):
    """A selector that never blocks: a wait becomes a jump of the owning loop's clock."""

    # Real I/O (the loop's self-pipe, signal wake-ups) is polled only every this many
    # iterations: a poll is a system call, and a simulation does no real I/O.
    POLL_EVERY = 64

    def __init__(self) -> None:
        super().__init__()
        self.loop: VirtualEventLoop | None = None
        self._calls = 0

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        self._calls += 1
        if timeout is None or self._calls % self.POLL_EVERY == 0:
            events = super().select(0)
            if events:
                return events
        if timeout == 0:
            return []
        loop = self.loop
        assert loop is not None  # set by VirtualEventLoop.__init__
        if timeout is None:
            # Nothing is ready and no timer is pending: every task waits on something
            # that can never happen. A stall handler may end the waits (and say who was
            # waiting); otherwise the loop cannot go on.
            if loop.on_stall is not None and loop.on_stall():
                return []
            raise StalledError(loop.time())
        loop.advance_to_next_timer()
        return []


class VirtualEventLoop(asyncio.SelectorEventLoop):
    """An asyncio loop whose `time()` is virtual seconds starting at 0."""

    def __init__(self) -> None:
        selector = _VirtualSelector()
        super().__init__(selector)
        selector.loop = self
        self._virtual_time = 0.0
        # Timers closer than this fire together; 1 ns keeps float rounding harmless.
        self._clock_resolution = 1e-9
        self.on_stall: Callable[[], bool] | None = None
        """Called when every task waits forever; returns True if it unblocked something."""

    def time(self) -> float:
        return self._virtual_time

    def advance_to_next_timer(self) -> None:
        """Jump the clock exactly to the earliest live timer (never backwards)."""
        scheduled: list[asyncio.TimerHandle] = self._scheduled  # type: ignore[attr-defined]
        for handle in scheduled[:1]:
            when = handle.when()
            if when > self._virtual_time:
                self._virtual_time = when
                # The loop fires timers due before time() + resolution; far from zero a
                # nanosecond is below a float's spacing, so keep the margin a few ulps wide
                # or a timer due exactly now would never fire (the loop would spin).
                self._clock_resolution = max(1e-9, 4 * math.ulp(when))


def run_virtual(func: Callable[..., Awaitable[T]], *args: Any) -> T:
    """Run `func(*args)` under anyio on a fresh virtual-time event loop."""
    return anyio.run(func, *args, backend="asyncio", backend_options={"loop_factory": VirtualEventLoop})
