"""The dashboard's state: a pure fold over a run's events (no terminal, no clock).

`DashboardState.apply(event)` is the only way state changes, so a live run and a replay of
its `events.jsonl` reach the same state. Events other than the engine core's (faults,
validation, baselines) are read defensively: unknown events land in the feed, and known
optional fields (`sps`, `cqi`, suspects, crashed agents) are picked up wherever they appear.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from convergence.quality import cqi, sps

__all__ = ["AgentMark", "DashboardState", "GroupView", "PhaseView", "mark_for"]

Event = Mapping[str, Any]

# Feed lines kept; the panel shows the newest that fit.
FEED_LENGTH = 64
# Events too frequent for the feed: they show in the panels instead.
_QUIET = frozenset({"merge", "sample"})


class AgentMark:
    """Marks an agent can carry, most severe first (the grid shows the first that applies)."""

    CRASHED = "crashed"
    QUARANTINED = "quarantined"
    FLAGGED = "flagged"
    BYZANTINE = "byzantine"
    ORDER = (CRASHED, QUARANTINED, FLAGGED, BYZANTINE)


@dataclass
class GroupView:
    """The latest merge of one group at one level."""

    group: int
    size: int
    consensus: float
    dispersion: float
    messages: int
    time: float


@dataclass
class PhaseView:
    """One level (phase, or round of an iterative protocol) and its progress."""

    level: int
    name: str
    phase: str
    groups: int
    byes: list[int] = field(default_factory=list)
    started: float | None = None
    ended: float | None = None
    merged: dict[int, GroupView] = field(default_factory=dict)
    messages: int | None = None
    dropped: int | None = None
    consensus: float | None = None
    dispersion: float | None = None

    @property
    def status(self) -> str:
        """`pending`, `running` or `done`."""
        if self.ended is not None:
            return "done"
        return "running" if self.started is not None else "pending"

    @property
    def progress(self) -> float:
        """Share of this level's merging groups that have merged (1.0 once it ended)."""
        if self.ended is not None:
            return 1.0
        merging = self.groups - len(self.byes)
        return min(1.0, len(self.merged) / merging) if merging > 0 else 0.0


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else None


def _ints(value: Any) -> list[int]:
    """The integers in a list field (anything else in it, or a non-list, is ignored)."""
    if not isinstance(value, list | tuple):
        return []
    return [int(item) for item in value if isinstance(item, int) and not isinstance(item, bool)]


def _agent_ids(event: Event) -> list[int]:
    """Agent ids an event names, under any of the usual keys."""
    ids: list[int] = []
    for key in ("agent", "agents", "suspects", "quarantined", "crashed"):
        value = event.get(key)
        items = value if isinstance(value, list | tuple) else [value]
        ids.extend(int(item) for item in items if isinstance(item, int) and not isinstance(item, bool))
    return ids


def mark_for(name: str) -> str | None:
    """The agent mark an event of this name puts on the agents it names, if any."""
    lowered = name.lower()
    if "crash" in lowered:
        return AgentMark.CRASHED
    if "quarantin" in lowered:
        return AgentMark.QUARANTINED
    if "flag" in lowered or "validation" in lowered or "suspect" in lowered or "check_failed" in lowered:
        return AgentMark.FLAGGED
    if "byzantine" in lowered:
        return AgentMark.BYZANTINE
    return None


