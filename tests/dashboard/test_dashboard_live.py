"""Pacing, the live subscriber on a capture console, and plain progress for non-terminals."""

from __future__ import annotations

import io
import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from rich.console import Console

from convergence.dashboard.live import LiveDashboard, Pacer, PlainProgress, parse_speed
from convergence.engine import simulate
from convergence.loader import load_scenario
from tests.dashboard.conftest import CANONICAL

Events = list[dict[str, Any]]
ESCAPE = re.compile(r"\x1b")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
ALT_SCREEN_OFF = "\x1b[?1049l"


class FakeClock:
    """A wall clock that only moves when slept on."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_pacer_holds_each_event_until_its_scaled_time() -> None:
    clock = FakeClock()
    pacer = Pacer(0.5, clock=clock, sleep=clock.sleep)
    shown: list[float] = []
    pacer.wait(0.0)
    pacer.wait(1.0, shown.append, interval=0.25)
    assert clock.now == pytest.approx(102.0)  # 1 virtual second at speed 0.5
    assert max(clock.sleeps) <= 0.25
    assert shown == sorted(shown)
    assert shown[-1] < 1.0
    pacer.wait(0.5)  # an event already due does not wait
    assert clock.now == pytest.approx(102.0)


def test_pacer_at_max_speed_never_sleeps() -> None:
    clock = FakeClock()
    pacer = Pacer(None, clock=clock, sleep=clock.sleep)
    for t in (0.0, 10.0, 1e6):
        pacer.wait(t)
    assert clock.sleeps == []


@pytest.mark.parametrize(("text", "speed"), [("max", None), ("MAX", None), ("0.05", 0.05), ("2", 2.0)])
def test_parse_speed(text: str, speed: float | None) -> None:
    assert parse_speed(text) == speed


@pytest.mark.parametrize("text", ["0", "-1", "fast", "nan", "inf"])
def test_parse_speed_refuses_nonsense(text: str) -> None:
    with pytest.raises(ValueError, match=r"^speed must be a positive number or 'max', got "):
        parse_speed(text)


def test_c12_plain_progress_is_bounded_for_thousands_of_rounds() -> None:
    out = io.StringIO()
    progress = PlainProgress(out)
    progress(
        {"t": 0.0, "event": "run_start", "scenario": "s", "protocol": "gossip", "n_agents": 22, "seed": 1}
    )
    for r in range(5000):
        progress({"t": r * 0.01, "event": "phase_end", "name": f"round-{r}", "consensus": 0.5, "messages": 2})
    progress({"t": 50.0, "event": "run_end", "consensus": 0.99})
    lines = out.getvalue().splitlines()
    assert len(lines) <= 2 + 16 + 13
    assert lines[-1].endswith("run end: consensus 0.9900")
    assert not ESCAPE.search(out.getvalue())


@contextmanager
def stderr_logger() -> Iterator[logging.Logger]:
    """A logger whose records go to the current stderr, like after `logging.basicConfig()`."""
    handler = logging.StreamHandler(sys.stderr)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield logging.getLogger("tests.noisy")
    finally:
        root.removeHandler(handler)


def test_c13_output_during_a_live_run_comes_out_once_above_the_final_frame(
    capsys: pytest.CaptureFixture[str],
) -> None:
    console = Console(file=io.StringIO(), width=80, height=24, force_terminal=True, color_system="truecolor")
    phase_ends = 0

    def noisy(event: dict[str, Any]) -> None:
        nonlocal phase_ends
        if event["event"] == "phase_end":
            phase_ends += 1
            print(f"callback line {phase_ends}")
            logger.warning("agent warning %d", phase_ends)
            sys.stderr.write(f"dependency says {phase_ends}\n")

    with stderr_logger() as logger, LiveDashboard(console, speed=None) as dashboard:
        simulate(load_scenario(CANONICAL), subscribers=[dashboard, noisy])
    screen = console.file.getvalue()  # type: ignore[attr-defined]
    _live, after = screen.rsplit(ALT_SCREEN_OFF, 1)
    after = ANSI.sub("", after)
    err = capsys.readouterr().err
    assert phase_ends == 7
    for n in range(1, 8):
        assert after.count(f"callback line {n}\n") == 1
        assert err.count(f"agent warning {n}\n") == 1
        assert err.count(f"dependency says {n}\n") == 1
    # the final frame comes once, after the lines printed during the run
    assert after.count("─ merge tree") == 1
    assert after.index("callback line 7") < after.index("─ phases")
    assert "✓ full" in after
    # and the terminal is handed back: cursor shown, alternate screen left
    assert after.endswith("\n")
    assert screen.rindex("\x1b[?25h") > screen.rindex("\x1b[?25l")


def test_live_dashboard_shows_the_run_in_the_alternate_screen() -> None:
    console = Console(file=io.StringIO(), width=100, height=30, force_terminal=True, color_system=None)
    with LiveDashboard(console, speed=None) as dashboard:
        simulate(load_scenario(CANONICAL), subscribers=[dashboard])
    screen = console.file.getvalue()  # type: ignore[attr-defined]
    assert screen.count("\x1b[?1049h") == 1
    assert screen.count(ALT_SCREEN_OFF) == 1
    live = screen.split(ALT_SCREEN_OFF)[0]
    assert live.count("─ merge tree") >= 14  # one frame per phase change at least
    assert dashboard.state.finished
