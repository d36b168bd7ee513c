"""The symmetric protocol as a pure plan: levels of groups held as numpy index arrays.

Level 1 pairs agents in id order (an odd agent out is a bye). Before level 2 the last
pair, when there are enough agents, is set aside as the two observers. Each later level
merges consecutive groups two by two, a leftover group carrying forward as a bye, until one
group remains; the last level then merges that group with the observers. Groups at every
level are consecutive slices of one `order` array, so a level is just `offsets` into it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from convergence.errors import PlanError

__all__ = [
    "Level",
    "SymmetricPlan",
    "all_to_all_edges",
    "build_symmetric_plan",
    "level_name",
    "phase_of_level",
]

IntArray = NDArray[np.int64]

_NAMES = {1: "pairs", 2: "quads", 3: "octads"}


def level_name(level: int, last: int, *, observers: bool) -> str:
    """Human name of a level: pairs, quads, octads, level-4, ..., full (the last).

    The last level is `full` when it merges the observers back in or comes after octads.
    """
    if level == last and (level > 3 or (observers and level > 1)):
        return "full"
    return _NAMES.get(level, f"level-{level}")


def phase_of_level(level: int, last: int, *, observers: bool) -> str:
    """The protocol phase a level belongs to (init, pairs, quads, octads, full)."""
    if level == 0:
        return "init"
    name = level_name(level, last, observers=observers)
    return name if name in _NAMES.values() else "full"


@dataclass(frozen=True)
class Level:
    """One level of merges.

    `order[offsets[g]:offsets[g+1]]` are the members of group g after this level. Group g
    was formed from the previous level's groups `left[g]` and `right[g]` (`right[g] == -1`
    for a bye, which merges with nobody). `src -> dst` are the planned directed exchanges.
    """

    index: int
    name: str
    phase: str
    order: IntArray
    offsets: IntArray
    left: IntArray
    right: IntArray
    prev_offsets: IntArray

    @property
    def n_groups(self) -> int:
        return len(self.offsets) - 1

    @property
    def sizes(self) -> IntArray:
        return np.diff(self.offsets)

    @property
    def byes(self) -> IntArray:
        """Indices of groups that carried forward without merging."""
        return np.flatnonzero(self.right < 0)

    def members(self, group: int) -> IntArray:
        return self.order[self.offsets[group] : self.offsets[group + 1]]

    def edges(self, exchange: str = "mirror") -> tuple[IntArray, IntArray]:
        """The planned directed exchanges `src -> dst` of this level (computed on demand).

        `mirror`: each member exchanges with its mirror partner in the other group;
        `all-to-all`: every member of a merged group sends to every other member.
        """
        merging = self.right >= 0
        if exchange == "all-to-all":
            return all_to_all_edges(self.order, self.offsets[:-1][merging], self.sizes[merging])
        l_idx, r_idx = self.left[merging], self.right[merging]
        sizes = np.diff(self.prev_offsets)
        return mirror_edges(
            self.order, self.prev_offsets[l_idx], sizes[l_idx], self.prev_offsets[r_idx], sizes[r_idx]
        )

    def exchange_count(self, exchange: str = "mirror") -> int:
        """Number of planned directed exchanges under `mirror` or `all-to-all` exchange."""
        if exchange == "all-to-all":
            sizes = self.sizes[self.right >= 0]
            return int((sizes * (sizes - 1)).sum())
        return self.n_exchanges

    @property
    def n_exchanges(self) -> int:
        """Number of planned mirror exchanges: twice the larger side of every merge."""
        merging = self.right >= 0
        sizes = np.diff(self.prev_offsets)
        return int(2 * np.maximum(sizes[self.left[merging]], sizes[self.right[merging]]).sum())


@dataclass(frozen=True)
class SymmetricPlan:
    """Every level of the symmetric protocol for `n` agents."""

    n: int
    observers: IntArray
    levels: tuple[Level, ...]

    @property
    def n_messages(self) -> int:
        """Planned directed exchanges over all merge levels (init broadcast excluded)."""
        return sum(level.n_exchanges for level in self.levels)

    def group_of(self, level: int) -> IntArray:
        """Array mapping each agent to its group at `level` (-1 where it is not in one)."""
        lv = self.levels[level - 1]
        groups = np.full(self.n, -1, dtype=np.int64)
        groups[lv.order] = np.repeat(np.arange(lv.n_groups), lv.sizes)
        return groups


def _pair_offsets(offsets: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """Merge consecutive groups two by two; return new offsets, left and right children."""
    n_groups = len(offsets) - 1
    n_pairs = n_groups // 2
    left = np.arange(0, 2 * n_pairs, 2, dtype=np.int64)
    right = left + 1
    new_offsets = offsets[0 : 2 * n_pairs + 1 : 2]
    if n_groups % 2:
        left = np.append(left, n_groups - 1)
        right = np.append(right, -1)
        new_offsets = np.append(new_offsets, offsets[-1])
    return new_offsets.astype(np.int64), left, right


def mirror_edges(
    order: IntArray, a_start: IntArray, a_size: IntArray, b_start: IntArray, b_size: IntArray
) -> tuple[IntArray, IntArray]:
    """Directed exchanges for merging group a with group b, for many merges at once.

    Members of the larger group pair with members of the smaller one by index modulo its
    size, and each such pair exchanges in both directions.
    """
    swap = b_size > a_size
    big_start = np.where(swap, b_start, a_start)
    big_size = np.where(swap, b_size, a_size)
    small_start = np.where(swap, a_start, b_start)
    small_size = np.where(swap, a_size, b_size)
    total = int(big_size.sum())
    if total == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    firsts = np.cumsum(big_size) - big_size
    index = np.arange(total, dtype=np.int64) - np.repeat(firsts, big_size)
    big = order[np.repeat(big_start, big_size) + index]
    small = order[np.repeat(small_start, big_size) + index % np.repeat(small_size, big_size)]
    # Interleave so each pair's two directions are adjacent: big->small, small->big.
    src = np.empty(2 * total, dtype=np.int64)
    dst = np.empty(2 * total, dtype=np.int64)
    src[0::2], dst[0::2] = big, small
    src[1::2], dst[1::2] = small, big
    return src, dst


def all_to_all_edges(order: IntArray, starts: IntArray, sizes: IntArray) -> tuple[IntArray, IntArray]:
    """Every ordered pair of distinct members within each group `order[start:start+size]`."""
    src_parts: list[IntArray] = []
    dst_parts: list[IntArray] = []
    for size in np.unique(sizes).tolist():
        first = starts[sizes == size]
        i, j = np.nonzero(~np.eye(size, dtype=bool))
        src_parts.append(order[(first[:, None] + i).ravel()])
        dst_parts.append(order[(first[:, None] + j).ravel()])
    if not src_parts:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    return np.concatenate(src_parts).astype(np.int64), np.concatenate(dst_parts).astype(np.int64)


def _make_level(
    index: int, order: IntArray, offsets: IntArray, new_offsets: IntArray, left: IntArray, right: IntArray
) -> Level:
    return Level(
        index=index,
        name="",
        phase="",
        order=order,
        offsets=new_offsets,
        left=left,
        right=right,
        prev_offsets=offsets,
    )


def build_symmetric_plan(n: int, observers: int = 2) -> SymmetricPlan:
    """Build the plan for `n` agents with `observers` (0 or 2) set aside after the pairs.

    Observers need at least two pairs left to form a quad (n >= 6); with fewer agents the
    plan has none.
    """
    if n < 1:
        raise PlanError(f"a plan needs at least 1 agent, got {n}")
    if observers not in (0, 2):
        raise PlanError(f"observers must be 0 or 2 (one pair), got {observers}")
    order = np.arange(n, dtype=np.int64)
    offsets = np.arange(n + 1, dtype=np.int64)
    levels: list[Level] = []
    observer_ids = np.empty(0, dtype=np.int64)

    if n >= 2:
        new_offsets, left, right = _pair_offsets(offsets)
        levels.append(_make_level(1, order, offsets, new_offsets, left, right))
        offsets = new_offsets

    n_pairs = n // 2
    if observers and n_pairs - 1 >= 2:
        # Set aside the last full pair (agents n_pairs*2-2, n_pairs*2-1); a bye agent, if
        # any, stays in the main order.
        pair = n_pairs - 1
        observer_ids = order[offsets[pair] : offsets[pair + 1]].copy()
        keep = np.ones(n, dtype=bool)
        keep[observer_ids] = False
        order = order[keep]
        sizes = np.delete(np.diff(offsets), pair)
        offsets = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)

    while len(offsets) - 1 > 1:
        new_offsets, left, right = _pair_offsets(offsets)
        levels.append(_make_level(len(levels) + 1, order, offsets, new_offsets, left, right))
        offsets = new_offsets

    if len(observer_ids):
        full_order = np.concatenate((order, observer_ids))
        levels.append(
            _make_level(
                len(levels) + 1,
                full_order,
                np.array([0, len(order), n], dtype=np.int64),
                np.array([0, n], dtype=np.int64),
                np.array([0], dtype=np.int64),
                np.array([1], dtype=np.int64),
            )
        )

    last = len(levels)
    named = tuple(
        Level(
            index=lv.index,
            name=level_name(lv.index, last, observers=len(observer_ids) > 0),
            phase=phase_of_level(lv.index, last, observers=len(observer_ids) > 0),
            order=lv.order,
            offsets=lv.offsets,
            left=lv.left,
            right=lv.right,
            prev_offsets=lv.prev_offsets,
        )
        for lv in levels
    )
    return SymmetricPlan(n=n, observers=observer_ids, levels=named)
