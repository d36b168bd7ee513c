"""Condorcet jury theorem: choice tasks with weighted-vote agents under the symmetric protocol."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from convergence.engine import simulate
from convergence.loader import load_scenario
from convergence.oracles.tasks import (
    condorcet_jury,
    hk_epsilon_zero,
    hk_hand_computed,
    hk_one_round,
    identical_values,
)
from convergence.theory import condorcet_probability


@pytest.mark.parametrize(
    ("n", "p", "expected"),
    [
        (3, 0.6, 0.648),
        (5, 0.6, 0.68256),
        (11, 0.6, 0.753498),
        (21, 0.6, 0.825622),
        (22, 0.6, 0.825622),
        (22, 0.7, 0.973610),
        (22, 0.55, 0.679003),
        (22, 0.4, 0.174378),
    ],
)
def test_condorcet_formula_matches_the_published_values(n: int, p: float, expected: float) -> None:
    assert condorcet_probability(n, p) == pytest.approx(expected, abs=5e-7)


def test_even_juries_with_a_fair_coin_equal_the_odd_jury_below() -> None:
    for n in (2, 4, 10, 22, 44):
        assert condorcet_probability(n, 0.63) == pytest.approx(condorcet_probability(n - 1, 0.63), abs=1e-15)


@pytest.mark.slow
@pytest.mark.parametrize("n", [21, 22])
def test_condorcet_majority_is_right_as_often_as_theory_says(n: int) -> None:
    result, summaries = condorcet_jury(n, 0.6, replicates=600, seed=2026 + n)
    assert result.passed, result
    assert len(summaries) == 600


def test_a_tied_jury_agrees_on_one_option_chosen_by_a_fair_coin(tmp_path: Path) -> None:
    (tmp_path / "votes.csv").write_text("yes,no\n" + "1,0\n0,1\n" * 11, encoding="utf-8")
    scenario = load_scenario(
        {
            "agents": {"count": 22, "behaviour": "weighted-vote"},
            "task": {"kind": "choice", "correct": 0, "initial": str(tmp_path / "votes.csv")},
        }
    )
    decisions = []
    for seed in range(200):
        summary = simulate(scenario, seed=seed).summary
        assert summary["consensus"] == 1.0  # every agent holds the same 11-11 tally: same pick
        decisions.append(summary["decision"])
    assert set(decisions) == {0, 1}
    assert abs(decisions.count(0) / 200 - 0.5) < 3 * 0.5 / math.sqrt(200)


def test_task_oracles_pass() -> None:
    for check in (hk_one_round, hk_epsilon_zero, hk_hand_computed, identical_values):
        result = check()
        assert result.passed, result
