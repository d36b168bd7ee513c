"""The run summary, computed from the event stream alone (so a replay gives the same)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from convergence.metrics import time_to_consensus
from convergence.quality import cqi, rer, sps

__all__ = ["summarize"]

_PHASE_KEYS = ("name", "phase", "level", "groups", "messages", "dropped", "consensus", "dispersion")


def summarize(events: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Build `summary.json`'s content (all but `wall_time_s`) from a run's events."""
    start = next(e for e in events if e["event"] == "run_start")
    end = next((e for e in reversed(events) if e["event"] == "run_end"), None)
    samples = [e for e in events if e["event"] == "sample"]
    phases = [
        {**{key: e[key] for key in _PHASE_KEYS if key in e}, "t_end_s": e["t"]}
        for e in events
        if e["event"] == "phase_end"
    ]
    if end is not None and "messages_by_level" in end:
        _count_phase_messages(phases, end["messages_by_level"], start)
    elif end is not None:
        _count_trailing_messages(phases, end)
    stop = next((e for e in events if e["event"] == "stop"), None)
    mass = next((e for e in events if e["event"] == "mass"), None)
    target = start["target"]
    hit = time_to_consensus([s["consensus"] for s in samples], target)
    summary: dict[str, Any] = {
        "scenario": start["scenario"],
        "seed": start["seed"],
        "n_agents": start["n_agents"],
        "protocol": start["protocol"],
        "target": target,
        "interrupted": end is None,
        "consensus": end["consensus"] if end else (samples[-1]["consensus"] if samples else None),
        "dispersion": end["dispersion"] if end else None,
        "d0": start["d0"],
        "time_to_consensus_s": samples[hit]["t"] if hit is not None else None,
        "messages_to_consensus": samples[hit]["messages"] if hit is not None else None,
        # An interrupted run has no run_end: its last sample still knows what was sent.
        "messages_sent": end["messages_sent"] if end else (samples[-1]["messages"] if samples else None),
        "messages_dropped": end["messages_dropped"] if end else None,
        "messages_delivered": end["messages_delivered"] if end else None,
        "messages_late": end["messages_late"] if end else None,
        "messages_unread": end.get("messages_unread") if end else None,
        "messages_in_flight": end.get("messages_in_flight") if end else None,
        "error": end.get("error") if end else None,
        "error_ratio": end.get("error_ratio") if end else None,
        "accuracy": end.get("accuracy") if end else None,
        "decision": end.get("decision") if end else None,
        "clusters": end.get("clusters") if end else None,
        "t_end_s": end["t"] if end else (events[-1]["t"] if events else 0.0),
        "phases": phases,
    }
    if stop is not None:
        # Iterative protocols: why the run stopped, and after how many rounds.
        summary["stop_reason"] = stop["reason"]
        summary["rounds"] = stop["rounds"]
    if mass is not None:
        summary["weight_lost"] = mass["weight_lost"]
        summary["weight_lost_share"] = mass["weight_lost_share"]
    summary.update(_quality(events, summary, start))
    summary.update(_faults(events, start, end))
    validation = _validation(events, summary["faults"])
    if validation is not None:
        summary["validation"] = validation
    return summary


def _quality(
    events: Sequence[Mapping[str, Any]], summary: dict[str, Any], start: Mapping[str, Any]
) -> dict[str, Any]:
    exchanges: list[Mapping[str, Any]] = next((e["levels"] for e in events if e["event"] == "exchanges"), [])
    sps_value = sps(exchanges)
    rows = rer(summary["phases"], start["d0"])
    init = next((p["messages"] for p in summary["phases"] if p["level"] == 0), 0)
    sent = summary["messages_sent"]
    if sent is None:
        quality: dict[str, Any] = {"cqi": None, "efficiency": None, "m_min": 2 * (start["n_agents"] - 1)}
        quality["m_used"] = None
    else:
        quality = cqi(summary["consensus"], sps_value, start["n_agents"], sent - (init or 0))
    return {
        "sps": sps_value,
        "exchanges": list(exchanges),
        "rer": [row["rer"] for row in rows],
        "rer_levels": rows,
        **quality,
    }


