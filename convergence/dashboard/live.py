"""Showing a run as it happens: wall-clock pacing, the live terminal view, plain progress.

Pacing is a layer above the engine: a subscriber that holds each event until
`wall_start + t / speed` has passed on the wall clock. Virtual time is never touched. The
live view is a Rich `Live(auto_refresh=False)` refreshed from here, at most `fps` times a
wall second and at every phase change; prints and logging during a run come out once, above
the final frame.
"""

from __future__ import annotations

import logging
import math
import os
import sys
import time as wall_clock
from collections.abc import Callable, Mapping
from functools import partial
from types import TracebackType
from typing import Any, TextIO

from rich.console import Console
from rich.live import Live

from convergence.dashboard.layout import render_dashboard
from convergence.dashboard.state import DashboardState

__all__ = ["DEFAULT_SPEED", "LiveDashboard", "PacedView", "Pacer", "PlainProgress", "parse_speed"]

Event = Mapping[str, Any]

# Virtual seconds per wall second by default: the canonical run (~0.17 s) lasts ~3.5 s.
DEFAULT_SPEED = 0.05
# Rows left under the final frame for the closing lines and the shell prompt.
_ROWS_BELOW = 3
_ALWAYS_REFRESH = frozenset({"run_start", "phase_start", "phase_end", "run_end"})


def parse_speed(text: str) -> float | None:
    """`--speed` as virtual seconds per wall second; `max` means no pacing (None)."""
    if text.strip().lower() == "max":
        return None
    try:
        speed = float(text)
    except ValueError:
        speed = math.nan
    if not math.isfinite(speed) or speed <= 0:
        raise ValueError(f"speed must be a positive number or 'max', got {text!r}")
    return speed


class Pacer:
    """Waits until an event's virtual time, scaled by `speed`, has passed on the wall clock."""

    def __init__(
        self,
        speed: float | None,
        *,
        clock: Callable[[], float] = wall_clock.perf_counter,
        sleep: Callable[[float], None] = wall_clock.sleep,
    ) -> None:
        self.speed = speed
        self._clock = clock
        self._sleep = sleep
        self.wall_start: float | None = None

    @property
    def wall_elapsed(self) -> float:
        """Wall seconds since the first event."""
        return 0.0 if self.wall_start is None else self._clock() - self.wall_start

    def wait(self, time: float, tick: Callable[[float], None] | None = None, interval: float = 0.05) -> None:
        """Return once virtual `time` is due; call `tick(shown_time)` every `interval` meanwhile."""
        if self.wall_start is None:
            self.wall_start = self._clock()
        if self.speed is None:
            return
        due = self.wall_start + time / self.speed
        while (now := self._clock()) < due:
            if tick is not None:
                tick((now - self.wall_start) * self.speed)
            self._sleep(min(interval, due - now))

    def __call__(self, event: Event) -> None:
        """Use as a subscriber on its own: pace a run that shows nothing live."""
        self.wait(float(event.get("t") or 0.0))


class PacedView:
    """The shared part of the live views: fold each event when it is due, refresh at phase
    changes and at most `fps` times a wall second, and let the shown virtual time run on
    between events. Subclasses draw in `refresh`."""

    def __init__(self, *, speed: float | None, fps: float, state: DashboardState | None = None) -> None:
        self.state = state or DashboardState()
        self.pacer = Pacer(speed)
        self._interval = 1.0 / fps
        self._last_refresh = -math.inf

    def __call__(self, event: Event) -> None:
        self.pacer.wait(float(event.get("t") or 0.0), self._tick, self._interval)
        self.state.apply(event)
        if event.get("event") in _ALWAYS_REFRESH or self._due():
            self.refresh()

    def _due(self) -> bool:
        return wall_clock.perf_counter() - self._last_refresh >= self._interval

    def _tick(self, shown_time: float) -> None:
        self.state.advance(shown_time)
        if self._due():
            self.refresh()

    def refresh(self) -> None:
        """Draw the current state (and note when, for the refresh rate)."""
        self._last_refresh = wall_clock.perf_counter()


class _LineCapture:
    """Stands in for stdout or stderr during a live run: keeps whole lines for later.

    `rich_proxied_file` lets Rich keep writing the live region to the real stream.
    """

    def __init__(self, stream: TextIO, name: str, sink: Callable[[str, str], None]) -> None:
        self.rich_proxied_file = stream
        self.encoding = getattr(stream, "encoding", "utf-8")
        self._name = name
        self._sink = sink
        self._partial = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        *lines, self._partial = (self._partial + text).split("\n")
        for line in lines:
            self._sink(self._name, line)
        return len(text)

    def flush(self) -> None:
        if self._partial:
            self._sink(self._name, self._partial)
            self._partial = ""

    def fileno(self) -> int:
        return self.rich_proxied_file.fileno()

    def isatty(self) -> bool:
        return self.rich_proxied_file.isatty()


