"""Tasks: drawing signals, the task metrics (choice, opinion), and identical values (C17)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from convergence.engine import simulate
from convergence.errors import ScenarioError
from convergence.loader import load_scenario
from convergence.metrics import dispersion, plurality, top_options
from convergence.task import ChoiceInstance, TaskInstance, count_clusters, draw_task


def _draw(task: dict[str, object], n: int, seed: int = 0) -> TaskInstance:
    scenario = load_scenario({"agents": {"count": n}, "task": task})
    return draw_task(scenario.task, n, np.random.default_rng(seed))


def test_choice_signals_are_right_with_the_given_accuracy() -> None:
    instance = _draw({"kind": "choice", "options": 3, "signal_accuracy": 0.7}, 20_000)
    assert isinstance(instance, ChoiceInstance)
    votes = instance.signals.argmax(axis=1)
    assert np.array_equal(instance.signals.sum(axis=1), np.ones(20_000))
    right = np.mean(votes == instance.correct)
    assert abs(right - 0.7) < 3 * np.sqrt(0.7 * 0.3 / 20_000)
    wrong = votes[votes != instance.correct]
    assert set(np.unique(wrong).tolist()) == set(range(3)) - {instance.correct}


def test_choice_per_agent_accuracy_and_fixed_correct_option() -> None:
    accuracy = [1.0] * 5 + [0.0] * 5
    instance = _draw({"kind": "choice", "options": 2, "correct": 1, "signal_accuracy": accuracy}, 10)
    assert isinstance(instance, ChoiceInstance)
    assert instance.signals.argmax(axis=1).tolist() == [1] * 5 + [0] * 5


def test_opinions_are_uniform_in_the_unit_cube() -> None:
    instance = _draw({"kind": "opinion", "dimensions": 2}, 1000)
    assert instance.signals.shape == (1000, 2)
    assert instance.signals.min() >= 0.0
    assert instance.signals.max() < 1.0


def test_top_option_ties_follow_the_tie_order_so_equal_tallies_agree() -> None:
    states = np.array([[0.5, 0.5, 0.0], [0.5, 0.5 + 1e-12, 0.0], [0.2, 0.3, 0.5]])
    assert top_options(states, np.array([1, 0, 2])).tolist() == [1, 1, 2]
    assert top_options(states, np.array([2, 0, 1])).tolist() == [0, 0, 2]
    assert plurality(np.array([0, 1, 1, 0]), 2, np.array([1, 0])) == (1, 0.5)
    assert plurality(np.array([0, 1, 1, 0]), 2, np.array([0, 1])) == (0, 0.5)


def test_the_tie_order_is_a_fair_coin_across_runs() -> None:
    firsts = []
    for seed in range(400):
        instance = _draw({"kind": "choice", "options": 2}, 1, seed)
        assert isinstance(instance, ChoiceInstance)
        firsts.append(int(instance.tie_order[0]))
    assert abs(np.mean(firsts) - 0.5) < 3 * 0.5 / np.sqrt(400)


def test_choice_consensus_and_accuracy_count_top_options() -> None:
    instance = ChoiceInstance(
        truth=np.array([0.0, 1.0]), signals=np.eye(2), correct=1, tie_order=np.array([0, 1])
    )
    states = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [0.5, 0.5]])
    assert instance.consensus(states, 0.0, 1.0) == 0.5  # 0, 1, 1, 0 (tie -> 0): two each
    assert instance.outcome(states, states) == {"accuracy": 0.5, "decision": 0}


def test_count_clusters() -> None:
    assert count_clusters(np.array([[0.2], [0.2], [0.8]])) == 2
    assert count_clusters(np.array([[0.1, 0.2], [0.1, 0.205], [0.5, 0.5]])) == 2
    assert count_clusters(np.array([[0.0], [0.009], [0.018], [0.5]])) == 2
    assert count_clusters(np.array([[0.0], [0.011]])) == 2
    assert count_clusters(np.zeros((0, 1))) == 0


def test_c17_identical_values_have_zero_dispersion_exactly() -> None:
    states = np.full((3, 1), -0.087)
    assert dispersion(states) == 0.0
    assert dispersion(np.zeros((5, 4))) == 0.0


@pytest.mark.parametrize(("kind", "rows"), [("estimate", ["-0.087"] * 3), ("opinion", ["0"] * 3)])
def test_c17_identical_initial_values_are_consensus_at_once(
    tmp_path: Path, kind: str, rows: list[str]
) -> None:
    (tmp_path / "initial.csv").write_text("value\n" + "\n".join(rows) + "\n", encoding="utf-8")
    truth = ", truth: [0.0]" if kind == "estimate" else ""  # file signals carry no truth of their own
    (tmp_path / "s.yaml").write_text(
        f"agents: {{count: 3}}\ntask: {{kind: {kind}, initial: initial.csv{truth}}}\n", encoding="utf-8"
    )
    result = simulate(load_scenario(tmp_path / "s.yaml"))
    summary = result.summary
    assert summary["d0"] == 0.0
    assert summary["dispersion"] == 0.0
    assert summary["consensus"] == 1.0
    assert summary["time_to_consensus_s"] == 0.0
    assert all(np.isfinite(v) for v in (summary["d0"], summary["dispersion"], summary["consensus"]))
    if kind == "estimate":
        assert np.isfinite(summary["error"])
        assert np.isfinite(summary["error_ratio"])


def test_unknown_task_kind_is_named() -> None:
    with pytest.raises(
        ScenarioError,
        match=r"^<dict>: task.kind: unknown kind 'vote'; expected one of: estimate, choice, opinion$",
    ):
        load_scenario({"task": {"kind": "vote"}})


def test_errors_inside_a_task_kind_name_the_field_without_the_tag() -> None:
    with pytest.raises(ScenarioError, match=r"^<dict>: task.options: must be >= 2, got 1$"):
        load_scenario({"task": {"kind": "choice", "options": 1}})
    with pytest.raises(ScenarioError, match=r"^<dict>: task.correct: must be < options \(2\), got 2$"):
        load_scenario({"task": {"kind": "choice", "correct": 2}})


def test_per_agent_signal_accuracy_must_match_the_count() -> None:
    with pytest.raises(
        ScenarioError, match=r"^<dict>: task.signal_accuracy: lists 2 values but agents.count is 3$"
    ):
        load_scenario({"agents": {"count": 3}, "task": {"kind": "choice", "signal_accuracy": [0.6, 0.7]}})
