"""The symmetric plan: coverage, doubling sizes, observers, the N = 22 shape."""

from __future__ import annotations

import numpy as np
import pytest

from convergence.errors import PlanError
from convergence.plan import build_symmetric_plan


def _check_plan_properties(n: int) -> None:
    plan = build_symmetric_plan(n)
    observers = set(plan.observers.tolist())
    assert len(observers) in (0, 2)
    assert (len(observers) == 2) == (n >= 6)
    last = len(plan.levels)
    previous = np.ones(n, dtype=np.int64)  # singletons before the pairs
    for level in plan.levels:
        members = level.order.tolist()
        # Every agent is in exactly one group, or set aside as an observer, at every level.
        in_groups = set(members)
        assert len(members) == len(in_groups)
        if level.index == 1 or (level.index == last and observers):
            assert in_groups == set(range(n))
        else:
            assert in_groups | observers == set(range(n))
            assert not in_groups & observers
        # Sizes follow the doubling: a merged group is the sum of its two children; a bye
        # keeps its size.
        sizes = level.sizes
        previous_sizes = np.diff(level.prev_offsets)
        if level.index == 2 and observers:
            assert sorted(previous.tolist()) == sorted([*previous_sizes.tolist(), 2])
        elif level.index == last and observers:
            assert previous_sizes.tolist() == [n - 2, 2]
        else:
            assert previous_sizes.tolist() == previous.tolist()
        for group in range(level.n_groups):
            left, right = int(level.left[group]), int(level.right[group])
            expected = previous_sizes[left] + (previous_sizes[right] if right >= 0 else 0)
            assert sizes[group] == expected
        assert len(level.byes) <= 1
        src, dst = level.edges()
        assert len(src) == level.n_exchanges
        assert np.all(src != dst)
        previous = sizes
    if n > 1:
        assert plan.levels[-1].n_groups == 1
        assert plan.levels[-1].sizes[0] == n
    else:
        assert plan.levels == ()


def test_plan_properties_for_every_n_up_to_1000() -> None:
    for n in range(1, 1001):
        _check_plan_properties(n)


def test_n22_has_11_pairs_then_5_quads_and_2_observers() -> None:
    plan = build_symmetric_plan(22)
    names = [level.name for level in plan.levels]
    assert names == ["pairs", "quads", "octads", "level-4", "level-5", "full"]
    assert plan.levels[0].sizes.tolist() == [2] * 11
    assert plan.levels[1].sizes.tolist() == [4] * 5
    assert plan.observers.tolist() == [20, 21]
    assert plan.levels[2].sizes.tolist() == [8, 8, 4]
    assert plan.levels[2].byes.tolist() == [2]
    assert plan.levels[-1].sizes.tolist() == [22]
    # Mirror exchanges: twice the larger side of each merge.
    assert [level.n_exchanges for level in plan.levels] == [22, 20, 16, 16, 32, 40]
    assert plan.n_messages == 146


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_small_n_has_no_observers(n: int) -> None:
    assert build_symmetric_plan(n).observers.size == 0


def test_mirror_exchange_pairs_larger_group_members_with_smaller_by_index() -> None:
    plan = build_symmetric_plan(22)
    src, dst = plan.levels[-1].edges()  # 20 main agents with the 2 observers
    pairs = set(zip(src.tolist(), dst.tolist(), strict=True))
    assert (0, 20) in pairs
    assert (20, 0) in pairs
    assert (1, 21) in pairs
    assert (21, 1) in pairs
    assert np.bincount(dst, minlength=22)[20] == 10


@pytest.mark.parametrize(("n", "observers", "message"), [(0, 2, "at least 1 agent"), (5, 3, "0 or 2")])
def test_bad_plan_arguments_raise_plan_error(n: int, observers: int, message: str) -> None:
    with pytest.raises(PlanError, match=message):
        build_symmetric_plan(n, observers)
