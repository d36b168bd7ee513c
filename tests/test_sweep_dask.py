"""Sweeps on a real dask.distributed LocalCluster give the local pool's rows exactly."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import convergence

distributed = pytest.importorskip("distributed")

ROOT = Path(__file__).resolve().parents[1]
CANONICAL = ROOT / "scenarios" / "canonical-22.yaml"


def _stable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in row.items() if k != "wall_time_s"} for row in rows]


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as dask_client,
    ):
        yield dask_client


@pytest.mark.slow
def test_dask_local_cluster_gives_the_local_pools_rows(client: Any, tmp_path: Path) -> None:
    grid: dict[str, list[Any]] = {"agents.count": [6, 22, 44], "network.drop": [0.0, 0.1]}
    local = convergence.sweep(CANONICAL, grid, replicates=3, seed=42, workers=2)
    on_dask = convergence.sweep(CANONICAL, grid, replicates=3, seed=42, executor=client, out=tmp_path)
    assert len(client.scheduler_info()["workers"]) == 2
    assert _stable(on_dask.rows) == _stable(local.rows)
    assert all(row["status"] == "ok" for row in on_dask.rows)
    assert len((tmp_path / "results.jsonl").read_text().splitlines()) == 18
    # "dask" picks up the client that is already connected.
    by_name = convergence.sweep(CANONICAL, grid, replicates=1, seed=42, executor="dask")
    assert _stable(by_name.rows) == [r for r in _stable(local.rows) if r["replicate"] == 0]


@pytest.mark.slow
def test_dask_carries_lambda_metrics_with_cloudpickle(client: Any) -> None:
    result = convergence.sweep(
        CANONICAL,
        {"agents.count": [6]},
        executor=client,
        metrics={"sent": lambda r: r.summary["messages_sent"]},
    )
    assert [row["sent"] for row in result.rows] == [row["messages_sent"] for row in result.rows]


@pytest.mark.slow
def test_cli_dask_address_runs_on_the_cluster(client: Any, tmp_path: Path) -> None:
    command = [
        str(ROOT / ".venv" / "bin" / "convergence"),
        "sweep",
        str(CANONICAL),
        "--grid",
        "agents.count=6,22",
        "--replicates",
        "2",
        "--seed",
        "42",
        "--dask",
        client.scheduler.address,
        "--out",
        str(tmp_path / "s"),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in (tmp_path / "s" / "results.jsonl").read_text().splitlines()]
    local = convergence.sweep(CANONICAL, {"agents.count": [6, 22]}, replicates=2, seed=42, workers=1)
    assert sorted(_stable(rows), key=lambda r: (r["point"], r["replicate"])) == _stable(local.rows)
