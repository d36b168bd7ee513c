"""Agent and network faults in the runtime: crashes, stragglers, liars, partitions, links."""

from __future__ import annotations

import asyncio
import math
from typing import Any

import numpy as np
import pytest

from convergence.engine import RunResult, simulate
from convergence.errors import ScenarioError
from convergence.loader import load_scenario


def small(n: int = 4, observers: int = 0, **extra: Any) -> dict[str, Any]:
    """A tiny scenario with a constant 10 ms latency, so every time is known by hand."""
    data: dict[str, Any] = {
        "name": "small",
        "seed": 3,
        "agents": {"count": n},
        "task": {"kind": "estimate", "dimensions": 2},
        "network": {"latency": {"distribution": "constant", "value": "10ms"}},
        "protocol": {"observers": observers, "phase_timeout": "50ms"},
    }
    data.update(extra)
    return data


def run(data: dict[str, Any], **kwargs: Any) -> RunResult:
    return simulate(load_scenario(data), **kwargs)


def test_c08_crash_after_pairs_hand_count() -> None:
    # N=4: pairs 0<->1, 2<->3 (4 exchanges), quads 0<->2, 1<->3 (4): 8 planned.
    # Agent 3 crashes at 15 ms: its pair message (sent at 10 ms) reaches 2 and is used, but
    # 2's message to it arrives at 20 ms and is lost; at quads 3->1 never happens and 1->3 is
    # lost. Missing: 3 of 8.
    result = run(small(faults=[{"kind": "crash", "agents": [3], "at": "15ms"}]))
    summary = result.summary
    assert summary["exchanges"] == [
        {"level": 1, "planned": 4, "used": 3},
        {"level": 2, "planned": 4, "used": 2},
    ]
    assert summary["sps"] == pytest.approx(100 * 5 / 8)
    # C08: both sends to the crashed agent count as drops; nothing raised.
    assert summary["messages_dropped"] == 2
    assert summary["crashed"] == [{"agent": 3, "t": 0.015, "reason": "fault"}]
    assert not summary["interrupted"]


def test_crash_during_quads_loses_exactly_its_missing_exchanges() -> None:
    # Agent 3 crashes at 25 ms, after sending its quad state at 20 ms (used by 1 at 30 ms);
    # only 1->3 is lost: 7 of 8.
    result = run(small(faults=[{"kind": "crash", "agents": [3], "at": "25ms"}]))
    assert result.summary["sps"] == pytest.approx(87.5)
    assert result.summary["messages_dropped"] == 1
    phases = [p["level"] for p in result.summary["phases"]]
    assert phases == [0, 1, 2]


def test_crash_at_a_phase_name_and_metrics_exclude_crashed() -> None:
    result = run(small(n=8, faults=[{"kind": "crash", "count": 2, "at": "quads"}]))
    crashed = [c["agent"] for c in result.summary["crashed"]]
    assert len(crashed) == 2
    start = next(e for e in result.events if e["event"] == "phase_start" and e["name"] == "quads")
    assert all(c["t"] == start["t"] for c in result.summary["crashed"])
    assert result.summary["sps"] < 100
    assert math.isfinite(result.summary["consensus"])


def test_faulty_agents_are_drawn_from_the_seed() -> None:
    data = small(n=22, faults=[{"kind": "byzantine", "strategy": "flip", "count": 3}])

    def drawn(seed: int) -> list[int]:
        return [f["agent"] for f in run(data, seed=seed).summary["faults"]]

    assert drawn(1) == drawn(1)
    assert len({tuple(drawn(seed)) for seed in range(6)}) > 1
    explicit = small(n=22, faults=[{"kind": "byzantine", "strategy": "flip", "agents": [4, 9]}])
    assert [f["agent"] for f in run(explicit).summary["faults"]] == [4, 9]


def test_straggler_slower_than_the_timeout_makes_its_partner_time_out() -> None:
    result = run(small(n=2, faults=[{"kind": "straggler", "agents": [1], "delay": "100ms"}]))
    timeouts = [e for e in result.events if e["event"] == "timeout"]
    assert [(e["agent"], e["level"], e["received"]) for e in timeouts] == [(0, 1, 0)]
    assert result.summary["sps"] == 50.0


def test_link_override_sets_the_latency_of_one_link() -> None:
    result = run(
        small(
            n=2,
            network={
                "latency": {"distribution": "constant", "value": "10ms"},
                "links": [{"between": [0, 1], "latency": "30ms"}],
            },
        )
    )
    # init at 10 ms (coordinator links are not overridden), the pair exchange takes 30 ms.
    assert result.summary["t_end_s"] == pytest.approx(0.04)
    assert result.summary["sps"] == 100.0


