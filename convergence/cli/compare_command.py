"""`convergence compare FILE`: run a scenario under several protocols on the same seeds."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from convergence.cli._options import (
    add_executor_options,
    add_overrides,
    add_seed_option,
    executor_from,
    positive_int,
)

__all__ = ["register"]


def _protocol_list(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise argparse.ArgumentTypeError("give at least one protocol, e.g. symmetric,gossip")
    return names


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "compare", help="run a scenario under several protocols on the same seeds and compare them"
    )
    parser.add_argument("file", type=Path, help="scenario YAML file")
    parser.add_argument(
        "--protocols", type=_protocol_list, metavar="A,B,C", help="protocols to compare (default: all)"
    )
    parser.add_argument(
        "--replicates", type=positive_int, default=30, metavar="R", help="seeds per protocol (30)"
    )
    add_executor_options(parser)
    add_seed_option(parser, "override the scenario's seed (the seeds' root)")
    parser.add_argument("--out", type=Path, help="output directory (default runs/<name>-compare/)")
    add_overrides(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import time

    from rich.console import Console

    from convergence.comparison import compare
    from convergence.comparison_report import comparison_view
    from convergence.loader import load_scenario
    from convergence.recorder import allocate_run_dir, prepare_run_dir

    scenario = load_scenario(args.file, args.overrides)
    # An explicit --out is checked before the runs: never overwrite an earlier comparison.
    name = f"{scenario.name}-compare"
    directory = prepare_run_dir(args.out, Path("runs"), name) if args.out is not None else None
    console = Console()
    wall_start = time.perf_counter()
    with console.status("running", spinner="dots") as status:
        done = [0]

        def progress(_: dict[str, Any]) -> None:
            done[0] += 1
            status.update(f"{done[0]} runs done")

        comparison = compare(
            scenario,
            protocols=args.protocols,
            replicates=args.replicates,
            seed=args.seed,
            workers=args.workers,
            executor=executor_from(args),
            plugins=args.plugins,
            on_row=progress,
        )
    wall = time.perf_counter() - wall_start
    if directory is None:
        directory = allocate_run_dir(Path("runs"), name)
    json_path, csv_path = comparison.write(directory)
    console.print(comparison_view(comparison))
    console.print(f"{len(comparison.rows)} runs in {wall:.1f}s wall; wrote {json_path} and {csv_path}")
    return 0
