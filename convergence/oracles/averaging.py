"""Oracles for the averaging dynamics: DeGroot's Perron limit, gossip's invariants and decay."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from convergence.engine import simulate
from convergence.oracles import OracleResult, oracle
from convergence.oracles.harness import make_scenario, run_preset, sum_of_squares
from convergence.protocols.gossip import GossipProtocol

if TYPE_CHECKING:
    from convergence.engine import Simulation

__all__ = [
    "degroot_disconnected",
    "degroot_equal_weights_path",
    "degroot_metropolis_mean",
    "gossip_sum_invariant",
    "gossip_variance_decay",
    "gossip_variance_ratios",
    "push_sum_mean",
]

_TIGHT = {"target": 1.0 - 1e-12, "max_rounds": 2000}


def _invariants(events: list[dict[str, object]]) -> list[float]:
    return [float(e["invariant"][0]) for e in events if e["event"] == "phase_end"]  # type: ignore[index]


@oracle("degroot-perron-path", "DeGroot 1974: limit pi^T x(0), invariant every step")
def degroot_equal_weights_path() -> OracleResult:
    """Path 0-1-2, equal weights 1/(d_i+1), x(0) = (0, 0, 1): pi = (2/7, 3/7, 2/7), limit 2/7."""
    scenario = make_scenario(
        "degroot",
        3,
        network={"topology": {"kind": "grid", "rows": 1, "columns": 3}},
        protocol={"weights": "equal", **_TIGHT},
    )
    result = run_preset(scenario, np.array([0.0, 0.0, 1.0]))
    limit = result.final_values[:, 0]
    drift = max(abs(v - 2 / 7) for v in _invariants(result.events))
    error = float(np.max(np.abs(limit - 2 / 7)))
    return OracleResult(
        expected="every agent -> 2/7 = 0.285714 (1e-8); pi^T x(t) = 2/7 each step",
        measured=f"max |x_i - 2/7| = {error:.1e}; max invariant drift {drift:.1e}",
        passed=error <= 1e-8 and drift <= 1e-12,
    )


@oracle("degroot-metropolis-mean", "Metropolis weights are doubly stochastic: limit = mean")
def degroot_metropolis_mean() -> OracleResult:
    """Metropolis weights on the Florentine families: every agent ends on the plain mean."""
    scenario = make_scenario(
        "degroot", "topology", network={"topology": "florentine-families"}, protocol=_TIGHT
    )
    result = simulate(scenario)
    mean = result.initial_values.mean(axis=0)
    error = float(np.max(np.abs(result.final_values - mean)))
    return OracleResult(
        expected="Florentine families (15): every agent -> initial mean (1e-8)",
        measured=f"max |x_i - mean| = {error:.1e} after {result.summary['rounds']} rounds",
        passed=error <= 1e-8,
    )


@oracle("degroot-disconnected", "A disconnected W is not primitive: no consensus")
def degroot_disconnected() -> OracleResult:
    """Two separate triangles never agree; the run must say so, not pass."""
    scenario = make_scenario(
        "degroot",
        6,
        network={"topology": {"kind": "edge-list", "path": _two_triangles()}},
    )
    result = run_preset(scenario, np.array([0.0, 0.0, 0.0, 1.0, 1.0, 1.0]))
    summary = result.summary
    converged = summary["time_to_consensus_s"] is not None
    return OracleResult(
        expected="not converged (2 components)",
        measured=(
            f"converged={converged}, stop={summary['stop_reason']}, consensus={summary['consensus']:.3f}"
        ),
        passed=not converged and summary["stop_reason"] in ("stalled", "max_rounds"),
    )


def _two_triangles() -> str:
    import tempfile
    from pathlib import Path

    path = Path(tempfile.gettempdir()) / "convergence-oracle-two-triangles.txt"
    path.write_text("0 1\n1 2\n0 2\n3 4\n4 5\n3 5\n", encoding="utf-8")
    return str(path)


@oracle("gossip-sum-invariant", "Boyd et al. 2006: every exchange preserves the sum")
def gossip_sum_invariant() -> OracleResult:
    """Fault-free gossip on a ring of 22: fsum of states is unchanged after every exchange."""
    scenario = make_scenario("gossip", network={"topology": "ring"}, protocol={"max_rounds": 20})
    drifts: list[float] = []

    def record(sim: Simulation, _tick: int) -> None:
        # The exact difference of the two sums, compensated: no rounding hides a drift.
        before = (-sim.initial_values[:, 0]).tolist()
        drifts.append(abs(math.fsum(sim.values[:, 0].tolist() + before)))

    simulate(scenario, protocol=GossipProtocol(scenario, on_exchange=record))
    worst = max(drifts)
    return OracleResult(
        expected="|sum x(k) - sum x(0)| <= 1e-12 at every exchange (fsum)",
        measured=f"{len(drifts)} exchanges, worst drift {worst:.1e}",
        passed=worst <= 1e-12 and len(drifts) > 0,
    )


def gossip_variance_ratios(n: int, ticks: int, seeds: range) -> np.ndarray:
    """V(k)/V(0) for k = 0..ticks, one row per seed, gossip on a complete graph of n."""
    rounds = math.ceil(ticks / n)
    scenario = make_scenario("gossip", n, protocol={"max_rounds": rounds, "target": 1.0})
    rows = np.empty((len(seeds), rounds * n + 1))
    for row, seed in enumerate(seeds):
        trace = rows[row]

        def record(sim: Simulation, tick: int, trace: np.ndarray = trace) -> None:
            trace[tick] = sum_of_squares(sim.values)

        runner = GossipProtocol(scenario, on_exchange=record)
        result = simulate(scenario, seed=seed, protocol=runner)
        trace[0] = sum_of_squares(result.initial_values)
        trace /= trace[0]
    return rows[:, : ticks + 1]


@oracle("gossip-variance-decay", "Boyd et al. 2006: E[V(k)] = (1 - 1/(N-1))^k V(0)")
def gossip_variance_decay() -> OracleResult:
    """Complete graph, N = 22, 120 seeds: mean V(k)/V(0) within 3 standard errors of (20/21)^k."""
    n, ticks = 22, 44
    ratios = gossip_variance_ratios(n, ticks, range(120))
    checkpoints = [11, 22, 33, 44]
    worst = 0.0
    for k in checkpoints:
        column = ratios[:, k]
        standard_error = float(column.std(ddof=1) / math.sqrt(len(column)))
        worst = max(worst, abs(float(column.mean()) - (1 - 1 / (n - 1)) ** k) / standard_error)
    k = checkpoints[-1]
    return OracleResult(
        expected=f"mean V({k})/V(0) = (20/21)^{k} = {(20 / 21) ** k:.4f} (within 3 SE)",
        measured=f"{float(ratios[:, k].mean()):.4f}; worst |z| over k={checkpoints}: {worst:.2f}",
        passed=worst <= 3.0,
    )


@oracle("push-sum-mean", "Kempe, Dobra, Gehrke 2003: mass conserved, estimates -> mean")
def push_sum_mean() -> OracleResult:
    """Push-sum on the karate club without drops: no weight lost, every estimate at the mean."""
    scenario = make_scenario(
        "push-sum",
        "topology",
        network={"topology": "karate-club"},
        protocol={"target": 1 - 1e-10, "max_rounds": 1500},
    )
    result = simulate(scenario, seed=2)
    mass = next(e for e in result.events if e["event"] == "mass")
    error = float(np.max(np.abs(result.final_values - result.initial_values.mean(axis=0))))
    return OracleResult(
        expected="weight lost 0 (1e-12); every agent -> initial mean (1e-8)",
        measured=f"weight lost {mass['weight_lost']:.1e}; max |x_i - mean| = {error:.1e}",
        passed=abs(mass["weight_lost"]) <= 1e-12 and error <= 1e-8,
    )
