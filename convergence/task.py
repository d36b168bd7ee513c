"""Tasks: what the agents try to agree on, their private signals, and the task's metrics.

`draw_task` turns a scenario's task into a `TaskInstance`: the hidden truth (if any), one
signal row per agent, and the task-specific metrics the engine calls without knowing the
kind: `consensus` (the score that a target is checked against), `outcome` (accuracy fields
of the final `run_end` event) and `start_fields` (what `run_start` records about the task).
Each kind draws from the run's task stream in a fixed order, so a seed fixes everything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from convergence.agent import FloatArray
from convergence.initial import read_initial_csv
from convergence.metrics import IntArray, accuracy, consensus_score, plurality, top_options
from convergence.scenario import ChoiceTask, EstimateTask, OpinionTask, Task

__all__ = [
    "CLUSTER_GAP",
    "ChoiceInstance",
    "EstimateInstance",
    "OpinionInstance",
    "TaskInstance",
    "draw_estimate_task",
    "draw_task",
]

CLUSTER_GAP = 0.01
"""Opinion clusters are split where sorted opinions jump by more than this (1% of the scale)."""


@dataclass(frozen=True)
class TaskInstance:
    """A drawn task: the hidden truth (if any) and one signal row per agent."""

    truth: FloatArray | None
    signals: FloatArray

    @property
    def noise_sigma(self) -> FloatArray | None:
        """Each agent's known signal noise, where the task has one."""
        return None

    def consensus(self, states: FloatArray, d: float, d0: float) -> float:
        """The consensus score of `states` (dispersion `d`, initial dispersion `d0`)."""
        return consensus_score(d, d0)

    def outcome(self, states: FloatArray, initial: FloatArray) -> dict[str, Any]:
        """Accuracy fields for `run_end`, given the final and the initial states."""
        return {}

    def start_fields(self) -> dict[str, Any]:
        """What `run_start` records about the drawn task."""
        return {} if self.truth is None else {"truth": [float(v) for v in self.truth]}


@dataclass(frozen=True)
class EstimateInstance(TaskInstance):
    """Estimate a truth in R^d; accuracy is the error of the crowd's mean."""

    sigma: FloatArray = field(default_factory=lambda: np.ones(1))

    @property
    def noise_sigma(self) -> FloatArray | None:
        return np.broadcast_to(self.sigma, (len(self.signals),))

    def outcome(self, states: FloatArray, initial: FloatArray) -> dict[str, Any]:
        if self.truth is None or len(states) == 0:
            # No truth is known for signals read from a file unless the scenario gives one.
            return {"error": None, "error_ratio": None}
        error, ratio = accuracy(states, initial, self.truth)
        return {"error": error, "error_ratio": ratio}


@dataclass(frozen=True)
class ChoiceInstance(TaskInstance):
    """One of K options is correct; consensus and accuracy count agents' top options."""

    correct: int = 0
    tie_order: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def consensus(self, states: FloatArray, d: float, d0: float) -> float:
        top = top_options(states, self.tie_order) if len(states) else np.zeros(0, dtype=np.int64)
        return plurality(top, len(self.tie_order), self.tie_order)[1]

    def outcome(self, states: FloatArray, initial: FloatArray) -> dict[str, Any]:
        if len(states) == 0:
            return {"accuracy": None, "decision": None}
        top = top_options(states, self.tie_order)
        decision, _ = plurality(top, len(self.tie_order), self.tie_order)
        return {"accuracy": float(np.mean(top == self.correct)), "decision": decision}

    def start_fields(self) -> dict[str, Any]:
        return {**super().start_fields(), "correct": self.correct, "tie_order": self.tie_order.tolist()}


@dataclass(frozen=True)
class OpinionInstance(TaskInstance):
    """Opinions in [0, 1]^d with no truth; the outcome counts the opinion clusters."""

    def outcome(self, states: FloatArray, initial: FloatArray) -> dict[str, Any]:
        return {"clusters": count_clusters(states)}


def count_clusters(states: FloatArray) -> int:
    """Number of opinion clusters: rows sorted lexicographically, split at gaps > CLUSTER_GAP.

    A gap is the largest coordinate difference between neighbours in that order (in one
    dimension, exactly single linkage). Converged Hegselmann-Krause clusters lie more than
    epsilon apart, so any epsilon >= 0.01 counts them right; asymptotic protocols (gossip)
    count as one cluster once they agree to within 0.01.
    """
    if len(states) == 0:
        return 0
    ordered = states[np.lexsort(states.T[::-1])]
    gaps = np.abs(np.diff(ordered, axis=0)).max(axis=1) > CLUSTER_GAP
    return int(np.count_nonzero(gaps)) + 1


def _initial(task: EstimateTask | ChoiceTask | OpinionTask, n: int) -> FloatArray | None:
    if task.initial is None:
        return None
    return read_initial_csv(task.initial, rows=n, columns=task.dimensions, kind=task.kind)


def draw_estimate_task(task: EstimateTask, n: int, rng: np.random.Generator) -> EstimateInstance:
    """Draw the truth (standard normal unless given) and truth + N(0, sigma_i^2) signals.

    Signals read from a CSV file come with no truth unless the scenario states one: an
    accuracy against a made-up truth would mean nothing.
    """
    d = task.dimensions
    given_truth = np.asarray(task.truth, dtype=np.float64) if task.truth is not None else None
    sigma = np.asarray(task.noise.sigma, dtype=np.float64)
    given = _initial(task, n)
    if given is not None:
        return EstimateInstance(truth=given_truth, signals=given, sigma=sigma)
    truth = given_truth if given_truth is not None else rng.standard_normal(d)
    sigma_column = sigma.reshape(-1, 1) if sigma.ndim else sigma
    signals = truth + sigma_column * rng.standard_normal((n, d))
    return EstimateInstance(truth=truth, signals=signals, sigma=sigma)


def draw_choice_task(task: ChoiceTask, n: int, rng: np.random.Generator) -> ChoiceInstance:
    """Draw the correct option, the tie order, and one-hot signals right with prob. p_i."""
    k = task.options
    correct = int(rng.integers(k)) if task.correct is None else task.correct
    tie_order = rng.permutation(k).astype(np.int64)
    given = _initial(task, n)
    if given is None:
        p = np.asarray(task.signal_accuracy, dtype=np.float64)
        right = rng.random(n) < p
        wrong = (correct + rng.integers(1, k, size=n)) % k
        signals = np.eye(k, dtype=np.float64)[np.where(right, correct, wrong)]
    else:
        signals = given
    truth = np.eye(k, dtype=np.float64)[correct]
    return ChoiceInstance(truth=truth, signals=signals, correct=correct, tie_order=tie_order)


def draw_opinion_task(task: OpinionTask, n: int, rng: np.random.Generator) -> OpinionInstance:
    """Opinions uniform on [0, 1]^d, or the rows of the task's CSV file."""
    given = _initial(task, n)
    signals = rng.random((n, task.dimensions)) if given is None else given
    return OpinionInstance(truth=None, signals=signals)


_DRAW: dict[str, Callable[[Any, int, np.random.Generator], TaskInstance]] = {
    "estimate": draw_estimate_task,
    "choice": draw_choice_task,
    "opinion": draw_opinion_task,
}


def draw_task(task: Task, n: int, rng: np.random.Generator) -> TaskInstance:
    """Draw an instance of any task kind from the run's task stream."""
    return _DRAW[task.kind](task, n, rng)