class DashboardState:
    """Everything the dashboard shows, folded from events in order."""

    def __init__(self) -> None:
        self.header: dict[str, Any] = {}
        self.n_agents = 0
        self.target: float | None = None
        self.d0: float | None = None
        self.truth: NDArray[np.float64] | None = None
        self.observers: list[int] = []
        self.phases: dict[int, PhaseView] = {}
        self.current_level: int | None = None
        self.values: NDArray[np.float64] = np.zeros((0, 0))
        self.marks: dict[int, set[str]] = {}
        self.samples: list[tuple[float, float]] = []
        self.time = 0.0
        self.consensus: float | None = None
        self.dispersion: float | None = None
        self.messages = 0
        self.dropped = 0
        self.metrics: dict[str, float] = {}
        self.feed: deque[tuple[float, str, dict[str, Any]]] = deque(maxlen=FEED_LENGTH)
        self.events_seen = 0
        self.started = False
        self.finished = False

    @classmethod
    def from_events(cls, events: Iterable[Event]) -> DashboardState:
        """The state after folding `events` (what a replay shows at its end)."""
        state = cls()
        for event in events:
            state.apply(event)
        return state

    # -- the fold ------------------------------------------------------------------------

    def apply(self, event: Event) -> None:
        """Fold one event into the state."""
        name = str(event.get("event", "?"))
        time = _number(event.get("t"))
        if time is not None:
            self.time = max(self.time, time)
        self.events_seen += 1
        handler = getattr(self, f"_on_{name}", None)
        if handler is not None:
            handler(event)
        self._pick_metrics(event)
        mark = mark_for(name)
        if mark is not None:
            for agent in _agent_ids(event):
                self.marks.setdefault(agent, set()).add(mark)
        if name not in _QUIET:
            fields = {k: v for k, v in event.items() if k not in ("t", "event")}
            self.feed.append((self.time, name, fields))

    def _on_run_start(self, event: Event) -> None:
        self.started = True
        self.header = {k: event.get(k) for k in ("scenario", "protocol", "seed", "n_agents")}
        n = event.get("n_agents")
        self.n_agents = n if isinstance(n, int) and not isinstance(n, bool) and n > 0 else 0
        self.target = _number(event.get("target"))
        self.d0 = _number(event.get("d0"))
        truth = event.get("truth")
        if isinstance(truth, list) and truth:
            self.truth = np.array([_number(v) or 0.0 for v in truth])
        self.observers = _ints(event.get("observers"))
        dims = len(self.truth) if self.truth is not None else 1
        self.values = np.full((self.n_agents, dims), np.nan)
        levels = event.get("levels")
        for level in levels if isinstance(levels, list) else []:
            if isinstance(level, Mapping) and isinstance(level.get("level"), int):
                self._phase(level)
        faults = event.get("faults")
        for fault in faults if isinstance(faults, list) else []:
            if isinstance(fault, Mapping) and fault.get("kind") == "byzantine":
                for agent in _agent_ids(fault):
                    self.marks.setdefault(agent, set()).add(AgentMark.BYZANTINE)

    def _phase(self, event: Event) -> PhaseView:
        level = int(event["level"])
        phase = self.phases.get(level)
        if phase is None:
            name = str(event.get("name") or f"level-{level}")
            phase = PhaseView(
                level, name, str(event.get("phase") or name), max(0, _int(event.get("groups")) or 0)
            )
            self.phases = dict(sorted({**self.phases, level: phase}.items()))
        groups = _int(event.get("groups"))
        if groups is not None:
            phase.groups = max(0, groups)
        return phase

    def _on_phase_start(self, event: Event) -> None:
        if not isinstance(event.get("level"), int):
            return
        phase = self._phase(event)
        phase.started = self.time
        phase.byes = _ints(event.get("byes"))
        self._update_current()

    def _on_phase_end(self, event: Event) -> None:
        if not isinstance(event.get("level"), int):
            return
        phase = self._phase(event)
        if phase.started is None:
            phase.started = self.time
        phase.ended = self.time
        phase.messages = _int(event.get("messages"))
        phase.dropped = _int(event.get("dropped"))
        phase.consensus = _number(event.get("consensus"))
        phase.dispersion = _number(event.get("dispersion"))
        self.dropped = sum(p.dropped or 0 for p in self.phases.values())
        self._update_current()

    def _update_current(self) -> None:
        # Agents run ahead, so several levels can run at once: the lowest one gates progress.
        running = [p.level for p in self.phases.values() if p.status == "running"]
        self.current_level = min(running) if running else None

    def _on_merge(self, event: Event) -> None:
        if not isinstance(event.get("level"), int) or not isinstance(event.get("group"), int):
            return
        phase = self._phase(event)
        phase.merged[int(event["group"])] = GroupView(
            group=int(event["group"]),
            size=_int(event.get("size")) or 0,
            consensus=_number(event.get("consensus")) or 0.0,
            dispersion=_number(event.get("dispersion")) or 0.0,
            messages=_int(event.get("messages")) or 0,
            time=self.time,
        )
        mean = event.get("mean")
        members = [m for m in _ints(event.get("members")) if 0 <= m < self.n_agents]
        if isinstance(mean, list) and members and len(mean) == self.values.shape[1]:
            self.values[members] = [_number(v) if _number(v) is not None else np.nan for v in mean]

    def _on_sample(self, event: Event) -> None:
        score = _number(event.get("consensus"))
        if score is not None:
            self.samples.append((self.time, score))
            self.consensus = score
        self.dispersion = _number(event.get("dispersion"))
        if isinstance(event.get("messages"), int):
            self.messages = int(event["messages"])

    def _on_exchanges(self, event: Event) -> None:
        levels = event.get("levels")
        if isinstance(levels, list) and all(isinstance(level, Mapping) for level in levels):
            with suppress(KeyError, TypeError, ValueError):
                value = sps(levels)
                if value is not None:
                    self.metrics["sps"] = value

    def _on_run_end(self, event: Event) -> None:
        self.finished = True
        self.consensus = _number(event.get("consensus"))
        self.dispersion = _number(event.get("dispersion"))
        if isinstance(event.get("messages_sent"), int):
            self.messages = int(event["messages_sent"])
        if isinstance(event.get("messages_dropped"), int):
            self.dropped = int(event["messages_dropped"])
        self.current_level = None
        if "sps" in self.metrics and self.consensus is not None and "cqi" not in self.metrics:
            # CQI as the summary computes it: messages used = all sent after the init broadcast
            init = self.phases[0].messages if 0 in self.phases else 0
            used = self.messages - (init if isinstance(init, int) else 0)
            value = cqi(self.consensus, self.metrics["sps"], self.n_agents, used)["cqi"]
            if value is not None:
                self.metrics["cqi"] = value

    def _pick_metrics(self, event: Event) -> None:
        for key in ("sps", "cqi", "error", "error_ratio", "messages_late", "invalid"):
            value = _number(event.get(key))
            if value is not None:
                self.metrics[key] = value

    def note(self, source: str, line: str) -> None:
        """Show a line of output (a print or a log record during a live run) in the feed."""
        self.feed.append((self.time, source, {"line": line}))

    def advance(self, time: float) -> None:
        """Move the shown virtual time forward between events (pacing); never backwards."""
        self.time = max(self.time, time)

    # -- derived views -------------------------------------------------------------------

    def crowd_mean(self) -> NDArray[np.float64] | None:
        """Mean of the agents' latest known values (each its last group's mean), if any."""
        known = ~np.isnan(self.values).any(axis=1) if self.values.size else np.zeros(0, dtype=bool)
        if not known.any():
            return None
        return np.asarray(self.values[known].mean(axis=0), dtype=np.float64)

    def distances(self) -> NDArray[np.float64]:
        """Each agent's distance from the crowd mean, relative to D0 (NaN while unknown)."""
        mean = self.crowd_mean()
        if mean is None:
            return np.full(self.n_agents, np.nan)
        scale = self.d0 if self.d0 else 1.0
        return np.asarray(np.linalg.norm(self.values - mean, axis=1) / scale, dtype=np.float64)

    def error(self) -> float | None:
        """Error of the crowd mean against the truth: final when recorded, else estimated."""
        if "error" in self.metrics:
            return self.metrics["error"]
        if self.truth is None or np.isnan(self.values).any() or not self.values.size:
            return None
        return float(np.linalg.norm(self.values.mean(axis=0) - self.truth))

    def mark_of(self, agent: int) -> str | None:
        """The most severe mark an agent carries, or None."""
        marks = self.marks.get(agent)
        if not marks:
            return None
        return next(mark for mark in AgentMark.ORDER if mark in marks)
