"""Round limits and bounded event volume for the iterative protocols."""

from __future__ import annotations

import numpy as np

from convergence.engine import simulate
from convergence.oracles.harness import make_scenario, run_preset


def test_long_runs_group_rounds_into_bounded_phases() -> None:
    scenario = make_scenario(
        "degroot",
        12,
        network={"topology": "ring"},
        protocol={"max_rounds": 60, "target": 1.0},
        record={"timeline_points": 20},
    )
    result = simulate(scenario, seed=1)
    phases = result.summary["phases"]
    assert result.summary["stop_reason"] == "max_rounds"
    assert result.summary["rounds"] == 60
    assert [phase["level"] for phase in phases] == list(range(3, 61, 3))
    assert phases[0]["name"] == "round-1..3"
    assert sum(phase["messages"] for phase in phases) == result.summary["messages_sent"] == 60 * 24


def test_max_time_stops_before_the_next_round() -> None:
    scenario = make_scenario(
        "push-sum", 22, network={"topology": "ring"}, protocol={"max_time": "52ms", "target": 1.0}
    )
    result = simulate(scenario, seed=2)
    assert result.summary["stop_reason"] == "max_time"
    # Rounds take one 5 ms latency each: round 11 ends at 55 ms, the first end past 52 ms.
    assert result.summary["rounds"] == 11
    assert abs(result.summary["t_end_s"] - 0.055) < 1e-9


def test_gossip_rounds_are_n_exchanges() -> None:
    scenario = make_scenario("gossip", 8, protocol={"max_rounds": 3, "target": 1.0})
    result = simulate(scenario, seed=0)
    assert result.summary["rounds"] == 3
    assert result.summary["messages_sent"] == 3 * 8 * 2
    assert all(phase["messages"] == 16 for phase in result.summary["phases"])


def test_all_to_all_stops_at_a_fixed_point_of_separate_clusters() -> None:
    # C20: epsilon = 0 on [0.2, 0.2, 0.8]: nothing moves, so the first round is the last.
    scenario = make_scenario(
        "all-to-all",
        3,
        agents={"behaviour": "bounded-confidence", "epsilon": 0.0},
        task={"kind": "opinion"},
        protocol={"max_rounds": 50},
    )
    result = run_preset(scenario, np.array([0.2, 0.2, 0.8]))
    assert (result.summary["stop_reason"], result.summary["rounds"]) == ("stalled", 1)
    assert result.final_values[:, 0].tolist() == [0.2, 0.2, 0.8]
    assert result.summary["messages_sent"] == 6
