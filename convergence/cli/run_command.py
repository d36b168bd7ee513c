"""`convergence run FILE`: run a scenario, record it, print the summary."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from convergence.cli._options import add_overrides

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("run", help="run a scenario file and record it")
    parser.add_argument("file", type=Path, help="scenario YAML file")
    parser.add_argument("--out", type=Path, help="run directory (default runs/<name>-<seed>/)")
    parser.add_argument("--seed", type=int, help="override the scenario's seed")
    add_overrides(parser)
    parser.add_argument(
        "--explain-metrics", action="store_true", help="print how each metric is computed after the summary"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from convergence.engine import simulate
    from convergence.loader import load_scenario
    from convergence.recorder import RunRecorder, allocate_run_dir
    from convergence.report import summary_table

    scenario = load_scenario(args.file, args.overrides)
    seed = scenario.seed if args.seed is None else args.seed
    if args.out is not None:
        if args.out.exists() and any(args.out.iterdir()):
            from convergence.errors import ConvergenceError

            raise ConvergenceError(f"run directory {args.out} exists and is not empty; choose another --out")
        directory = args.out
    else:
        directory = allocate_run_dir(Path("runs"), f"{scenario.name}-{seed}")
    recorder = RunRecorder(directory, scenario)
    try:
        result = simulate(scenario, seed=seed, subscribers=[recorder])
    finally:
        recorder.close()
    recorder.write_summary(result.summary)
    console = Console()
    console.print(summary_table(result.summary))
    if args.explain_metrics:
        from convergence.quality import EXPLANATIONS

        for name, text in EXPLANATIONS.items():
            console.print(f"[bold]{name}[/bold]: {text}", highlight=False)
    console.print(f"recorded in [bold]{directory}[/bold]")
    return 0
