"""Recursive validation by the observers: the checks, detection, no false alarms."""

from __future__ import annotations

import numpy as np
import pytest

from convergence.agent import State
from convergence.engine import simulate
from convergence.loader import load_scenario
from convergence.messages import Message, MessageKind
from convergence.scenario_faults import Validation
from convergence.validation import AuditRecord, check_level

ALL = Validation(checks=["forward", "backward", "lateral", "recursive"])


def record(
    agent: int,
    group: int,
    before: list[float],
    after: list[float],
    got: dict[int, list[float]],
    level: int = 2,
    previous: int = 1,
) -> AuditRecord:
    messages = tuple(
        Message(sender, agent, MessageKind.STATE, level, State(np.array(value)), 0.0)
        for sender, value in got.items()
    )
    return AuditRecord(agent, level, group, previous, np.array(before), np.array(after), messages)


def no_history(agent: int, level: int) -> AuditRecord | None:
    return None


def test_honest_pair_passes_every_check() -> None:
    records = {
        0: record(0, 0, [0.0], [0.5], {1: [1.0]}),
        1: record(1, 0, [1.0], [0.5], {0: [0.0]}),
    }
    assert check_level(records, no_history, ALL) == []


def test_backward_names_the_sender_that_told_two_stories() -> None:
    records = {
        0: record(0, 0, [0.0], [0.5], {1: [1.0]}),
        1: record(1, 0, [3.0], [1.5], {0: [0.0]}),  # claims 3.0, but 0 got 1.0
    }
    failures = [f for f in check_level(records, no_history, ALL) if f.check == "backward"]
    assert [(f.check, f.suspects) for f in failures] == [("backward", [1])]
    assert failures[0].evidence["values"] == {"claim": [3.0], "to 0": [1.0]}


def test_forward_flags_a_result_outside_the_hull_of_its_inputs() -> None:
    records = {0: record(0, 0, [0.0], [2.0], {1: [1.0]})}
    failures = check_level(records, no_history, Validation(checks=["forward"]))
    assert [(f.check, f.suspects) for f in failures] == [("forward", [0])]


def test_recursive_flags_a_member_that_did_not_start_from_its_last_result() -> None:
    earlier = {0: record(0, 0, [0.0], [0.5], {1: [1.0]}, level=1, previous=0)}
    now = {0: record(0, 0, [0.7], [0.7], {}, level=2, previous=1)}

    def history(agent: int, level: int) -> AuditRecord | None:
        return earlier.get(agent) if level == 1 else None

    failures = check_level(now, history, Validation(checks=["recursive"]))
    assert {(f.check, tuple(f.suspects)) for f in failures} == {("recursive", (0,))}
    assert failures[0].evidence == {"previous_level": 1, "after_then": [0.5], "before_now": [0.7]}


def test_lateral_flags_an_outlier_group_and_its_outlier_member() -> None:
    records = {}
    for g in range(5):
        a, b = 2 * g, 2 * g + 1
        va, vb = float(g) * 0.1, float(g) * 0.1 + 0.05
        if g == 4:
            vb = 100.0
        mid = (va + vb) / 2
        records[a] = record(a, g, [va], [mid], {b: [vb]})
        records[b] = record(b, g, [vb], [mid], {a: [va]})
    failures = check_level(records, no_history, Validation(checks=["lateral"]))
    assert [(f.check, f.group, f.suspects) for f in failures] == [("lateral", 4, [9])]


@pytest.mark.parametrize("seed", range(8))
def test_equivocators_on_byzantine_22_are_flagged_by_the_backward_check(seed: int) -> None:
    result = simulate(load_scenario("scenarios/byzantine-22.yaml"), seed=seed)
    validation = result.summary["validation"]
    liars = validation["faulty"]
    assert len(liars) == 2
    backward = {a for f in validation["failures"] if f["check"] == "backward" for a in f["suspects"]}
    assert backward == set(liars)
    assert validation["recall"] == 1.0
    assert validation["precision"] == 1.0
    assert result.summary["messages_quarantined"] > 0


@pytest.mark.slow
def test_no_false_alarms_over_200_fault_free_seeds() -> None:
    scenario = load_scenario(
        "scenarios/canonical-22.yaml",
        ["validation.checks=[forward, backward, lateral, recursive]", "record.timeline_points=2"],
    )
    for seed in range(200):
        summary = simulate(scenario, seed=seed).summary
        assert summary["validation"]["failures"] == [], f"seed {seed}"
        assert summary["validation"]["levels_checked"] > 0


def test_crashes_are_not_lies() -> None:
    summary = simulate(load_scenario("scenarios/crash-22.yaml")).summary
    assert len(summary["crashed"]) == 3
    assert summary["validation"]["failures"] == []
