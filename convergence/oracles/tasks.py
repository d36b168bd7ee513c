"""Oracles for the tasks and behaviours: Condorcet's jury, Hegselmann-Krause, identical values.

- Condorcet: N independent voters right with probability p, weighted-vote agents pooling
  their tallies under the symmetric protocol, ties by the run's fair coin: the share of
  replicates deciding right is P_N(p) within 3 standard errors (P_22 = P_21).
- Hegselmann-Krause (synchronous, self included) runs as `bounded-confidence` agents under
  `all-to-all`, where every agent hears every other's previous opinion each round.
- C17: identical initial values are consensus at once, under every protocol, with zero
  dispersion and no NaN or RuntimeWarning.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from convergence.engine import simulate
from convergence.oracles import OracleResult, oracle
from convergence.oracles.harness import make_scenario, run_preset
from convergence.theory import condorcet_probability

__all__ = ["condorcet_jury", "hk_run"]

_CONDORCET_REPLICATES = 400


def condorcet_jury(
    n: int, p: float, replicates: int, seed: int = 2026
) -> tuple[OracleResult, list[dict[str, Any]]]:
    """Run `replicates` juries of `n`; compare the share deciding right with P_n(p)."""
    scenario = make_scenario(
        "symmetric",
        n,
        agents={"behaviour": "weighted-vote"},
        task={"kind": "choice", "options": 2, "signal_accuracy": p},
    )
    summaries = [
        simulate(scenario, seed=int(child.generate_state(1)[0])).summary
        for child in np.random.SeedSequence(seed).spawn(replicates)
    ]
    right = sum(1 for s in summaries if s["decision"] is not None and s["accuracy"] == 1.0)
    measured = right / replicates
    expected = condorcet_probability(n, p)
    error = math.sqrt(expected * (1 - expected) / replicates)
    pooled = all(s["consensus"] == 1.0 and s["accuracy"] in (0.0, 1.0) for s in summaries)
    return (
        OracleResult(
            expected=f"P_{n}({p}) = {expected:.6f}, every jury unanimous",
            measured=f"{measured:.4f} over {replicates} juries (3 SE = {3 * error:.4f})"
            + ("" if pooled else "; some jury not unanimous"),
            passed=abs(measured - expected) < 3 * error and pooled,
        ),
        summaries,
    )


@oracle("condorcet-21", "Condorcet jury theorem: majority of 21 voters with p = 0.6")
def condorcet_21() -> OracleResult:
    return condorcet_jury(21, 0.6, _CONDORCET_REPLICATES)[0]


@oracle("condorcet-22", "Condorcet jury theorem: even N, ties by a fair coin: P_22 = P_21")
def condorcet_22() -> OracleResult:
    return condorcet_jury(22, 0.6, _CONDORCET_REPLICATES)[0]


def hk_run(values: list[float] | np.ndarray, epsilon: float, rounds: int) -> np.ndarray:
    """Final opinions after at most `rounds` synchronous HK rounds (all-to-all)."""
    scenario = make_scenario(
        "all-to-all",
        len(values),
        agents={"behaviour": "bounded-confidence", "epsilon": epsilon},
        task={"kind": "opinion"},
        protocol={"max_rounds": rounds},
    )
    final: np.ndarray = run_preset(scenario, np.asarray(values, dtype=np.float64)).final_values
    return final


@oracle("hk-consensus-one-round", "Hegselmann-Krause: epsilon >= range gives the mean in one step")
def hk_one_round() -> OracleResult:
    values = np.random.default_rng(7).random(22)
    final = hk_run(values, float(values.max() - values.min()), rounds=1)[:, 0]
    error = float(np.max(np.abs(final - values.mean())))
    return OracleResult(
        expected=f"all 22 at the mean {values.mean():.6f} after 1 round",
        measured=f"{np.unique(final).size} distinct value(s), max |x_i - mean| = {error:.1e}",
        passed=np.unique(final).size == 1 and error <= 1e-12,
    )


@oracle("hk-epsilon-zero", "Hegselmann-Krause: epsilon = 0, only equal opinions meet (C20)")
def hk_epsilon_zero() -> OracleResult:
    final = hk_run([0.2, 0.2, 0.8], 0.0, rounds=3)[:, 0].tolist()
    return OracleResult(
        expected="[0.2, 0.2, 0.8] unchanged: two clusters",
        measured=str(final),
        passed=final == [0.2, 0.2, 0.8],
    )


@oracle("hk-hand-computed", "Hegselmann-Krause by hand: eps 0.5 on [0.25, 0.25, 0.75] (C20)")
def hk_hand_computed() -> OracleResult:
    step = hk_run([0.25, 0.25, 0.75], 0.5, rounds=1)[:, 0].tolist()
    boundary = hk_run([0.2, 0.8], 0.6, rounds=1)[:, 0].tolist()
    return OracleResult(
        expected="every agent at 1.25/3 after one step; [0.2, 0.8] with eps 0.6 (the boundary) -> 0.5",
        measured=f"{[round(v, 12) for v in step]}; {boundary}",
        passed=step == [1.25 / 3] * 3 and boundary == [0.5, 0.5],
    )


@oracle("identical-values", "C17: identical initial values are consensus at once, D = 0, no NaN")
def identical_values() -> OracleResult:
    from convergence.protocols import PROTOCOLS

    bad: list[str] = []
    for name in PROTOCOLS:
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            summary = run_preset(make_scenario(name, 3), np.full(3, -0.087)).summary
        if (summary["d0"], summary["dispersion"], summary["consensus"], summary["time_to_consensus_s"]) != (
            0.0,
            0.0,
            1.0,
            0.0,
        ):
            bad.append(name)
    return OracleResult(
        expected=f"all {len(PROTOCOLS)} protocols: D0 = D = 0, consensus 1 at t = 0",
        measured="all do" if not bad else f"not: {', '.join(bad)}",
        passed=not bad,
    )
