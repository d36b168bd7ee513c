"""Behaviours: bounded confidence (Hegselmann-Krause, C20), inverse variance, weighted vote."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from agents import BEHAVIOURS, make_behaviour
from agents.bounded_confidence import BoundedConfidence
from convergence.agent import BehaviourContext, State
from convergence.engine import simulate
from convergence.errors import ConvergenceError
from convergence.loader import load_scenario


def hk_round(values: Sequence[float] | Sequence[Sequence[float]] | np.ndarray, epsilon: float) -> np.ndarray:
    """One synchronous HK round: every agent combines with all others' previous opinions."""
    behaviour = BoundedConfidence(BehaviourContext(n_agents=len(values), task="opinion", epsilon=epsilon))
    states = [
        behaviour.initial_state(np.atleast_1d(np.asarray(v, dtype=float)), agent=i)
        for i, v in enumerate(values)
    ]
    return np.array(
        [
            behaviour.combine(own, [s for j, s in enumerate(states) if j != i]).value
            for i, own in enumerate(states)
        ]
    )


def test_every_behaviour_is_registered_under_its_name() -> None:
    assert set(BEHAVIOURS) == {
        "weighted-mean",
        "inverse-variance",
        "weighted-vote",
        "bounded-confidence",
        "median",
        "trimmed-mean",
    }
    for name, cls in BEHAVIOURS.items():
        assert cls.name == name


def test_c20_epsilon_half_gives_every_agent_the_mean_in_one_step() -> None:
    after = hk_round([0.25, 0.25, 0.75], 0.5)
    assert after.ravel().tolist() == [1.25 / 3] * 3


def test_c20_epsilon_zero_moves_nothing_and_keeps_two_clusters() -> None:
    after = hk_round([0.2, 0.2, 0.8], 0.0)
    assert after.ravel().tolist() == [0.2, 0.2, 0.8]


def test_c20_the_boundary_counts_as_within_despite_rounding() -> None:
    assert not (0.8 - 0.2 <= 0.6)  # the raw floating-point comparison fails
    assert hk_round([0.2, 0.8], 0.6).ravel().tolist() == [0.5, 0.5]
    assert hk_round([0.2, 0.8], 0.6 - 1e-9).ravel().tolist() == [0.2, 0.8]


def test_hk_epsilon_at_least_the_range_is_consensus_at_the_mean_in_one_round() -> None:
    values = np.random.default_rng(3).random(22)
    after = hk_round(values, float(values.max() - values.min()))
    assert np.unique(after).size == 1
    assert after[0, 0] == pytest.approx(values.mean(), abs=1e-15)


def test_hk_hand_computed_two_rounds() -> None:
    # eps = 0.3: 0 sees {0, 0.2}; 0.2 sees {0, 0.2, 0.45}; 0.45 sees {0.2, 0.45}; 1 sees itself.
    first = hk_round([0.0, 0.2, 0.45, 1.0], 0.3).ravel()
    assert first == pytest.approx([0.1, 0.65 / 3, 0.325, 1.0], abs=1e-15)
    second = hk_round(first, 0.3).ravel()
    assert second[:3] == pytest.approx([(0.1 + 0.65 / 3 + 0.325) / 3] * 3, abs=1e-15)
    assert second[3] == 1.0


def test_hk_multidimensional_uses_euclidean_distance() -> None:
    after = hk_round([[0.0, 0.0], [0.3, 0.4], [1.0, 1.0]], 0.5)
    assert after.tolist() == [[0.15, 0.2], [0.15, 0.2], [1.0, 1.0]]


def test_bounded_confidence_needs_epsilon() -> None:
    with pytest.raises(ConvergenceError, match=r"^bounded-confidence agents need agents.epsilon"):
        make_behaviour("bounded-confidence", BehaviourContext(task="opinion"))


def test_inverse_variance_ends_on_the_precision_weighted_mean(tmp_path: Path) -> None:
    sigma = [0.5 + 0.1 * i for i in range(22)]
    signals = np.random.default_rng(5).normal(size=(22, 2))
    np.savetxt(tmp_path / "signals.csv", signals, delimiter=",", fmt="%.17g")
    task = {"noise": {"sigma": sigma}, "dimensions": 2, "initial": str(tmp_path / "signals.csv")}
    scenario = load_scenario({"agents": {"count": 22, "behaviour": "inverse-variance"}, "task": task})
    result = simulate(scenario, seed=5)
    precision = 1.0 / np.square(sigma)
    expected = (precision[:, None] * signals).sum(axis=0) / precision.sum()
    assert np.allclose(result.final_values, expected, rtol=0, atol=1e-12)
    assert not np.allclose(expected, signals.mean(axis=0), rtol=0, atol=1e-3)


def test_inverse_variance_refuses_zero_noise_and_other_tasks() -> None:
    with pytest.raises(
        ConvergenceError, match=r"^inverse-variance needs every task.noise.sigma > 0 \(agent 1 has 0.0\)"
    ):
        make_behaviour("inverse-variance", BehaviourContext(n_agents=2, noise_sigma=np.array([1.0, 0.0])))
    with pytest.raises(
        ConvergenceError,
        match=r"^inverse-variance agents need an estimate task with known noise, not 'choice'$",
    ):
        make_behaviour("inverse-variance", BehaviourContext(n_agents=2, task="choice"))


def test_weighted_vote_pools_tallies_and_needs_a_choice_task() -> None:
    vote = make_behaviour("weighted-vote", BehaviourContext(n_agents=3, task="choice"))
    a = vote.initial_state(np.array([1.0, 0.0]), agent=0)
    pair = vote.merge(a, [State(np.array([0.0, 1.0]), 1.0)])
    three = vote.merge(pair, [State(np.array([0.0, 1.0]), 1.0)])
    assert three.weight == 3.0
    assert three.value == pytest.approx([1 / 3, 2 / 3])
    with pytest.raises(ConvergenceError, match=r"^weighted-vote agents need a choice task, not 'estimate'$"):
        make_behaviour("weighted-vote", BehaviourContext())


def test_a_scenario_with_epsilon_on_another_behaviour_is_refused() -> None:
    from convergence.errors import ScenarioError

    with pytest.raises(ScenarioError, match=r"agents.epsilon only applies to bounded-confidence"):
        load_scenario({"agents": {"epsilon": 0.2}})