def _faults(
    events: Sequence[Mapping[str, Any]], start: Mapping[str, Any], end: Mapping[str, Any] | None
) -> dict[str, Any]:
    crashes = [e for e in events if e["event"] == "agent_crashed"]
    unstarted: list[str] = next((e["phases"] for e in events if e["event"] == "never_started"), [])
    stalled = next((e for e in events if e["event"] == "stalled"), None)
    extra = ("messages_invalid", "messages_quarantined", "messages_duplicated", "messages_cut", "mass_loss")
    return {
        "faults": list(start.get("faults", [])),
        "faults_never_started": list(unstarted),
        "crashed": [{"agent": e["agent"], "t": e["t"], "reason": e["reason"]} for e in crashes],
        "errors": [{"agent": e["agent"], "t": e["t"], **e["error"]} for e in crashes if "error" in e],
        "stalled": (
            {"t": stalled["t"], "reason": stalled["reason"], "waiting": stalled["waiting"]}
            if stalled
            else None
        ),
        **{key: end.get(key) if end else None for key in extra},
    }


def _validation(events: Sequence[Mapping[str, Any]], faults: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Failed checks (merged across observers), flagged vs truly faulty, precision/recall."""
    audits = [e for e in events if e["event"] == "audit"]
    if not audits:
        return None
    merged: dict[tuple[int, int, str, tuple[int, ...]], dict[str, Any]] = {}
    for e in events:
        if e["event"] != "check_failed":
            continue
        key = (e["level"], e["group"], e["check"], tuple(e["suspects"]))
        row = merged.setdefault(
            key,
            {
                "level": e["level"],
                "group": e["group"],
                "check": e["check"],
                "suspects": e["suspects"],
                "observers": [],
            },
        )
        if e["observer"] not in row["observers"]:
            row["observers"].append(e["observer"])
    flagged = sorted({agent for row in merged.values() for agent in row["suspects"]})
    faulty = sorted({f["agent"] for f in faults if f["kind"] == "byzantine"})
    hits = len(set(flagged) & set(faulty))
    return {
        "levels_checked": len({(e["observer"], e["level"]) for e in audits}),
        "failures": sorted(
            merged.values(), key=lambda r: (r["level"], r["group"], r["check"], r["suspects"])
        ),
        "flagged": flagged,
        "faulty": faulty,
        "precision": hits / len(flagged) if flagged else None,
        "recall": hits / len(faulty) if faulty else None,
    }


def _count_phase_messages(
    phases: list[dict[str, Any]], by_level: Sequence[Sequence[int]], start: Mapping[str, Any]
) -> None:
    """Give each phase row its level's final message counts.

    A level that sent messages but never ended (its agents crashed or stalled) gets a row
    too, with no consensus or end time, so the rows always add up to the run's totals.
    """
    final = {level: (sent, dropped) for level, sent, dropped in by_level}
    for phase in phases:
        phase["messages"], phase["dropped"] = final.pop(phase["level"], (0, 0))
    names = {int(info["level"]): info for info in start.get("levels", [])}
    for level, (sent, dropped) in sorted(final.items()):
        info = names.get(level, {})
        name, phase = info.get("name", f"level-{level}"), info.get("phase", "unfinished")
        phases.append(_unfinished_row(name, phase, level, info.get("groups"), sent, dropped))
    phases.sort(key=lambda phase: phase["level"])


def _count_trailing_messages(phases: list[dict[str, Any]], end: Mapping[str, Any]) -> None:
    """Messages sent after the last phase ended (a round protocol's stragglers) get a row."""
    sent = end["messages_sent"] - sum(int(phase.get("messages") or 0) for phase in phases)
    dropped = end["messages_dropped"] - sum(int(phase.get("dropped") or 0) for phase in phases)
    if sent > 0 or dropped > 0:
        level = max((int(phase["level"]) for phase in phases), default=0) + 1
        phases.append(_unfinished_row("after-end", "unfinished", level, None, sent, dropped))


def _unfinished_row(
    name: str, phase: str, level: int, groups: int | None, sent: int, dropped: int
) -> dict[str, Any]:
    """A phase row for messages of a level that never ended: counts but no measurements."""
    return {
        "name": name,
        "phase": phase,
        "level": level,
        "groups": groups,
        "messages": sent,
        "dropped": dropped,
        "consensus": None,
        "dispersion": None,
        "t_end_s": None,
        "unfinished": True,
    }
