"""`convergence compare FILE`: run a scenario under several protocols on the same seeds."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from convergence.cli._options import add_overrides

__all__ = ["register"]


def _protocol_list(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise argparse.ArgumentTypeError("give at least one protocol, e.g. symmetric,gossip")
    return names


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "compare", help="run a scenario under several protocols on the same seeds and compare them"
    )
    parser.add_argument("file", type=Path, help="scenario YAML file")
    parser.add_argument(
        "--protocols", type=_protocol_list, metavar="A,B,C", help="protocols to compare (default: all)"
    )
    parser.add_argument(
        "--replicates", type=_positive, default=30, metavar="R", help="seeds per protocol (30)"
    )
    parser.add_argument(
        "--workers", type=_positive, metavar="W", help="worker processes (default: one per CPU)"
    )
    parser.add_argument(
        "--dask", metavar="ADDRESS", help="run on a Dask scheduler (tcp://host:8786, or 'local')"
    )
    parser.add_argument(
        "--plugin",
        dest="plugins",
        action="append",
        default=[],
        metavar="MODULE",
        help="module or .py file registering extra behaviours (repeatable)",
    )
    parser.add_argument("--seed", type=int, help="override the scenario's seed (the seeds' root)")
    parser.add_argument("--out", type=Path, help="output directory (default runs/<name>-compare/)")
    add_overrides(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import time

    from rich.console import Console

    from convergence.comparison import compare
    from convergence.comparison_report import comparison_view
    from convergence.loader import load_scenario
    from convergence.recorder import allocate_run_dir

    scenario = load_scenario(args.file, args.overrides)
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
            executor=None if args.dask is None else ("dask" if args.dask == "local" else args.dask),
            plugins=args.plugins,
            on_row=progress,
        )
    wall = time.perf_counter() - wall_start
    directory = (
        args.out if args.out is not None else allocate_run_dir(Path("runs"), f"{scenario.name}-compare")
    )
    json_path, csv_path = comparison.write(directory)
    console.print(comparison_view(comparison))
    console.print(f"{len(comparison.rows)} runs in {wall:.1f}s wall; wrote {json_path} and {csv_path}")
    return 0
