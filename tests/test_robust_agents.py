"""Robust merges under Byzantine agents: validity of trimmed mean, and the negative controls."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.median import Median
from agents.trimmed_mean import TrimmedMean
from convergence.agent import BehaviourContext, State
from convergence.engine import RunResult, simulate
from convergence.loader import load_scenario

STRATEGIES: dict[str, dict[str, Any]] = {
    "constant": {"value": 1e6},
    "random": {"scale": 1e3},
    "flip": {},
    "equivocate": {"scale": 1e3},
}


def byzantine_run(
    n: int, f: int, strategy: str, seed: int, behaviour: str = "trimmed-mean", **kw: Any
) -> RunResult:
    faults = [{"kind": "byzantine", "strategy": strategy, "count": f, **STRATEGIES[strategy]}] if f else []
    data: dict[str, Any] = {
        "seed": seed,
        "agents": {"count": n, "behaviour": behaviour, "trim": f},
        "task": {"kind": "estimate", "dimensions": 3},
        "network": {"latency": {"distribution": "lognormal", "median": "5ms", "sigma": 0.5}},
        "protocol": {"exchange": "all-to-all", "phase_timeout": "50ms", **kw},
        "faults": faults,
    }
    return simulate(load_scenario(data))


def honest_range(result: RunResult) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    liars = [fault["agent"] for fault in result.summary["faults"]]
    honest = np.setdiff1d(np.arange(len(result.final_values)), liars)
    start = result.initial_values[honest]
    return start.min(axis=0), start.max(axis=0), result.final_values[honest]


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    strategy=st.sampled_from(sorted(STRATEGIES)),
    f=st.integers(1, 4),
    extra=st.integers(1, 6),
)
def test_trimmed_mean_all_to_all_stays_in_the_honest_range(
    seed: int, strategy: str, f: int, extra: int
) -> None:
    n = 3 * f + extra  # n > 3f
    low, high, final = honest_range(byzantine_run(n, f, strategy, seed))
    assert (final >= low).all()
    assert (final <= high).all()


def test_trimmed_mean_brings_honest_agents_to_agreement_under_equivocation() -> None:
    result = byzantine_run(22, 2, "equivocate", seed=5)
    low, high, final = honest_range(result)
    assert (final.max(axis=0) - final.min(axis=0) < 0.05 * (high - low)).all()


def test_negative_control_plain_mean_is_dragged_out_by_one_liar() -> None:
    result = byzantine_run(22, 1, "constant", seed=5, behaviour="weighted-mean")
    _low, high, final = honest_range(result)
    assert (final > high).any()


def test_negative_control_n_equal_3f_lets_an_equivocator_stop_agreement() -> None:
    # N = 3, f = 1: the equivocator tells one honest agent a high value and the other a low
    # one; each median keeps the honest pair as far apart as they started.
    def spread(n: int) -> float:
        data: dict[str, Any] = {
            "seed": 11,
            "agents": {"count": n, "behaviour": "trimmed-mean", "trim": 1},
            "task": {"kind": "estimate", "dimensions": 1},
            "network": {"latency": {"distribution": "constant", "value": "5ms"}},
            "protocol": {"exchange": "all-to-all", "observers": 0},
            "faults": [{"kind": "byzantine", "strategy": "equivocate", "agents": [n - 1], "scale": 100.0}],
        }
        result = simulate(load_scenario(data))
        honest_final = result.final_values[: n - 1, 0]
        honest_start = result.initial_values[: n - 1, 0]
        return float(np.ptp(honest_final) / np.ptp(honest_start))

    assert spread(3) == pytest.approx(1.0)
    assert spread(4) < 0.9


def test_trimmed_mean_drops_f_from_each_end_per_coordinate() -> None:
    merge = TrimmedMean(BehaviourContext(trim=1)).merge
    own = State(np.array([0.0, 10.0]))
    got = [State(np.array(v)) for v in ([1.0, -5.0], [100.0, 11.0], [2.0, 12.0])]
    np.testing.assert_allclose(merge(own, got).value, [1.5, 10.5])
    # Too few values to trim safely: keep the own state.
    assert merge(own, got[:1]) is own


def test_median_per_coordinate() -> None:
    result = Median(BehaviourContext()).merge(
        State(np.array([0.0, 5.0])), [State(np.array([1.0, -1.0])), State(np.array([9.0, 2.0]))]
    )
    np.testing.assert_allclose(result.value, [1.0, 2.0])