def test_duplicates_are_discarded_and_the_mean_survives() -> None:
    data = load_scenario("scenarios/canonical-22.yaml", ["network.drop=0", "network.duplicate=0.5"])
    result = simulate(data)
    assert result.summary["messages_duplicated"] > 50
    assert result.summary["sps"] == 100.0
    assert result.summary["consensus"] == pytest.approx(1.0, abs=1e-9)
    assert max(abs(x) for x in result.summary["mass_loss"]) < 1e-9


def test_drop_only_mass_loss_is_initial_minus_final_exactly() -> None:
    result = simulate(load_scenario("scenarios/canonical-22.yaml", ["network.drop=0.2"]))
    signals = result.initial_values
    final = result.final_values
    expected = [math.fsum([*signals[:, k].tolist(), *(-final[:, k]).tolist()]) for k in range(final.shape[1])]
    assert result.summary["mass_loss"] == expected
    assert max(abs(x) for x in expected) > 1e-3  # drops really lost mass: the test can fail


def test_partition_drops_across_groups_then_heals() -> None:
    result = simulate(load_scenario("scenarios/partition-22.yaml"))
    summary = result.summary
    events = [e for e in result.events if e["event"] == "partition"]
    assert [e["active"] for e in events] == [True, False]
    assert events[1]["t"] == pytest.approx(0.08)
    assert summary["messages_cut"] > 0
    assert summary["sps"] < 100


def test_partition_that_never_heals_ends_by_the_watchdog() -> None:
    import time

    data = small(
        n=8,
        network={
            "latency": {"distribution": "constant", "value": "10ms"},
            "partitions": [{"at": 0, "groups": [[0, 2, 4, 6], [1, 3, 5, 7]]}],
        },
        protocol={"observers": 0, "phase_timeout": "1h", "watchdog": "60s"},
    )
    wall_start = time.perf_counter()
    result = run(data)
    assert time.perf_counter() - wall_start < 5.0
    stalled = result.summary["stalled"]
    assert stalled is not None
    assert stalled["reason"] == "no progress for 60s of virtual time"
    assert [w["agent"] for w in stalled["waiting"]] == list(range(8))
    assert all(w["level"] == 1 and w["received"] == 0 for w in stalled["waiting"])


def test_a_behaviour_raising_at_time_t_crashes_only_its_agent(monkeypatch: pytest.MonkeyPatch) -> None:
    import agents
    from agents.weighted_mean import WeightedMean
    from convergence.agent import State

    class Boom(WeightedMean):
        name = "boom"
        fired = False

        def merge(self, own: State, received: Any) -> State:
            if asyncio.get_running_loop().time() >= 0.03 and not Boom.fired:
                Boom.fired = True
                raise RuntimeError("boom")
            return super().merge(own, received)

    monkeypatch.setitem(agents.BEHAVIOURS, "boom", Boom)
    tasks_at_end: list[int] = []

    def watch(event: dict[str, Any]) -> None:
        if event["event"] == "run_end":
            tasks_at_end.append(len(asyncio.all_tasks()))

    data = small(agents={"count": 4, "behaviour": "boom"})
    result = run(data, subscribers=[watch])
    errors = result.summary["errors"]
    assert len(errors) == 1
    assert errors[0]["type"] == "RuntimeError"
    assert errors[0]["message"] == "boom"
    assert errors[0]["t"] == pytest.approx(0.03)
    assert errors[0]["agent"] in range(4)
    assert [c["agent"] for c in result.summary["crashed"]] == [errors[0]["agent"]]
    assert tasks_at_end == [1]  # only the main task: no agent left running
    assert not result.summary["interrupted"]


def test_c19_byzantine_infinity_is_rejected_and_counted() -> None:
    data = small(
        n=8, faults=[{"kind": "byzantine", "strategy": "constant", "value": math.inf, "agents": [0]}]
    )
    result = run(data)
    assert result.summary["messages_invalid"] > 0
    assert any(e["event"] == "invalid_message" and e["sender"] == 0 for e in result.events)
    honest = result.final_values[1:]
    assert np.isfinite(honest).all()
    assert math.isfinite(result.summary["consensus"])
    assert math.isfinite(result.summary["dispersion"])


