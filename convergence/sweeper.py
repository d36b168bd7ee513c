"""Sweeps: one scenario over a grid of dotted-path values x replicate seeds, saved as it goes.

Replicate r runs with the r-th child of `numpy.random.SeedSequence(seed)` at every grid
point (common random numbers: points differ by their parameters, not by their draws).
Rows are sorted by (point, replicate), so results never depend on the worker count or the
completion order. With `out=DIR` each finished run is appended to `DIR/results.jsonl` at
once (one `write` per line) and `DIR/sweep.json` (replaced atomically) says whether the
sweep is running, interrupted or complete; `resume=True` skips the runs already saved.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from convergence.batch import Job, Metric, Outcome, portable_metrics, run_jobs
from convergence.errors import ConvergenceError, ScenarioError, checked_seed
from convergence.executors import ExecutorSpec, open_executor, sigint_deferred
from convergence.loader import load_scenario
from convergence.recorder import json_safe, write_scenario
from convergence.results import SweepResult
from convergence.scenario import Scenario

__all__ = ["SweepProgress", "load_sweep", "replicate_seeds", "sweep"]

RESULTS = "results.jsonl"
MANIFEST = "sweep.json"


@dataclass(frozen=True)
class SweepProgress:
    """Counts passed to a sweep's `progress` callback after every finished run."""

    total: int
    done: int
    failed: int
    skipped: int


def replicate_seeds(seed: int, replicates: int) -> list[int]:
    """The replicates' run seeds: 63-bit integers from `SeedSequence(seed).spawn`."""
    children = np.random.SeedSequence(checked_seed(seed)).spawn(replicates)
    return [int(child.generate_state(1, np.uint64)[0] >> np.uint64(1)) for child in children]


def _points(scenario: Scenario, grid: Mapping[str, Sequence[Any]]) -> list[tuple[dict[str, Any], Scenario]]:
    for key, values in grid.items():
        if key == "seed":
            raise ConvergenceError("the grid cannot vary 'seed': use replicates= and seed= instead")
        if isinstance(values, str | bytes) or not isinstance(values, Sequence) or not values:
            raise ConvergenceError(f"grid[{key!r}] must be a non-empty list of values, got {values!r}")
    keys = list(grid)
    points = [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*grid.values())]
    return [(point, _validated(scenario, point)) for point in points]


def _validated(scenario: Scenario, point: dict[str, Any]) -> Scenario:
    """The scenario at one grid point; every point is checked before any work starts."""
    try:
        return scenario.with_(**point)
    except ScenarioError as exc:
        where = "grid point " + ", ".join(f"{key}={value!r}" for key, value in point.items())
        raise ScenarioError([dataclasses.replace(p, file=where) for p in exc.problems]) from None


def sweep(
    scenario: Scenario | str | Path | Mapping[str, Any],
    grid: Mapping[str, Sequence[Any]] | None = None,
    *,
    replicates: int = 1,
    seed: int | None = None,
    workers: int | None = None,
    executor: ExecutorSpec = None,
    out: str | Path | None = None,
    resume: bool = False,
    metrics: Mapping[str, Metric] | None = None,
    plugins: Sequence[str] = (),
    progress: Callable[[SweepProgress], None] | None = None,
) -> SweepResult:
    """Run `scenario` at every grid point x `replicates` seeds and return the rows.

    Args:
        grid: dotted field path -> values, e.g. `{"agents.count": [22, 44]}`.
        seed: root of the replicate seeds (default: the scenario's seed).
        workers: local process pool size (default: CPU count).
        executor: None (local pool), any `concurrent.futures.Executor`, a
            `distributed.Client`, `"dask"` (the current client or a new LocalCluster) or
            a Dask scheduler address.
        out: directory for `results.jsonl` and `sweep.json`; nothing is written without it.
        metrics: name -> callable taking a `Result`, evaluated in the worker.
        plugins: modules or `.py` files registering extra behaviours, imported in workers.
        progress: called with a `SweepProgress` after each run (the CLI draws a bar).

    Raises:
        ConvergenceError: bad grid, unpicklable metric, or `out` holding another sweep.
    """
    base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    grid = dict(grid or {})
    if replicates < 1:
        raise ConvergenceError(f"replicates must be >= 1, got {replicates}")
    root = base.seed if seed is None else seed
    points = _points(base, grid)
    seeds = replicate_seeds(root, replicates)
    metric_items = tuple(portable_metrics(metrics or {}, executor).items())
    spec = {
        "scenario": base.to_yaml_dict(),
        "grid": grid,
        "replicates": replicates,
        "seed": root,
        "plugins": list(plugins),
        "metrics": sorted(name for name, _ in metric_items),
    }
    store = _Store(Path(out), spec, resume) if out is not None else None
    rows: dict[tuple[int, int], dict[str, Any]] = dict(store.saved) if store else {}
    total = len(points) * replicates
    counts = SweepProgress(total, len(rows), sum(r["status"] != "ok" for r in rows.values()), len(rows))
    jobs = [
        Job((index, rep), scenario_at, seeds[rep], tuple(plugins), metric_items)
        for index, (_, scenario_at) in enumerate(points)
        for rep in range(replicates)
        if (index, rep) not in rows
    ]

    def record(outcome: Outcome) -> None:
        nonlocal counts
        index, rep = outcome.key
        row = _row(index, rep, points[index][0], outcome)
        rows[(index, rep)] = row
        if store is not None:
            store.append(row)
        failed = counts.failed + (outcome.status != "ok")
        counts = SweepProgress(total, counts.done + 1, failed, counts.skipped)
        if progress is not None:
            progress(counts)

    if progress is not None:
        progress(counts)
    status = "interrupted"
    try:
        if jobs:
            with open_executor(executor, workers) as handle:
                run_jobs(jobs, handle, record)
        status = "complete"
    finally:
        if store is not None:
            with sigint_deferred():  # a second Ctrl-C cannot cut the manifest short
                store.finish(status, counts)
    ordered = [rows[key] for key in sorted(rows)]
    return SweepResult(
        ordered, grid, replicates, root, store.directory if store else None, status, counts.skipped
    )


