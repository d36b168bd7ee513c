"""Comparing protocols on one scenario: the same seeds for each, paired statistics.

Every protocol runs the scenario with the same R seeds (from
`numpy.random.SeedSequence(scenario.seed).spawn(R)`), so replicate r of every protocol sees
the same task, signals and faults, and differences between protocols are paired by seed.
Per protocol: the mean of each metric with a t-based 95% interval (clipped to the
metric's range), and the ratio of its mean
to the symmetric protocol's (over the seeds where both reached the target) with a paired
percentile bootstrap 95% interval (`convergence.stats`). Runs go through `convergence.batch`.
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from convergence.batch import Job, Outcome, run_jobs
from convergence.errors import ConvergenceError
from convergence.executors import ExecutorSpec, open_executor
from convergence.loader import load_scenario
from convergence.recorder import json_safe
from convergence.scenario import Scenario
from convergence.stats import METRIC_RANGES, Interval, mean_interval, ratio_interval
from convergence.sweeper import replicate_seeds

__all__ = [
    "BASELINE",
    "ROW_FIELDS",
    "Comparison",
    "ProtocolStats",
    "compare",
    "default_protocols",
]

BASELINE = "symmetric"
"""The protocol every other is compared with."""

ROW_FIELDS = (
    "protocol",
    "replicate",
    "seed",
    "status",
    "reached",
    "time_to_consensus_s",
    "messages_to_consensus",
    "messages_sent",
    "messages_dropped",
    "consensus",
    "dispersion",
    "error",
    "error_ratio",
    "accuracy",
    "clusters",
    "sps",
    "cqi",
    "t_end_s",
    "reason",
)
"""Columns of compare.csv: one row per protocol x replicate."""

MEAN_METRICS = ("time_to_consensus_s", "messages_to_consensus", "messages_sent", "consensus", "sps", "cqi")
RATIO_METRICS = ("time_to_consensus_s", "messages_to_consensus")
ACCURACY_METRIC = {"estimate": "error", "choice": "accuracy", "opinion": "clusters"}
"""The accuracy column per task kind: crowd error, share on the correct option, clusters."""


def default_protocols() -> list[str]:
    """Every registered protocol, the symmetric one first."""
    from convergence.protocols import PROTOCOLS

    return [BASELINE, *(name for name in PROTOCOLS if name != BASELINE)]


@dataclass(frozen=True)
class ProtocolStats:
    """One protocol's statistics over the replicates."""

    protocol: str
    replicates: int
    failed: int
    never_reached: int
    means: dict[str, Interval]
    ratios: dict[str, Interval]


