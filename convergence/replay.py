"""Reading a recorded run back: its events from `events.jsonl`, and the summary they give.

A replay trusts nothing but the event log: the summary is rebuilt by the same `summarize`
a live run uses, so it equals the recorded `summary.json` except for the wall time.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from convergence.errors import ConvergenceError
from convergence.summary import summarize

__all__ = ["load_events", "replay_summary"]


def load_events(run_dir: Path) -> list[dict[str, Any]]:
    """The events of the run recorded in `run_dir`, in order.

    A last line cut short (a run killed mid-write) is skipped; any other unreadable line is
    an error naming the file and line.
    """
    path = run_dir / "events.jsonl"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConvergenceError(
            f"cannot read {path}: {exc.strerror or exc}; is {run_dir} a run directory?"
        ) from None
    events: list[dict[str, Any]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except json.JSONDecodeError as exc:
            if number == len(lines):
                break
            raise ConvergenceError(f"{path}:{number}: not a JSON event ({exc.msg})") from None
        if not isinstance(event, dict) or "event" not in event:
            raise ConvergenceError(f"{path}:{number}: an event needs an 'event' field")
        events.append(event)
    if not any(event["event"] == "run_start" for event in events):
        raise ConvergenceError(f"{path}: no run_start event; nothing to replay")
    return events


def replay_summary(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The run's summary rebuilt from its events (no `wall_time_s`: a replay has none)."""
    return summarize(events)