def _row(index: int, rep: int, point: Mapping[str, Any], outcome: Outcome) -> dict[str, Any]:
    return json_safe(  # type: ignore[no-any-return]
        {
            "point": index,
            "replicate": rep,
            "seed": outcome.seed,
            **point,
            "status": outcome.status,
            "reason": outcome.reason,
            **outcome.summary,
            **outcome.metrics,
            "wall_time_s": outcome.wall_time_s,
        }
    )


def load_sweep(directory: str | Path) -> SweepResult:
    """A saved sweep (`out=DIR`, `convergence sweep --out DIR`) as a `SweepResult`; runs nothing.

    Raises:
        ConvergenceError: `directory` holds no sweep.
    """
    directory = Path(directory)
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConvergenceError(
            f"{directory} holds no sweep: cannot read {MANIFEST} ({exc.strerror})"
        ) from None
    rows = _read_rows(directory / RESULTS, repair=False)
    spec = manifest["spec"]
    ordered = [rows[key] for key in sorted(rows)]
    return SweepResult(ordered, spec["grid"], spec["replicates"], spec["seed"], directory, manifest["status"])


def _read_rows(path: Path, *, repair: bool) -> dict[tuple[int, int], dict[str, Any]]:
    """Saved rows by (point, replicate). A run killed mid-write leaves a partial last line:
    it is skipped, and cut off when `repair` (before appending more)."""
    if not path.exists():
        return {}
    data = path.read_bytes()
    good = data[: data.rfind(b"\n") + 1]
    if repair and len(good) != len(data):
        os.truncate(path, len(good))
    rows = [json.loads(line) for line in good.decode("utf-8").splitlines() if line.strip()]
    return {(row["point"], row["replicate"]): row for row in rows}


class _Store:
    """A sweep directory: append-only rows plus an atomically replaced manifest."""

    def __init__(self, directory: Path, spec: dict[str, Any], resume: bool) -> None:
        self.directory = directory
        self.spec = json.loads(json.dumps(json_safe(spec)))
        self.results = directory / RESULTS
        self.saved: dict[tuple[int, int], dict[str, Any]] = {}
        manifest = directory / MANIFEST
        holds_sweep = manifest.exists() or self.results.exists()
        if directory.exists() and not directory.is_dir():
            raise ConvergenceError(f"{directory} is a file, not a directory; choose another out")
        if not holds_sweep and directory.is_dir() and any(directory.iterdir()):
            raise ConvergenceError(
                f"{directory} is not empty and holds no sweep (no {MANIFEST}); choose another out"
            )
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConvergenceError(
                f"cannot create sweep directory {directory}: {exc.strerror or exc}"
            ) from None
        if holds_sweep:
            if not resume:
                raise ConvergenceError(f"{directory} already holds a sweep; resume it or choose another out")
            previous = json.loads(manifest.read_text(encoding="utf-8")) if manifest.exists() else {}
            if previous.get("spec") != self.spec:
                raise ConvergenceError(
                    f"{directory} holds a different sweep (scenario, grid, replicates, seed, plugins "
                    "or metrics differ); choose another out"
                )
            self.saved = _read_rows(self.results, repair=True)
        write_scenario(directory / "scenario.yaml", Scenario.model_validate(spec["scenario"]))
        self._fd = os.open(self.results, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._write_manifest("running", None)

    def append(self, row: dict[str, Any]) -> None:
        data = (json.dumps(row) + "\n").encode("utf-8")
        while data:
            data = data[os.write(self._fd, data) :]

    def _write_manifest(self, status: str, counts: SweepProgress | None) -> None:
        body = {"status": status, "spec": self.spec}
        if counts is not None:
            body.update(total=counts.total, done=counts.done, failed=counts.failed)
        temporary = self.directory / f".{MANIFEST}.tmp"
        temporary.write_text(json.dumps(body, indent=1) + "\n", encoding="utf-8")
        os.replace(temporary, self.directory / MANIFEST)  # never a half-written manifest

    def finish(self, status: str, counts: SweepProgress) -> None:
        os.close(self._fd)
        self._write_manifest(status, counts)
