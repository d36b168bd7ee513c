"""The dashboard state is a pure fold over events: what a run shows, a replay shows too."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convergence.dashboard import DashboardState, render_dashboard
from convergence.dashboard.state import AgentMark
from convergence.engine import simulate
from convergence.loader import load_scenario
from convergence.summary import summarize
from tests.dashboard.conftest import ROOT

Events = list[dict[str, Any]]


def test_fold_of_the_canonical_run_ends_with_every_phase_done(canonical_events: Events) -> None:
    state = DashboardState.from_events(canonical_events)
    end = canonical_events[-1]
    assert end["event"] == "run_end"
    assert state.finished
    assert state.current_level is None
    assert [p.name for p in state.phases.values()] == [
        "init", "pairs", "quads", "octads", "level-4", "level-5", "full",
    ]  # fmt: skip
    assert all(p.status == "done" and p.progress == 1.0 for p in state.phases.values())
    for phase in state.phases.values():
        merges = {e["group"] for e in canonical_events if e["event"] == "merge" and e["level"] == phase.level}
        assert set(phase.merged) == merges
        assert merges.isdisjoint(phase.byes)
    assert state.phases[3].byes == [2]
    assert state.observers == [20, 21]
    assert state.consensus == end["consensus"]
    assert state.messages == end["messages_sent"]
    assert state.dropped == end["messages_dropped"]
    assert state.time == end["t"]
    assert len(state.samples) == sum(1 for e in canonical_events if e["event"] == "sample")


def test_agent_values_follow_their_groups_means(canonical_events: Events) -> None:
    state = DashboardState.from_events(canonical_events)
    last_full = [e for e in canonical_events if e["event"] == "merge" and e["size"] == 22][-1]
    assert state.values.shape == (22, 4)
    assert (state.values == last_full["mean"]).all()
    # every agent ends in the full group, so every distance is 0 and nothing is unknown
    assert (state.distances() < 1e-12).all()


def test_current_phase_is_the_lowest_running_one(canonical_events: Events) -> None:
    cut = next(i for i, e in enumerate(canonical_events) if e["event"] == "phase_end" and e["level"] == 1)
    state = DashboardState.from_events(canonical_events[:cut])
    running = [p.level for p in state.phases.values() if p.status == "running"]
    assert running
    assert state.current_level == min(running) == 1


def test_replayed_state_renders_the_same_frame_as_the_live_one(canonical_events: Events) -> None:
    live = DashboardState()
    for event in canonical_events:
        live.apply(event)
    replayed = DashboardState.from_events(json.loads(json.dumps(e)) for e in canonical_events)
    for width, height in ((80, 22), (200, 50)):
        a = render_dashboard(live, width=width, height=height).plain()
        b = render_dashboard(replayed, width=width, height=height).plain()
        assert a == b


def test_fault_and_unknown_events_mark_agents_and_reach_the_feed(canonical_events: Events) -> None:
    extra: Events = [
        {"t": 0.01, "event": "crash", "agent": 3, "reason": "scheduled"},
        {"t": 0.02, "event": "validation_flag", "level": 2, "check": "backward", "suspects": [5, 6]},
        {"t": 0.03, "event": "quarantine", "agents": [6]},
        {"t": 0.04, "event": "something_new", "payload": {"a": 1}, "values": [1.5, 2.5, 3, 4, 5, 6]},
        {"t": 0.05, "event": "metrics", "sps": 97.5, "cqi": 0.81},
    ]
    state = DashboardState.from_events([*canonical_events[:3], *extra])
    assert state.mark_of(3) == AgentMark.CRASHED
    assert state.mark_of(5) == AgentMark.FLAGGED
    assert state.mark_of(6) == AgentMark.QUARANTINED
    assert state.mark_of(7) is None
    assert state.metrics["sps"] == 97.5
    assert state.metrics["cqi"] == 0.81
    names = [name for _, name, _ in state.feed]
    assert names[-5:] == ["crash", "validation_flag", "quarantine", "something_new", "metrics"]
    text = render_dashboard(state, width=200, height=40).plain()
    assert "something_new payload={…} values=1.5,2.5,3,4…" in text
    assert "SPS / CQI  97.5 / 0.810" in text


@pytest.mark.parametrize("scenario", ["crash-22", "byzantine-22"])
def test_fault_runs_mark_agents_and_match_the_summary_metrics(scenario: str) -> None:
    events: Events = []
    result = simulate(load_scenario(ROOT / "scenarios" / f"{scenario}.yaml"), subscribers=[events.append])
    state = DashboardState.from_events(events)
    summary = result.summary
    assert state.metrics["sps"] == pytest.approx(summary["sps"])
    assert state.metrics["cqi"] == pytest.approx(summary["cqi"])
    assert len(summary["crashed"]) == (3 if scenario == "crash-22" else 0)
    for crash in summary["crashed"]:
        assert state.mark_of(crash["agent"]) == AgentMark.CRASHED
    for agent in summary.get("validation", {}).get("flagged", []):
        assert state.mark_of(agent) in (AgentMark.FLAGGED, AgentMark.QUARANTINED)
    if scenario == "byzantine-22":
        assert summary["validation"]["flagged"]
    text = render_dashboard(state, width=80, height=22).plain()
    assert f"SPS / CQI  {summary['sps']:.1f} / {summary['cqi']:.3f}" in text


def test_summary_of_the_fold_input_is_unchanged(canonical_events: Events) -> None:
    before = summarize(canonical_events)
    DashboardState.from_events(canonical_events)
    assert summarize(canonical_events) == before


_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 30) | st.floats(allow_nan=True) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
_keys = st.sampled_from(
    ["t", "level", "group", "groups", "members", "mean", "agent", "agents", "suspects", "consensus",
     "messages", "byes", "name", "size", "sps", "n_agents", "levels", "observers", "truth"]
)  # fmt: skip
_names = st.sampled_from(
    ["run_start", "phase_start", "phase_end", "merge", "sample", "run_end", "crash", "flag", "x"]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_names, st.dictionaries(_keys, _values, max_size=6)), max_size=12))
def test_malformed_events_never_break_the_fold_or_the_render(raw: list[tuple[str, dict[str, Any]]]) -> None:
    state = DashboardState()
    for name, fields in raw:
        state.apply({**fields, "event": name})
    frame = render_dashboard(state, width=80, height=22)
    assert len(frame.lines) <= 22
    assert all(line.cell_len <= 80 for line in frame.lines)