class LiveDashboard(PacedView):
    """An event subscriber that shows the dashboard live in a terminal. Use as a context.

    The live view uses the terminal's alternate screen, so a resize or a shrink never leaves
    half a frame in the scrollback. Lines printed or logged meanwhile show in the events
    panel and are kept; on exit they are printed once, above the final frame.
    """

    def __init__(
        self,
        console: Console,
        *,
        speed: float | None = DEFAULT_SPEED,
        fps: float = 15.0,
        state: DashboardState | None = None,
    ) -> None:
        super().__init__(speed=speed, fps=fps, state=state)
        self.console = console
        self._live = Live(
            console=console,
            screen=True,
            auto_refresh=False,
            redirect_stdout=False,
            redirect_stderr=False,
            vertical_overflow="crop",
        )
        self.output: list[tuple[str, str]] = []
        self._restore: list[Callable[[], object]] = []

    def _keep(self, stream: str, line: str) -> None:
        self.output.append((stream, line))
        self.state.note(stream, line)

    def _capture_output(self) -> None:
        originals = (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__)
        captures = {}
        for name in ("stdout", "stderr"):
            stream = getattr(sys, name)
            captures[name] = capture = _LineCapture(stream, name, self._keep)
            setattr(sys, name, capture)
            self._restore.append(partial(setattr, sys, name, stream))
        for handler in logging.getLogger().handlers:
            if isinstance(handler, logging.StreamHandler) and handler.stream in originals:
                name = "stdout" if handler.stream in originals[::2] else "stderr"
                previous = handler.setStream(captures[name])
                self._restore.append(partial(handler.setStream, previous))

    def __enter__(self) -> LiveDashboard:
        self._live.start()
        self._capture_output()
        self.refresh()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            for stream in (sys.stdout, sys.stderr):
                stream.flush()
        finally:
            while self._restore:
                self._restore.pop()()
            self._live.stop()
        for stream, line in self.output:
            print(line, file=self.console.file if stream == "stdout" else sys.stderr, flush=True)
        width, height = self._size()
        frame = render_dashboard(
            self.state, width=width, height=height - _ROWS_BELOW, wall_time=self.pacer.wall_elapsed
        )
        self.console.print(frame, end="")

    def _size(self) -> tuple[int, int]:
        """The terminal's size now, asked of the terminal itself.

        Rich pins the size when COLUMNS/LINES are set in the environment; a live view must
        follow resizes, so it asks the terminal and updates the console to match.
        """
        try:
            width, height = os.get_terminal_size(self.console.file.fileno())
        except (AttributeError, OSError, ValueError):
            return self.console.size
        if (width, height) != tuple(self.console.size):
            self.console.size = (width, height)
        return width, height

    def refresh(self) -> None:
        """Render the state for the terminal's current size and draw it."""
        width, height = self._size()
        frame = render_dashboard(self.state, width=width, height=height, wall_time=self.pacer.wall_elapsed)
        self._live.update(frame, refresh=True)
        super().refresh()


class PlainProgress:
    """An event subscriber for output that is not a terminal: a bounded number of plain lines.

    One line at the start, one per phase end for the first `phase_lines` phases and then only
    at phases numbered by powers of two (so thousands of rounds print a dozen lines more),
    one at the end. No colour, no cursor movement.
    """

    def __init__(self, out: TextIO, *, phase_lines: int = 16) -> None:
        self.out = out
        self.phase_lines = phase_lines
        self.phases = 0

    def _print(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def __call__(self, event: Event) -> None:
        name = event.get("event")
        t = float(event.get("t") or 0.0)
        if name == "run_start":
            self._print(
                f"run {event.get('scenario')}: protocol {event.get('protocol')}, "
                f"N={event.get('n_agents')}, seed {event.get('seed')}"
            )
        elif name == "phase_end":
            self.phases += 1
            if self.phases <= self.phase_lines or self.phases & (self.phases - 1) == 0:
                self._print(
                    f"  t={t:.6f}s {event.get('name')} done: consensus {_num(event.get('consensus'))}, "
                    f"{event.get('messages')} messages"
                )
        elif name == "run_end":
            self._print(f"  t={t:.6f}s run end: consensus {_num(event.get('consensus'))}")


def _num(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)
