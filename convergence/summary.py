"""The run summary, computed from the event stream alone (so a replay gives the same)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from convergence.metrics import time_to_consensus

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
        "messages_sent": end["messages_sent"] if end else None,
        "messages_dropped": end["messages_dropped"] if end else None,
        "messages_delivered": end["messages_delivered"] if end else None,
        "messages_late": end["messages_late"] if end else None,
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
    return summary
