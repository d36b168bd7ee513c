"""Rendering is pure (state in, frame out) and fits the terminal: checked on a capture console."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from rich.console import Console

from convergence.dashboard import DashboardState, render_dashboard
from convergence.dashboard.panels import agreement_style, chart_lines

Events = list[dict[str, Any]]
SIZES = [(80, 24), (200, 50), (60, 24), (120, 30)]
PANELS = ("phases", "merge tree", "agents", "consensus over time", "metrics")


def capture(state: DashboardState, width: int, height: int) -> list[str]:
    """What a `width` x `height` terminal console prints for the state's frame."""
    console = Console(file=io.StringIO(), width=width, height=height, force_terminal=True, color_system=None)
    console.print(render_dashboard(state, width=width, height=height, wall_time=1.0), end="")
    text: str = console.file.getvalue()  # type: ignore[attr-defined]
    return text.split("\n")[:-1]


def midway(events: Events) -> Events:
    return events[: len(events) // 2]


@pytest.mark.parametrize(("width", "height"), SIZES)
@pytest.mark.parametrize("which", ["canonical_events", "events_500", "events_256"])
@pytest.mark.parametrize("stage", ["midway", "final"])
def test_c14_frame_fits_without_wrapped_cells(
    request: pytest.FixtureRequest, which: str, stage: str, width: int, height: int
) -> None:
    events: Events = request.getfixturevalue(which)
    state = DashboardState.from_events(midway(events) if stage == "midway" else events)
    frame = render_dashboard(state, width=width, height=height, wall_time=1.0)
    lines = capture(state, width, height)
    # one printed line per frame row: nothing wrapped onto a second terminal line
    assert len(lines) == len(frame.lines) <= height
    assert all(len(line) <= width for line in lines)
    assert lines == [line.plain for line in frame.lines]
    text = "\n".join(lines)
    for panel in PANELS:
        assert f"─ {panel}" in text, panel
    assert "last events" in text
    assert f"N={state.n_agents}" in lines[0]


@pytest.mark.parametrize("which", ["canonical_events", "events_500"])
def test_final_frame_shows_phases_tree_and_consensus(request: pytest.FixtureRequest, which: str) -> None:
    events: Events = request.getfixturevalue(which)
    state = DashboardState.from_events(events)
    text = render_dashboard(state, width=80, height=22).plain()
    end = events[-1]
    assert f"consensus  {end['consensus']:.3f} / 0.98" in text
    assert re.search(r"✓ full\s+━+\s+1/1 " + f"{end['consensus']:.3f}", text)
    assert re.search(r"full\s+" + str(end_size(events)) + r":", text) or state.n_agents > 100
    assert f"{end['messages_sent']:,} sent, {end['messages_dropped']:,} dropped" in text


def end_size(events: Events) -> int:
    return int(max(e["size"] for e in events if e["event"] == "merge"))


def test_canonical_tree_marks_byes_and_observers(canonical_events: Events) -> None:
    text = render_dashboard(DashboardState.from_events(canonical_events), width=100, height=30).plain()
    tree = {line.split("│")[1].split()[0]: line.split("│")[1] for line in text.splitlines()[2:9]}
    assert "bye" in tree["octads"]
    assert "bye" in tree["level-4"]
    assert tree["octads"].count("8:") == 2
    assert "observers 20,21" in text
    assert tree["pairs"].split()[1:] == ["2"] * 11


def test_large_n_aggregates_agents_into_cells(events_500: Events) -> None:
    state = DashboardState.from_events(events_500)
    text = render_dashboard(state, width=80, height=22).plain()
    assert "agents (1 cell = 2 agents)" in text
    assert len(render_dashboard(state, width=200, height=50).plain().splitlines()) <= 50


def test_phase_window_keeps_the_current_phase_in_view(events_500: Events) -> None:
    cut = next(i for i, e in enumerate(events_500) if e["event"] == "phase_end" and e["level"] == 6)
    state = DashboardState.from_events(events_500[:cut])
    assert len(state.phases) > 8
    text = render_dashboard(state, width=80, height=18).plain()
    current = state.phases[state.current_level or 0].name
    assert re.search(rf"▶ {current}\s", text)


def test_agreement_colours_run_from_red_to_green() -> None:
    low, high = agreement_style(0.0).color, agreement_style(1.0).color
    assert low is not None
    assert high is not None
    red, green = low.get_truecolor(), high.get_truecolor()
    assert red.red > red.green
    assert green.green > green.red


def test_chart_draws_the_target_line_and_climbs(canonical_events: Events) -> None:
    state = DashboardState.from_events(canonical_events)
    lines = [line.plain for line in chart_lines(state, 44, 8)]
    assert lines[0].startswith(".98┤")
    assert "┄" in lines[0]
    assert lines[-1].strip() == f"virtual time 0 … {state.time:.4f}s"
    filled = [sum(ch == "█" for ch in line) for line in lines[:-1]]
    assert filled == sorted(filled)  # a rising curve fills lower rows at least as much


def test_tiny_terminal_still_gives_a_frame_within_bounds(canonical_events: Events) -> None:
    state = DashboardState.from_events(canonical_events)
    for width, height in ((20, 6), (40, 10), (30, 200)):
        frame = render_dashboard(state, width=width, height=height)
        assert len(frame.lines) <= height
        assert all(line.cell_len <= width for line in frame.lines)


def test_rounds_of_an_iterative_protocol_show_as_phases_with_their_merges() -> None:
    from tests.dashboard.conftest import run_events

    events = run_events("protocol.name=gossip")
    state = DashboardState.from_events(events)
    rounds = [e for e in events if e["event"] == "phase_end"]
    assert len(state.phases) == len(rounds) >= 2
    text = render_dashboard(state, width=100, height=30).plain()
    first_merge = next(e for e in events if e["event"] == "merge" and e["level"] == 1)
    assert re.search(rf"round-1\s+{first_merge['size']}:", text)
    assert "stop reason=" in text