def test_flip_mirrors_the_honest_value_about_the_truth() -> None:
    data = small(n=2, faults=[{"kind": "byzantine", "strategy": "flip", "agents": [1]}])
    data["task"]["truth"] = [1.0, -2.0]
    result = run(data)
    signals, truth = result.initial_values, np.array([1.0, -2.0])
    np.testing.assert_allclose(result.final_values[0], (signals[0] + 2 * truth - signals[1]) / 2)


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ({"kind": "crash", "agents": [22]}, r"faults\.0\.agents names agent 22 but agents are 0\.\.21"),
        ({"kind": "crash", "count": 2, "agents": [1]}, r"give either count .* or agents"),
        ({"kind": "byzantine", "count": 1}, r"strategy"),
        ({"kind": "crash", "count": 1, "at": "-3ms"}, r"expected a time such as 12ms or a phase name"),
    ],
)
def test_bad_faults_are_clear_scenario_errors(fault: dict[str, Any], message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        load_scenario({"agents": {"count": 22}, "faults": [fault]})


BASELINES = ["all-to-all", "degroot", "gossip", "recursive-doubling", "tree", "push-sum"]


@pytest.mark.parametrize("protocol", BASELINES)
def test_baselines_inherit_crashes_without_stalling(protocol: str) -> None:
    scenario = load_scenario(
        "scenarios/canonical-22.yaml",
        [f"protocol.name={protocol}", "protocol.max_rounds=30", "faults=[{kind: crash, count: 3, at: 15ms}]"],
    )
    summary = simulate(scenario).summary
    assert len(summary["crashed"]) == 3
    assert summary["stalled"] is None
    assert not summary["interrupted"]


@pytest.mark.parametrize("protocol", BASELINES)
def test_c19_baselines_reject_a_liars_infinity(protocol: str) -> None:
    scenario = load_scenario(
        "scenarios/canonical-22.yaml",
        [
            f"protocol.name={protocol}",
            "protocol.max_rounds=30",
            "faults=[{kind: byzantine, strategy: constant, value: .inf, agents: [20]}]",
        ],
    )
    result = simulate(scenario)
    assert result.summary["messages_invalid"] > 0
    assert np.isfinite(np.delete(result.final_values, 20, axis=0)).all()
    assert math.isfinite(result.summary["consensus"])


@pytest.mark.parametrize("name", ["byzantine-22", "crash-22", "partition-22", "stragglers-22"])
def test_fault_scenarios_are_reproducible(name: str) -> None:
    import json

    scenario = load_scenario(f"scenarios/{name}.yaml")
    first, second = simulate(scenario, seed=4), simulate(scenario, seed=4)
    assert json.dumps(first.events) == json.dumps(second.events)


def test_a_loop_with_nothing_to_wait_for_calls_the_stall_hook() -> None:
    import anyio

    from convergence.clock import VirtualEventLoop, run_virtual

    calls: list[float] = []

    async def main() -> float:
        loop = asyncio.get_running_loop()
        assert isinstance(loop, VirtualEventLoop)
        never = anyio.Event()

        def on_stall() -> bool:
            calls.append(loop.time())
            never.set()  # unblock the waiter, as the watchdog's cancel does
            return True

        loop.on_stall = on_stall
        await anyio.sleep(2.0)
        await never.wait()
        return loop.time()

    assert run_virtual(main) == 2.0
    assert calls == [2.0]


def test_a_fault_waiting_for_a_phase_that_never_starts_is_reported() -> None:
    summary = run(small(faults=[{"kind": "crash", "count": 1, "at": "octads"}])).summary
    assert summary["faults_never_started"] == ["octads"]
    assert summary["crashed"] == []


def test_a_constant_lie_must_fit_the_state() -> None:
    with pytest.raises(ScenarioError, match=r"faults\.0\.value lists 3 values but a state has 2"):
        load_scenario(
            small(faults=[{"kind": "byzantine", "strategy": "constant", "value": [1, 2, 3], "count": 1}])
        )


def test_rejected_messages_stay_referenced_so_no_id_is_reused_within_a_wait() -> None:
    # An infinity is rejected on arrival; were it freed, a later message could take its id
    # and be dropped as a "duplicate", and runs would differ from one another.
    import json

    data = small(n=22, faults=[{"kind": "byzantine", "strategy": "constant", "value": math.inf, "count": 4}])
    data["protocol"]["exchange"] = "all-to-all"
    runs = [json.dumps(run(data, seed=2).events) for _ in range(3)]
    assert runs[0] == runs[1] == runs[2]
