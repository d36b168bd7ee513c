"""Recursive doubling, tree, all-to-all and symmetric: exact mean, step and message counts.

Steps are the recorded phases (levels). Counts come from theory, never from the code:
recursive doubling floor(log2 N) + 2 steps for non-powers of two and N' log2 N' + 2r
messages; binomial tree 2 ceil(log2 N) steps and 2(N - 1) messages; all-to-all N(N - 1).
"""

from __future__ import annotations

import math

import pytest

from convergence.oracles.counts import measure


def _butterfly(n: int) -> tuple[int, int]:
    core = 2 ** math.floor(math.log2(n))
    extra = n - core
    rounds = int(math.log2(core))
    return rounds + (2 if extra else 0), core * rounds + 2 * extra


@pytest.mark.parametrize("n", [2, 3, 5, 8, 16, 22, 31, 32, 44])
def test_recursive_doubling_reaches_the_exact_mean_in_log_steps(n: int) -> None:
    steps, messages, error, _ = measure("recursive-doubling", n)
    assert (steps, messages) == _butterfly(n)
    assert error <= 1e-12


def test_recursive_doubling_22_takes_6_steps_and_76_messages() -> None:
    steps, messages, error, _ = measure("recursive-doubling", 22)
    assert (steps, messages) == (6, 76)
    assert error <= 1e-12


@pytest.mark.parametrize("n", [2, 3, 7, 8, 22, 33])
def test_tree_uses_2_n_minus_1_messages_in_2_ceil_log2_n_steps(n: int) -> None:
    steps, messages, error, _ = measure("tree", n)
    assert (steps, messages) == (2 * math.ceil(math.log2(n)), 2 * (n - 1))
    assert error <= 1e-12


def test_tree_22_takes_10_steps_and_42_messages() -> None:
    assert measure("tree", 22)[:2] == (10, 42)


@pytest.mark.parametrize("n", [2, 5, 22])
def test_all_to_all_sends_n_times_n_minus_1_per_round(n: int) -> None:
    steps, messages, error, result = measure("all-to-all", n)
    assert (steps, messages) == (1, n * (n - 1))
    assert result.summary["phases"][0]["messages"] == n * (n - 1)
    assert error <= 1e-12
    assert result.summary["stop_reason"] == "target"


def test_symmetric_22_matches_the_hand_count() -> None:
    # 22 init + 11 pairs x 2 + 5 quads x 4 + 2 octads x 8 + 16 + 2 x 16 + 2 x 20 = 168 in 7 steps.
    steps, messages, error, result = measure("symmetric", 22)
    per_level = [phase["messages"] for phase in result.summary["phases"]]
    assert per_level == [22, 22, 20, 16, 16, 32, 40]
    assert (steps, messages) == (7, 168)
    assert error <= 1e-12


@pytest.mark.parametrize("n", [*range(1, 41), 44, 88, 176])
def test_symmetric_reaches_the_exact_mean_for_every_n(n: int) -> None:
    error = measure("symmetric", n, seed=n)[2]
    assert error <= 1e-12


def test_butterfly_and_tree_record_a_merge_per_exchanging_pair() -> None:
    result = measure("recursive-doubling", 22)[3]
    merges = [e for e in result.events if e["event"] == "merge"]
    assert len(merges) == 6 + 4 * 8 + 6
    assert all(e["size"] == 2 for e in merges)
    tree = measure("tree", 22)[3]
    assert sum(e["event"] == "merge" for e in tree.events) == 42


def test_baselines_get_rer_from_d0_when_they_have_no_init_phase() -> None:
    # Level 1 (11 children send up) is measured against D0: removed = ln(D0 / D_1).
    summary = measure("tree", 22)[3].summary
    first = summary["rer_levels"][0]
    assert (first["level"], first["messages"], first["rer"]) == (1, 11, 1.0)
    assert first["removed"] > 0
    assert len(summary["rer"]) == 10
