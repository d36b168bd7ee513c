"""The seed's quality metrics, exactly as DESIGN.md defines them: SPS, RER, CQI.

- SPS (symmetry preservation score) = 100 x (planned directed exchanges i->j that were
  delivered and used before the timeout) / (planned directed exchanges). "Used" means the
  receiver handed the state to its merge: not lost, not late, not a duplicate, not
  non-finite, not from a quarantined sender.
- RER (recursive efficiency ratio) at level n = e_n / e_1, with e_k = ln(D_before_k /
  D_after_k) / messages_k: dispersion removed per message. D_after_k is the dispersion at
  level k's `phase_end`, D_before_k the one at level k-1's (level 0: initialization).
  Dispersions below 1e-12 x D0 count as 1e-12 x D0, so exact consensus stays finite.
  messages_k counts every message sent at level k, audit copies included.
- CQI (consensus quality index) = consensus score x SPS / 100 x efficiency, with
  efficiency = min(1, M_min / M_used), M_min = 2(N - 1) (an ideal reduce-and-broadcast) and
  M_used every message sent after the initial task broadcast (level 0).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["EXPLANATIONS", "cqi", "rer", "sps"]

EXPLANATIONS = {
    "SPS": "100 x planned directed exchanges delivered and used before the timeout / planned "
    "directed exchanges (lost, late, duplicate, non-finite or quarantined ones are not used)",
    "RER": "per level n: e_n / e_1, e_k = ln(D before level k / D after level k) / messages sent at "
    "level k (audits included); D at each level's phase_end, floored at 1e-12 x D0",
    "CQI": "consensus score x SPS/100 x min(1, M_min / M_used), M_min = 2(N - 1), M_used = "
    "messages sent after the initial task broadcast",
    "consensus": "1 - D/D0 clipped to [0, 1], D = mean distance of live honest agents from their mean",
}

_FLOOR = 1e-12


def sps(exchanges: Sequence[Mapping[str, Any]]) -> float | None:
    """SPS from per-level `{planned, used}` counts; None when nothing was planned."""
    planned = sum(int(level["planned"]) for level in exchanges)
    if planned == 0:
        return None
    used = sum(min(int(level["used"]), int(level["planned"])) for level in exchanges)
    return 100.0 * used / planned


def rer(phases: Sequence[Mapping[str, Any]], d0: float) -> list[dict[str, Any]]:
    """Per merge level: removed = ln(D_before / D_after), messages, e and rer (= e / e_1).

    D_before is the previous phase's dispersion (level 0, the init, or D0 when a protocol has
    no init phase), so the baselines' steps and rounds (or blocks of rounds) get ratios too.
    """
    by_level = {int(phase["level"]): phase for phase in phases}
    floor = _FLOOR * d0
    rows: list[dict[str, Any]] = []
    before = float(by_level[0]["dispersion"]) if 0 in by_level else d0
    for level in sorted(key for key in by_level if key >= 1):
        # A level that never finished has no dispersion (nan): no ratio then, nor after it.
        measured = by_level[level]["dispersion"]
        after = math.nan if measured is None else float(measured)
        messages = int(by_level[level].get("messages", 0))
        # A huge (finite) Byzantine value can overflow a dispersion to inf: no ratio then.
        finite = math.isfinite(before) and math.isfinite(after)
        if not finite or not 0 < d0 < math.inf or messages == 0:
            rows.append({"level": level, "removed": None, "messages": messages, "e": None})
        else:
            removed = math.log(max(before, floor) / max(after, floor))
            rows.append({"level": level, "removed": removed, "messages": messages, "e": removed / messages})
        before = after
    e_1 = rows[0]["e"] if rows else None
    for row in rows:
        row["rer"] = row["e"] / e_1 if row["e"] is not None and e_1 else None
    return rows


def cqi(
    consensus: float | None, sps_value: float | None, n_agents: int, messages_used: int
) -> dict[str, Any]:
    """CQI and its parts; `cqi` is None when consensus or SPS is unknown."""
    m_min = 2 * (n_agents - 1)
    efficiency = 1.0 if messages_used <= 0 else min(1.0, m_min / messages_used)
    value = None
    if consensus is not None and sps_value is not None:
        value = consensus * sps_value / 100.0 * efficiency
    return {"cqi": value, "efficiency": efficiency, "m_min": m_min, "m_used": messages_used}
