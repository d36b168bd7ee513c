"""The issue-7 sweep benchmark: agent counts x protocols x seeds, local pool vs Dask.

Runs `convergence sweep` (the CLI, with its progress bar) on the local process pool, then
the same sweep on a dask.distributed LocalCluster with as many worker processes, checks
that every row is identical (wall_time_s aside) and prints both wall times. Usage:
`.venv/bin/python bench/sweep.py [--replicates 30] [--workers N] [--counts 22,44,88,176]`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
PROTOCOLS = "symmetric,all-to-all,degroot,gossip,recursive-doubling,tree"


def _rows(directory: Path) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in (directory / "results.jsonl").read_text().splitlines()]
    rows.sort(key=lambda row: (row["point"], row["replicate"]))
    return [{k: v for k, v in row.items() if k != "wall_time_s"} for row in rows]


def _sweep(out: Path, args: argparse.Namespace, *extra: str) -> float:
    command = [
        str(REPO / ".venv" / "bin" / "convergence"),
        "sweep",
        str(REPO / "scenarios" / "canonical-22.yaml"),
        "--grid",
        f"agents.count={args.counts}",
        "--grid",
        f"protocol.name={args.protocols}",
        "--replicates",
        str(args.replicates),
        "--seed",
        "42",
        "--out",
        str(out),
        *extra,
    ]
    start = time.perf_counter()
    subprocess.run(command, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--replicates", type=int, default=30)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--counts", default="22,44,88,176")
    parser.add_argument("--protocols", default=PROTOCOLS)
    parser.add_argument("--plot", type=Path, default=Path("sweep-bench.png"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        local, dask = Path(tmp) / "local", Path(tmp) / "dask"
        local_wall = _sweep(local, args, "--workers", str(args.workers), "--plot", str(args.plot))
        from distributed import Client, LocalCluster

        with (
            LocalCluster(  # type: ignore[no-untyped-call]
                n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=":0"
            ) as cluster,
            Client(cluster) as client,  # type: ignore[no-untyped-call]
        ):
            dask_wall = _sweep(dask, args, "--dask", str(client.scheduler.address))
        identical = _rows(local) == _rows(dask)
        runs = len(_rows(local))
    cells = f"{len(args.counts.split(','))} x {len(args.protocols.split(','))} x {args.replicates}"
    print(f"sweep {cells} = {runs} runs, {args.workers} workers")
    print(f"  local process pool: {local_wall:.1f} s wall (whole CLI call, plot included)")
    print(f"  dask LocalCluster:  {dask_wall:.1f} s wall (cluster already started)")
    print(f"  identical rows: {identical}")
    sys.exit(0 if identical else 1)


if __name__ == "__main__":
    main()
