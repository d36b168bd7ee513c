"""Tidy results: `Result` (one run) and `SweepResult` (a table of runs), as tables and plots.

pandas and matplotlib are optional (`pip install 'convergence[notebook]'`) and imported
only by `to_pandas` and `plot`. Both classes render as compact tables in Jupyter
(`_repr_html_`) and in a Rich console (`__rich__`).
"""

from __future__ import annotations

import html
import importlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from convergence.engine import Event, RunResult
from convergence.errors import ConvergenceError
from convergence.stats import METRIC_RANGES, mean_interval

__all__ = ["Result", "SweepResult", "optional_import"]

_TABLES = ("timeline", "phases", "groups", "events")
_HEADLINE = ("consensus", "time_to_consensus_s", "messages_sent", "messages_dropped", "error", "t_end_s")


def optional_import(name: str, purpose: str) -> ModuleType:
    """Import an optional dependency or say which extra provides it."""
    try:
        return importlib.import_module(name)
    except ImportError:
        raise ConvergenceError(
            f"{purpose} needs {name.split('.')[0]}: pip install 'convergence[notebook]'"
        ) from None


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "-" if value is None else str(value)


def _html_table(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    return f"<table><caption>{html.escape(title)}</caption><tr>{head}</tr>{body}</table>"


def _rich_table(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> Any:
    from rich.table import Table  # rich is a core dependency; imported only to render

    table = Table(title=title)
    for name in header:
        table.add_column(name)
    for row in rows:
        table.add_row(*(_cell(v) for v in row))
    return table


def _band_table(
    rows: Sequence[Mapping[str, Any]], metric: str, x: str, hue: str | None
) -> dict[str, list[tuple[Any, float, float, float]]]:
    """Per hue value: (x, mean, low, high) over the ok rows, sorted by x; the band is the
    t-based 95% interval of the mean (zero width for a single replicate), clipped to the
    metric's range if it has one."""
    values: dict[str, dict[Any, list[float]]] = {}
    for row in rows:
        if row["status"] != "ok" or row.get(metric) is None:
            continue
        label = str(row[hue]) if hue is not None else metric
        values.setdefault(label, {}).setdefault(row[x], []).append(float(row[metric]))
    table: dict[str, list[tuple[Any, float, float, float]]] = {}
    for label, by_x in values.items():
        points = []
        for key in sorted(by_x):
            interval = mean_interval(by_x[key], bounds=METRIC_RANGES.get(metric))
            mean = interval.estimate if interval.estimate is not None else math.nan
            low = interval.low if interval.low is not None else mean
            high = interval.high if interval.high is not None else mean
            points.append((key, mean, low, high))
        table[label] = points
    return table


class Result:
    """One run: summary, per-phase table, metrics timeline, groups per level, events."""

    def __init__(self, run: RunResult) -> None:
        self.run = run
        self.scenario = run.scenario
        self.seed = run.seed
        self.summary: dict[str, Any] = run.summary
        self.events: list[Event] = run.events

    @property
    def phases(self) -> list[dict[str, Any]]:
        """One row per phase: messages, drops, consensus and dispersion at its end."""
        return list(self.summary.get("phases", []))

    @property
    def timeline(self) -> list[dict[str, Any]]:
        """The metric samples: virtual time, consensus, dispersion, messages so far."""
        return [{k: v for k, v in e.items() if k != "event"} for e in self.run.timeline]

    def groups(self, level: int | None = None) -> list[dict[str, Any]]:
        """Every merged group (all levels, or one), with the same schema at each level."""
        return [
            {k: v for k, v in e.items() if k != "event"}
            for e in self.events
            if e["event"] == "merge" and (level is None or e.get("level") == level)
        ]

    def _rows(self, table: str) -> list[dict[str, Any]]:
        if table not in _TABLES:
            raise ConvergenceError(f"table must be one of {', '.join(_TABLES)}, got {table!r}")
        if table == "events":
            return list(self.events)
        rows: list[dict[str, Any]] = getattr(self, table) if table != "groups" else self.groups()
        return rows

    def to_pandas(self, table: str = "timeline") -> Any:
        """A DataFrame of one table: timeline (default), phases, groups or events."""
        pandas = optional_import("pandas", "to_pandas()")
        return pandas.DataFrame(self._rows(table))

    def to_csv(self, path: str | Path, table: str = "timeline") -> Path:
        """Write one table as CSV and return its path."""
        self.to_pandas(table).to_csv(path, index=False)
        return Path(path)

    def plot(self, ax: Any = None) -> Any:
        """Consensus over virtual time, each phase shaded and labelled; returns the Axes."""
        pyplot = optional_import("matplotlib.pyplot", "plot()")
        if ax is None:
            _, ax = pyplot.subplots(figsize=(8, 3.5))
        times = [s["t"] * 1e3 for s in self.run.timeline]
        ax.plot(times, [s["consensus"] for s in self.run.timeline], color="black", lw=1.5)
        start = 0.0
        for index, phase in enumerate(self.phases):
            end = phase["t_end_s"] * 1e3
            ax.axvspan(start, end, color=f"C{index % 10}", alpha=0.15, lw=0)
            height = 1.01 if index % 2 == 0 else 1.06  # staggered: short phases stay legible
            ax.text((start + end) / 2, height, phase["name"], ha="center", va="bottom", fontsize=8)
            start = end
        ax.axhline(self.summary["target"], color="grey", ls="--", lw=0.8)
        ax.set(xlabel="virtual time (ms)", ylabel="consensus score", ylim=(0, 1.15))
        ax.set_title(f"{self.summary['scenario']} · {self.summary['protocol']} · seed {self.seed}", pad=16)
        return ax

    def _summary_rows(self) -> list[tuple[str, Any]]:
        return [(key, self.summary.get(key)) for key in _HEADLINE]

    def _phase_rows(self) -> list[list[Any]]:
        keys = ("name", "messages", "dropped", "consensus", "dispersion", "t_end_s")
        return [[phase.get(k) for k in keys] for phase in self.phases]

    def _repr_html_(self) -> str:
        title = f"{self.summary['scenario']} ({self.summary['protocol']}, seed {self.seed})"
        return _html_table(title, ["metric", "value"], self._summary_rows()) + _html_table(
            "phases",
            ["phase", "messages", "dropped", "consensus", "dispersion", "t_end_s"],
            self._phase_rows(),
        )

    def __rich__(self) -> Any:
        title = f"{self.summary['scenario']} ({self.summary['protocol']}, seed {self.seed})"
        return _rich_table(title, ["metric", "value"], self._summary_rows())

    def __repr__(self) -> str:
        consensus = _cell(self.summary["consensus"])
        return f"<Result {self.summary['scenario']} seed={self.seed} consensus={consensus}>"


@dataclass
class SweepResult:
    """A sweep's rows (one per grid point x replicate, sorted), and where they are saved."""

    rows: list[dict[str, Any]]
    grid: Mapping[str, Sequence[Any]]
    replicates: int
    seed: int
    directory: Path | None = None
    status: str = "complete"
    skipped: int = field(default=0)

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [row for row in self.rows if row["status"] != "ok"]

    def to_pandas(self) -> Any:
        """One row per grid point x replicate; grid axes are columns named by dotted path."""
        pandas = optional_import("pandas", "to_pandas()")
        return pandas.DataFrame(self.rows)

    def to_csv(self, path: str | Path) -> Path:
        self.to_pandas().to_csv(path, index=False)
        return Path(path)

    def plot(
        self, metric: str = "consensus", x: str | None = None, hue: str | None = None, ax: Any = None
    ) -> Any:
        """Mean of `metric` against grid axis `x`, one line per `hue` value (default: the
        protocol when it is swept), with the t-based 95% confidence band of the mean."""
        pyplot = optional_import("matplotlib.pyplot", "plot()")
        axes = list(self.grid)
        x = x or (axes[0] if axes else "n_agents")
        if hue is None:
            hue = "protocol.name" if "protocol.name" in axes and x != "protocol.name" else None
        if ax is None:
            _, ax = pyplot.subplots(figsize=(7, 4))
        for label, points in _band_table(self.rows, metric, x, hue).items():
            xs = [p[0] for p in points]
            ax.plot(xs, [p[1] for p in points], marker="o", label=label)
            ax.fill_between(xs, [p[2] for p in points], [p[3] for p in points], alpha=0.2)
        ax.set(xlabel=x, ylabel=metric)
        if hue is not None:
            ax.legend(title=hue)
        ax.set_title(f"{metric} vs {x} ({self.replicates} replicates, 95% band)")
        return ax

    def _table(self) -> tuple[list[str], list[list[Any]]]:
        header = ["point", *self.grid, "ok", "failed", "consensus (mean)"]
        rows: dict[int, list[Any]] = {}
        for row in self.rows:
            entry = rows.setdefault(row["point"], [row["point"], *(row[k] for k in self.grid), 0, 0, []])
            entry[-3 if row["status"] == "ok" else -2] += 1
            if row["status"] == "ok" and row.get("consensus") is not None:
                entry[-1].append(row["consensus"])
        table = [[*r[:-1], sum(r[-1]) / len(r[-1]) if r[-1] else None] for r in rows.values()]
        return header, table

    def _caption(self) -> str:
        return f"sweep: {len(self.rows)} runs, {len(self.failed)} failed, {self.status}"

    def __repr__(self) -> str:
        axes = ", ".join(f"{key}={list(values)}" for key, values in self.grid.items())
        return f"<SweepResult {self._caption()}; grid {axes or '-'} x {self.replicates} replicates>"

    def _repr_html_(self) -> str:
        header, table = self._table()
        return _html_table(self._caption(), header, table[:50])

    def __rich__(self) -> Any:
        header, table = self._table()
        return _rich_table(self._caption(), header, table)
