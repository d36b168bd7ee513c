"""One run end to end: exact means, virtual time, determinism, group records."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from convergence.engine import simulate
from tests.conftest import make_scenario


@pytest.mark.parametrize("n", [1, 2, 3, 5, 22, 44, 88, 176, 1000])
def test_fault_free_run_ends_every_agent_on_the_exact_global_mean(n: int) -> None:
    scenario = make_scenario(
        agents={"count": n},
        task={"kind": "estimate", "dimensions": 3},
        network={"latency": {"distribution": "lognormal", "median": "5ms", "sigma": 0.8}},
        protocol={"phase_timeout": "10s"},
    )
    result = simulate(scenario, seed=11)
    mean = result.initial_values.mean(axis=0)
    assert np.abs(result.final_values - mean).max() <= 1e-9
    assert result.summary["messages_dropped"] == 0
    assert result.summary["consensus"] == pytest.approx(1.0, abs=1e-9)


def test_minutes_of_virtual_time_take_well_under_a_second_and_match_the_latencies() -> None:
    latency = 30.0  # seconds, constant: every level takes exactly one latency
    scenario = make_scenario(
        agents={"count": 22},
        network={"latency": {"distribution": "constant", "value": latency}},
        protocol={"phase_timeout": "10m"},
    )
    wall_start = time.perf_counter()
    result = simulate(scenario)
    wall = time.perf_counter() - wall_start
    assert wall < 1.0
    phases = result.summary["phases"]
    # init, pairs, quads, octads, level-4, level-5, full: one latency each, in sequence.
    assert [p["t_end_s"] for p in phases] == pytest.approx([latency * k for k in range(1, 8)], abs=1e-9)
    assert result.summary["t_end_s"] == pytest.approx(7 * latency, abs=1e-9)
    assert result.summary["time_to_consensus_s"] == pytest.approx(7 * latency, abs=1e-9)


def test_a_lost_message_makes_the_receiver_wait_exactly_until_its_timeout() -> None:
    scenario = make_scenario(
        agents={"count": 2},
        network={"latency": {"distribution": "constant", "value": "1s"}, "drop": 1.0},
        protocol={"phase_timeout": "3s"},
    )
    result = simulate(scenario)
    # Nothing arrives: init times out at 3 s, then the pair exchange at 3 + 3 s.
    assert result.summary["t_end_s"] == pytest.approx(6.0)
    assert result.summary["messages_sent"] == 4
    assert result.summary["messages_dropped"] == 4
    assert result.summary["consensus"] == 0.0


def test_same_seed_gives_identical_events_and_a_different_seed_differs() -> None:
    scenario = make_scenario(
        agents={"count": 30},
        network={"latency": {"distribution": "exponential", "mean": "4ms"}, "drop": 0.05},
    )
    first, second = simulate(scenario, seed=5), simulate(scenario, seed=5)
    assert first.events == second.events
    assert simulate(scenario, seed=6).events != first.events


def test_merge_events_record_every_group_with_the_same_schema() -> None:
    result = simulate(make_scenario(agents={"count": 22}))
    merges = [e for e in result.events if e["event"] == "merge"]
    per_level: dict[int, int] = {}
    for event in merges:
        per_level[event["level"]] = per_level.get(event["level"], 0) + 1
        assert set(event) >= {"level", "group", "size", "members", "mean", "dispersion", "consensus"}
        assert event["size"] == len(event["members"])
    # Byes do not merge, so they have no merge event at their level.
    assert per_level == {1: 11, 2: 5, 3: 2, 4: 1, 5: 1, 6: 1}
    final = merges[-1]
    assert final["size"] == 22
    assert final["consensus"] == pytest.approx(1.0)
    assert final["messages"] == 40


def test_summary_counts_agree_with_the_phases() -> None:
    result = simulate(make_scenario(agents={"count": 44}, network={"drop": 0.1}), seed=3)
    summary = result.summary
    assert summary["messages_sent"] == sum(p["messages"] for p in summary["phases"])
    assert summary["messages_dropped"] == sum(p["dropped"] for p in summary["phases"])
    # Hand count: init 44; 22 pairs x 2; 10 quads x 4 (+ a bye pair); 5 octads x 8 (+ bye);
    # [8+8, 8+8, 8+2] -> 16 + 16 + 16; [16+16] + bye 10 -> 32; [32+10] -> 64; + observers: 84.
    assert summary["messages_sent"] == 44 + 44 + 40 + 40 + 48 + 32 + 64 + 84
    assert 0.0 <= summary["consensus"] <= 1.0


def test_every_message_is_accounted_for_at_the_end() -> None:
    # A short timeout relative to the latency spread leaves messages arriving after their
    # receiver has moved on: they must show up as late, unread or in flight, never vanish.
    scenario = make_scenario(
        agents={"count": 200},
        network={"latency": {"distribution": "lognormal", "median": "5ms", "sigma": 1.5}, "drop": 0.05},
        protocol={"phase_timeout": "8ms"},
    )
    summary = simulate(scenario, seed=2).summary
    assert summary["messages_sent"] == (
        summary["messages_delivered"] + summary["messages_dropped"] + summary["messages_in_flight"]
    )
    assert summary["messages_late"] + summary["messages_unread"] > 0
    assert summary["messages_delivered"] >= summary["messages_late"] + summary["messages_unread"]


def test_signals_from_a_file_have_no_made_up_truth(tmp_path: Path) -> None:
    csv = tmp_path / "signals.csv"
    csv.write_text("1.0\n2.0\n4.0\n5.0\n")
    task: dict[str, object] = {"kind": "estimate", "initial": str(csv)}
    summary = simulate(make_scenario(agents={"count": 4}, task=task)).summary
    assert summary["error"] is None
    assert summary["consensus"] == pytest.approx(1.0)
    with_truth = make_scenario(agents={"count": 4}, task={**task, "truth": [3.5]})
    assert simulate(with_truth).summary["error"] == pytest.approx(0.5)


@pytest.mark.parametrize("protocol", ["symmetric", "tree", "recursive-doubling", "gossip", "push-sum"])
def test_phase_rows_add_up_to_the_totals_even_under_crashes(protocol: str) -> None:
    scenario = make_scenario(
        agents={"count": 22},
        network={"latency": {"distribution": "lognormal", "median": "5ms", "sigma": 0.5}, "drop": 0.05},
        faults=[{"kind": "crash", "count": 3, "at": "12ms"}],
        protocol={"name": protocol, "phase_timeout": "20ms", "max_rounds": 30},
    )
    summary = simulate(scenario, seed=4).summary
    assert sum(p["messages"] for p in summary["phases"]) == summary["messages_sent"]
    assert sum(p["dropped"] for p in summary["phases"]) == summary["messages_dropped"]


def test_an_interrupted_run_records_no_level_it_never_reached() -> None:
    # Ctrl-C arrives as a cancellation of every agent: levels they never reached must not
    # be recorded, and the summary of what was recorded says what was sent.
    import os
    import signal
    import threading

    from convergence.summary import summarize

    # A job started in the background (as CI may run us) inherits SIGINT ignored: restore
    # Python's default handler, which asyncio turns into cancelling the run.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    scenario = make_scenario(agents={"count": 4000}, protocol={"phase_timeout": "1s"})
    events: list[dict[str, object]] = []

    def interrupt_once_merging(event: dict[str, object]) -> None:
        events.append(event)
        if event["event"] == "merge" and len(events) == 3000:
            threading.Thread(target=os.kill, args=(os.getpid(), signal.SIGINT)).start()

    try:
        with pytest.raises(KeyboardInterrupt):
            simulate(scenario, subscribers=[interrupt_once_merging])
    finally:
        signal.signal(signal.SIGINT, previous)
    ended = [e["level"] for e in events if e["event"] == "phase_end"]
    started = [e["level"] for e in events if e["event"] == "phase_start"]
    assert len(started) < 13  # the plan has 13 levels; the run stopped part-way
    assert set(ended) <= set(started)
    summary = summarize(events)
    assert summary["interrupted"] is True
    assert isinstance(summary["messages_sent"], int)
    assert summary["messages_sent"] > 0
    assert summary["cqi"] is None  # no exchange counts without a finished run