@dataclass(frozen=True)
class Comparison:
    """The rows (protocol x replicate) and per-protocol statistics of one comparison."""

    scenario: Scenario
    seeds: list[int]
    protocols: list[str]
    accuracy_metric: str
    rows: list[dict[str, Any]]
    stats: list[ProtocolStats]

    def to_dict(self) -> dict[str, Any]:
        """Everything as plain data (compare.json): method, seeds, statistics, rows."""
        data: dict[str, Any] = json_safe(
            {
                "scenario": self.scenario.name,
                "scenario_seed": self.scenario.seed,
                "task": self.scenario.task.kind,
                "n_agents": self.scenario.agents.count,
                "target": self.scenario.protocol.target,
                "replicates": len(self.seeds),
                "seeds": self.seeds,
                "protocols": self.protocols,
                "baseline": BASELINE,
                "accuracy_metric": self.accuracy_metric,
                "method": {
                    "seeds": "SeedSequence(scenario seed).spawn(replicates), the same for each protocol",
                    "means": (
                        "mean, t-based 95% confidence interval, over the replicates that have the value; "
                        "clipped to the metric's range (consensus, accuracy, cqi: [0, 1]; sps: [0, 100])"
                    ),
                    "ratios": "ratio of means protocol / symmetric over seeds where both have the value, "
                    "95% paired percentile bootstrap (2000 resamples of the seeds)",
                },
                "stats": [asdict(s) for s in self.stats],
                "rows": self.rows,
            }
        )
        return data

    def csv_text(self) -> str:
        """compare.csv's content: a header and one row per protocol x replicate."""
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=ROW_FIELDS, lineterminator="\n")
        writer.writeheader()
        for row in self.rows:
            writer.writerow({key: "" if row.get(key) is None else row[key] for key in ROW_FIELDS})
        return buffer.getvalue()

    def __repr__(self) -> str:
        return (
            f"Comparison(scenario={self.scenario.name!r}, protocols={self.protocols}, "
            f"replicates={len(self.seeds)})"
        )

    def stats_rows(self) -> list[dict[str, Any]]:
        """One flat row per protocol: each metric's mean, low, high; ratios to symmetric."""
        table: list[dict[str, Any]] = []
        for stats in self.stats:
            row: dict[str, Any] = {
                "protocol": stats.protocol,
                "replicates": stats.replicates,
                "never_reached": stats.never_reached,
                "failed": stats.failed,
            }
            for prefix, intervals in (("", stats.means), ("ratio_", stats.ratios)):
                for metric, interval in intervals.items():
                    row[f"{prefix}{metric}"] = interval.estimate
                    row[f"{prefix}{metric}_low"] = interval.low
                    row[f"{prefix}{metric}_high"] = interval.high
            table.append(row)
        return table

    def stats_to_pandas(self) -> Any:
        """The per-protocol statistics as a pandas DataFrame indexed by protocol (needs pandas)."""
        from convergence.results import optional_import

        frame = optional_import("pandas", "stats_to_pandas").DataFrame(self.stats_rows())
        return frame.set_index("protocol")

    def _repr_html_(self) -> str:
        """A compact statistics table in Jupyter: estimate [low, high] per metric."""
        rows = self.stats_rows()
        metrics = [key for key in rows[0] if key.endswith("_low")] if rows else []
        head = "".join(f"<th>{html.escape(key[: -len('_low')])}</th>" for key in metrics)
        body = "".join(
            f"<tr><td>{html.escape(row['protocol'])}</td>"
            + "".join(f"<td>{_cell(row, key[: -len('_low')])}</td>" for key in metrics)
            + "</tr>"
            for row in rows
        )
        caption = html.escape(repr(self))
        return f"<table><caption>{caption}</caption><tr><th>protocol</th>{head}</tr>{body}</table>"

    def to_pandas(self) -> Any:
        """The rows (protocol x replicate) as a pandas DataFrame (needs pandas)."""
        from convergence.results import optional_import

        return optional_import("pandas", "to_pandas").DataFrame(self.rows, columns=list(ROW_FIELDS))

    def write(self, directory: Path) -> tuple[Path, Path]:
        """Write compare.json and compare.csv into `directory`; return their paths."""
        directory.mkdir(parents=True, exist_ok=True)
        json_path, csv_path = directory / "compare.json", directory / "compare.csv"
        json_path.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        csv_path.write_text(self.csv_text(), encoding="utf-8")
        return json_path, csv_path


def _row(protocol: str, replicate: int, outcome: Outcome) -> dict[str, Any]:
    summary = outcome.summary
    row: dict[str, Any] = {key: summary.get(key) for key in ROW_FIELDS}
    row.update(
        protocol=protocol,
        replicate=replicate,
        seed=outcome.seed,
        status=outcome.status,
        reached=summary.get("time_to_consensus_s") is not None if outcome.status == "ok" else None,
        reason=outcome.reason,
    )
    return row


def _stats(
    protocol: str,
    index: int,
    rows: list[dict[str, Any]],
    base: list[dict[str, Any]] | None,
    accuracy_metric: str,
    seed: int,
) -> ProtocolStats:
    ok = [row for row in rows if row["status"] == "ok"]
    means = {
        metric: mean_interval([row[metric] for row in ok], bounds=METRIC_RANGES.get(metric))
        for metric in (*MEAN_METRICS, accuracy_metric)
    }
    ratios: dict[str, Interval] = {}
    if base is not None:
        for k, metric in enumerate(RATIO_METRICS):
            bootstrap_seed = int(np.random.SeedSequence([seed, index, k]).generate_state(1)[0])
            ratios[metric] = ratio_interval(
                [row[metric] if row["status"] == "ok" else None for row in rows],
                [row[metric] if row["status"] == "ok" else None for row in base],
                seed=bootstrap_seed,
            )
    return ProtocolStats(
        protocol=protocol,
        replicates=len(rows),
        failed=len(rows) - len(ok),
        never_reached=sum(1 for row in ok if not row["reached"]),
        means=means,
        ratios=ratios,
    )


