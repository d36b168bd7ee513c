"""Sweeps on the local process pool: seeds, determinism, dead workers, C21, resume."""

from __future__ import annotations

import json
import os
import threading
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import convergence
from convergence.errors import ConvergenceError

ROOT = Path(__file__).resolve().parents[1]
CANONICAL = ROOT / "scenarios" / "canonical-22.yaml"
TEST_PLUGIN = str(ROOT / "tests" / "plugins" / "sweep_agents.py")


def _stable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows without wall_time_s, the one column that measures the machine, not the run."""
    return [{k: v for k, v in row.items() if k != "wall_time_s"} for row in rows]


def final_messages(result: convergence.Result) -> int:
    return int(result.summary["messages_sent"])


def fragile(result: convergence.Result) -> float:
    if result.summary["n_agents"] == 6:
        raise ValueError("no metric for 6 agents")
    return 1.0


def test_a_run_that_raises_is_failed_with_the_reason_and_the_rest_run() -> None:
    result = convergence.sweep(CANONICAL, {"agents.count": [6, 10]}, replicates=2, metrics={"m": fragile})
    assert [(r["agents.count"], r["status"], r["reason"]) for r in result.rows] == [
        (6, "failed", "ValueError: no metric for 6 agents"),
        (6, "failed", "ValueError: no metric for 6 agents"),
        (10, "ok", None),
        (10, "ok", None),
    ]
    assert [r.get("m") for r in result.rows] == [None, None, 1.0, 1.0]


def test_sweep_rows_identical_with_1_and_2_workers_and_seeds_differ() -> None:
    grid: dict[str, list[Any]] = {"agents.count": [6, 22], "network.drop": [0.0, 0.2]}
    one = convergence.sweep(CANONICAL, grid, replicates=4, seed=42, workers=1)
    two = convergence.sweep(CANONICAL, grid, replicates=4, seed=42, workers=2)
    assert _stable(one.rows) == _stable(two.rows)
    assert len(one.rows) == 2 * 2 * 4
    assert all(row["status"] == "ok" for row in one.rows)
    children = np.random.SeedSequence(42).spawn(4)
    expected = [int(c.generate_state(1, np.uint64)[0]) >> 1 for c in children]
    for row in one.rows:
        assert row["seed"] == expected[row["replicate"]]
    assert len(set(expected)) == 4
    # A row is the run itself: re-running that point in-process gives the same numbers.
    row = one.rows[-1]
    scenario = convergence.load_scenario(CANONICAL).with_(
        **{"agents.count": row["agents.count"], "network.drop": row["network.drop"]}
    )
    again = convergence.run_sync(scenario, seed=row["seed"])
    assert again.summary["consensus"] == row["consensus"]
    assert again.summary["messages_sent"] == row["messages_sent"]


def test_worker_that_dies_is_failed_with_reason_and_the_rest_is_saved(tmp_path: Path) -> None:
    grid = {"agents.behaviour": ["weighted-mean", "exit-on-merge"]}
    result = convergence.sweep(
        CANONICAL, grid, replicates=3, seed=1, workers=2, plugins=[TEST_PLUGIN], out=tmp_path
    )
    by_behaviour = {
        b: [r for r in result.rows if r["agents.behaviour"] == b] for b in grid["agents.behaviour"]
    }
    assert [r["status"] for r in by_behaviour["weighted-mean"]] == ["ok"] * 3
    assert [r["status"] for r in by_behaviour["exit-on-merge"]] == ["failed"] * 3
    for row in by_behaviour["exit-on-merge"]:
        assert row["reason"] == "worker process died (exit code 1) while running this point"
    saved = [json.loads(line) for line in (tmp_path / "results.jsonl").read_text().splitlines()]
    assert sorted((r["point"], r["replicate"], r["status"]) for r in saved) == [
        (p, rep, "ok" if p == 0 else "failed") for p in (0, 1) for rep in range(3)
    ]
    manifest = json.loads((tmp_path / "sweep.json").read_text())
    assert (manifest["status"], manifest["done"], manifest["failed"]) == ("complete", 6, 3)


def test_c21_unpicklable_metric_fails_before_any_worker_starts(tmp_path: Path) -> None:
    lock = threading.Lock()
    with ProcessPoolExecutor(max_workers=2) as pool:
        with pytest.raises(
            ConvergenceError,
            match=r"^metric 'locked' \((tests\.)?test_sweep\.test_c21_\w+\.<locals>\.<lambda>\) "
            r"cannot be pickled for worker processes \(TypeError: cannot pickle '_thread.lock' object\)",
        ):
            convergence.sweep(
                CANONICAL,
                {"agents.count": [6]},
                executor=pool,
                out=tmp_path / "out",
                metrics={"locked": lambda r: lock.locked()},
            )
        assert not pool._processes  # no worker was ever started
    assert not (tmp_path / "out").exists()


def test_c21_lambda_metric_travels_by_value_to_process_workers() -> None:
    result = convergence.sweep(
        CANONICAL,
        {"agents.count": [6, 10]},
        workers=2,
        metrics={"sent": lambda r: r.summary["messages_sent"]},
    )
    assert [r["status"] for r in result.rows] == ["ok", "ok"]
    assert [r["sent"] for r in result.rows] == [r["messages_sent"] for r in result.rows]


def test_metrics_run_in_workers_and_lambdas_work_on_threads() -> None:
    grid = {"agents.count": [6, 10]}
    on_processes = convergence.sweep(CANONICAL, grid, workers=2, metrics={"sent": final_messages})
    with ThreadPoolExecutor(max_workers=2) as threads:
        on_threads = convergence.sweep(
            CANONICAL, grid, executor=threads, metrics={"sent": lambda r: r.summary["messages_sent"]}
        )
    assert [r["sent"] for r in on_processes.rows] == [r["messages_sent"] for r in on_processes.rows]
    assert _stable(on_processes.rows) == _stable(on_threads.rows)


def test_resume_runs_only_what_is_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "runs.log"
    monkeypatch.setenv("CONVERGENCE_TEST_RUN_LOG", str(log))
    grid = {"agents.count": [6, 8, 10]}
    options: dict[str, Any] = {"replicates": 2, "seed": 5, "workers": 2, "plugins": [TEST_PLUGIN]}
    scenario = convergence.load_scenario(CANONICAL).with_(**{"agents.behaviour": "counted-mean"})
    full = convergence.sweep(scenario, grid, out=tmp_path / "s", **options)
    assert len(log.read_text().splitlines()) == 6
    results = tmp_path / "s" / "results.jsonl"
    lines = results.read_text().splitlines(keepends=True)
    results.write_text("".join(lines[:4]) + lines[4][:15])  # two rows lost, one half-written
    with pytest.raises(ConvergenceError, match=r"already holds a sweep; resume it or choose another out$"):
        convergence.sweep(scenario, grid, out=tmp_path / "s", **options)
    with pytest.raises(ConvergenceError, match=r"holds a different sweep"):
        convergence.sweep(scenario, grid, out=tmp_path / "s", resume=True, **{**options, "seed": 6})
    resumed = convergence.sweep(scenario, grid, out=tmp_path / "s", resume=True, **options)
    assert len(log.read_text().splitlines()) == 6 + 2
    assert resumed.skipped == 4
    assert _stable(resumed.rows) == _stable(full.rows)
    assert len(results.read_text().splitlines()) == 6
    loaded = convergence.load_sweep(tmp_path / "s")
    assert (loaded.rows, loaded.status, loaded.replicates, loaded.grid) == (resumed.rows, "complete", 2, grid)
    with pytest.raises(ConvergenceError, match=r"holds no sweep: cannot read sweep.json"):
        convergence.load_sweep(tmp_path)
    assert os.path.getsize(results) == len(results.read_bytes())
