"""Every protocol under crashes, a Byzantine agent, stragglers and drops: runs end, no hang."""

from __future__ import annotations

from typing import Any

import pytest

from convergence.engine import simulate
from convergence.loader import load_scenario
from convergence.protocols import PROTOCOLS

FAULTS: list[dict[str, Any]] = [
    {"kind": "crash", "count": 3, "at": "12ms"},
    {"kind": "byzantine", "strategy": "constant", "value": 1e308, "count": 1},
    {"kind": "straggler", "count": 2},
]


def _scenario(protocol: str, faults: list[dict[str, Any]], **network: Any) -> Any:
    return load_scenario(
        {
            "agents": {"count": 22},
            "protocol": {"name": protocol, "max_rounds": 150, "phase_timeout": "20ms"},
            "network": {"drop": 0.05, "topology": {"kind": "small-world", "k": 4, "p": 0.2}, **network},
            "faults": faults,
        }
    )


@pytest.mark.parametrize("protocol", sorted(PROTOCOLS))
@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
def test_every_protocol_finishes_under_faults(protocol: str) -> None:
    result = simulate(_scenario(protocol, FAULTS), seed=5)
    summary = result.summary
    assert not summary["interrupted"]
    assert summary["stalled"] is None
    # The 3 crash faults, plus any agent whose merge overflowed on the liar's 1e308 (the
    # runtime crashes an agent whose behaviour returns a non-finite state).
    faulty = {fault["agent"] for fault in result.events[0]["faults"] if fault["kind"] == "crash"}
    assert len(faulty) == 3
    assert faulty <= {crash["agent"] for crash in summary["crashed"]}
    if protocol in ("all-to-all", "degroot", "gossip", "push-sum"):
        assert summary["stop_reason"] in ("target", "max_rounds", "stalled")


@pytest.mark.parametrize("protocol", ["all-to-all", "degroot", "push-sum", "gossip"])
def test_a_crash_never_blocks_the_round_barrier(protocol: str) -> None:
    crash = [{"kind": "crash", "agents": [0, 5], "at": "2ms"}]  # mid round 1
    scenario = load_scenario(
        {"agents": {"count": 10}, "protocol": {"name": protocol, "max_rounds": 40}, "faults": crash}
    )
    summary = simulate(scenario, seed=1).summary
    assert [crash["agent"] for crash in summary["crashed"]] == [0, 5]
    assert summary["stop_reason"] == "target"
    assert summary["consensus"] >= 0.98


def test_push_sum_counts_a_crashed_agents_mass_as_lost() -> None:
    crash = [{"kind": "crash", "agents": [3], "at": "22ms"}]
    scenario = load_scenario(
        {"agents": {"count": 12}, "protocol": {"name": "push-sum", "max_rounds": 30}, "faults": crash}
    )
    result = simulate(scenario, seed=2)
    mass = next(e for e in result.events if e["event"] == "mass")
    assert mass["weight_lost"] == mass["weight_initial"] - mass["weight_final"]
    assert 0.0 < mass["weight_lost"] < mass["weight_initial"]
