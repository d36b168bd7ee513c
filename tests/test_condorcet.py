"""Condorcet jury theorem: choice tasks with weighted-vote agents under the symmetric protocol."""

from __future__ import annotations

import math

import numpy as np
import pytest

from convergence.engine import simulate
from convergence.loader import load_scenario
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


def _jury(n: int, replicates: int, seed: int) -> tuple[float, list[dict[str, object]]]:
    scenario = load_scenario(
        {
            "agents": {"count": n, "behaviour": "weighted-vote"},
            "task": {"kind": "choice", "signal_accuracy": 0.6},
        }
    )
    summaries = []
    for child in np.random.SeedSequence(seed).spawn(replicates):
        summaries.append(simulate(scenario, seed=int(child.generate_state(1)[0])).summary)
    correct = [s["accuracy"] == 1.0 for s in summaries]
    return float(np.mean(correct)), summaries


@pytest.mark.slow
@pytest.mark.parametrize("n", [21, 22])
def test_condorcet_majority_is_right_as_often_as_theory_says(n: int) -> None:
    replicates = 600
    measured, summaries = _jury(n, replicates, seed=2026 + n)
    expected = condorcet_probability(n, 0.6)
    standard_error = math.sqrt(expected * (1 - expected) / replicates)
    assert abs(measured - expected) < 3 * standard_error, (measured, expected)
    # Exact pooling: every agent ends on the decision, and accuracy is all-or-nothing.
    assert all(s["consensus"] == 1.0 and s["accuracy"] in (0.0, 1.0) for s in summaries)