def compare(
    scenario: Scenario | str | Path | Mapping[str, Any],
    *,
    protocols: Sequence[str] | None = None,
    replicates: int = 30,
    seed: int | None = None,
    workers: int | None = None,
    executor: ExecutorSpec = None,
    out: str | Path | None = None,
    plugins: Sequence[str] = (),
    on_row: Callable[[dict[str, Any]], None] | None = None,
) -> Comparison:
    """Run `scenario` under each protocol for the same `replicates` seeds; compare them.

    Args:
        protocols: names to compare (default: every protocol, symmetric first).
        seed: root of the replicate seeds (default: the scenario's seed).
        workers: local process pool size (default: CPU count).
        executor: None (local pool), any `concurrent.futures.Executor`, a
            `distributed.Client`, `"dask"` or a Dask scheduler address.
        out: directory to write compare.json and compare.csv into (nothing written without).
        plugins: modules or `.py` files registering extra behaviours, imported in workers.
        on_row: called with each finished row, in completion order (for progress).

    Raises:
        ConvergenceError: an unknown or repeated protocol, or fewer than one replicate.
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    if seed is not None:
        scenario = scenario.model_copy(update={"seed": seed})
    names = list(protocols) if protocols is not None else default_protocols()
    from convergence.protocols import PROTOCOLS

    unknown = [name for name in names if name not in PROTOCOLS]
    if unknown:
        raise ConvergenceError(f"unknown protocol {unknown[0]!r} (known: {', '.join(PROTOCOLS)})")
    if len(set(names)) != len(names):
        raise ConvergenceError(f"a protocol is listed twice: {', '.join(names)}")
    if replicates < 1:
        raise ConvergenceError(f"replicates must be >= 1, got {replicates}")
    seeds = replicate_seeds(scenario.seed, replicates)
    jobs = [
        Job(key=(name, replicate), scenario=_with_protocol(scenario, name), seed=seed, plugins=tuple(plugins))
        for name in names
        for replicate, seed in enumerate(seeds)
    ]
    found: dict[tuple[str, int], dict[str, Any]] = {}

    def collect(outcome: Outcome) -> None:
        name, replicate = outcome.key
        found[(name, replicate)] = row = _row(name, replicate, outcome)
        if on_row is not None:
            on_row(row)

    with open_executor(executor, workers) as handle:
        run_jobs(jobs, handle, collect)
    rows = [found[(name, replicate)] for name in names for replicate in range(replicates)]
    by_protocol = {name: [row for row in rows if row["protocol"] == name] for name in names}
    accuracy_metric = ACCURACY_METRIC[scenario.task.kind]
    base = by_protocol.get(BASELINE)
    stats = [
        _stats(name, index, by_protocol[name], base, accuracy_metric, scenario.seed)
        for index, name in enumerate(names)
    ]
    comparison = Comparison(scenario, seeds, names, accuracy_metric, rows, stats)
    if out is not None:
        comparison.write(Path(out))
    return comparison


def _with_protocol(scenario: Scenario, name: str) -> Scenario:
    protocol = scenario.protocol.model_copy(update={"name": name})
    return scenario.model_copy(update={"protocol": protocol})


def _cell(row: dict[str, Any], metric: str) -> str:
    estimate, low, high = row[metric], row[f"{metric}_low"], row[f"{metric}_high"]
    if estimate is None:
        return "-"
    if low is None or high is None:
        return f"{estimate:.4g}"
    return f"{estimate:.4g} [{low:.4g}, {high:.4g}]"
