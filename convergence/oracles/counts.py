"""Oracles for the exact protocols: step and message counts, and the exact mean, at N = 22.

Steps are the protocol's levels (phases); the symmetric protocol's include its init
broadcast. Hand counts for N = 22 (shared/ORACLES.md and DESIGN.md):
- recursive doubling: N' = 16, r = 6: 1 fold + 4 butterfly + 1 unfold = 6 steps, 16 x 4 + 12 = 76;
- binomial tree: L = ceil(log2 22) = 5: 10 steps, 2 x 21 = 42 messages;
- all-to-all: one round, 22 x 21 = 462 messages;
- symmetric: 22 init + 22 pairs + 20 quads + 16 octads + 16 + 32 + 40 = 168 messages in 7 steps.
"""

from __future__ import annotations

import numpy as np

from convergence.engine import RunResult, simulate
from convergence.oracles import OracleResult, oracle
from convergence.oracles.harness import make_scenario

__all__ = ["EXPECTED_22", "count_oracle", "measure"]

EXPECTED_22: dict[str, tuple[int, int]] = {
    "recursive-doubling": (6, 76),
    "tree": (10, 42),
    "all-to-all": (1, 462),
    "symmetric": (7, 168),
}
"""(steps, messages) theory gives for N = 22, fault-free."""


def measure(protocol: str, n: int = 22, seed: int = 0) -> tuple[int, int, float, RunResult]:
    """(steps, messages, max |x_i - initial mean|, result) of one fault-free run."""
    result = simulate(make_scenario(protocol, n), seed=seed)
    error = float(np.max(np.abs(result.final_values - result.initial_values.mean(axis=0))))
    return len(result.summary["phases"]), int(result.summary["messages_sent"]), error, result


def _counted(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def count_oracle(protocol: str) -> OracleResult:
    """Steps, messages and exactness of `protocol` at N = 22 against the hand count."""
    steps, messages = EXPECTED_22[protocol]
    got_steps, got_messages, error, _ = measure(protocol)
    return OracleResult(
        expected=f"{_counted(steps, 'step')}, {messages} messages, exact mean",
        measured=f"{_counted(got_steps, 'step')}, {got_messages} messages, max |x_i - mean| = {error:.1e}",
        passed=(got_steps, got_messages) == (steps, messages) and error <= 1e-12,
    )


@oracle("recursive-doubling-22", "Thakur, Rabenseifner, Gropp 2005")
def recursive_doubling_22() -> OracleResult:
    return count_oracle("recursive-doubling")


@oracle("tree-22", "binomial reduce + broadcast: 2 ceil(log2 N) steps, 2(N-1) messages")
def tree_22() -> OracleResult:
    return count_oracle("tree")


@oracle("all-to-all-22", "N(N-1) messages per round")
def all_to_all_22() -> OracleResult:
    return count_oracle("all-to-all")


@oracle("symmetric-22", "hand count of the symmetric plan (DESIGN.md)")
def symmetric_22() -> OracleResult:
    return count_oracle("symmetric")
