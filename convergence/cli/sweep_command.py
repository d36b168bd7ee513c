"""`convergence sweep FILE --grid PATH=V1,V2 --replicates R`: many runs, saved as they finish."""

from __future__ import annotations

import argparse
import signal
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


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "sweep", help="run a scenario over a grid of values x replicate seeds, in parallel"
    )
    parser.add_argument("file", type=Path, help="scenario YAML file")
    parser.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="PATH=V1,V2",
        help="a grid axis, e.g. --grid agents.count=22,44,88 (repeatable: the grid is their product)",
    )
    parser.add_argument(
        "--replicates", type=positive_int, default=1, metavar="R", help="seeds per grid point (1)"
    )
    add_seed_option(parser, "root seed of the replicates (default: the scenario's)")
    add_executor_options(parser)
    parser.add_argument("--out", type=Path, help="sweep directory (default sweeps/<name>-sweep/)")
    parser.add_argument("--resume", action="store_true", help="skip the runs already saved in --out")
    parser.add_argument("--plot", type=Path, metavar="PNG", help="save a plot of consensus vs the first axis")
    add_overrides(parser)
    parser.set_defaults(handler=run)


def parse_grid(items: list[str]) -> dict[str, list[Any]]:
    """`agents.count=22,44` -> {"agents.count": [22, 44]}, values typed like YAML."""
    from convergence.errors import ConvergenceError
    from convergence.loader import parse_override

    grid: dict[str, list[Any]] = {}
    for item in items:
        key, sep, values = item.partition("=")
        if not sep or not key.strip() or not values.strip():
            raise ConvergenceError(f"--grid must look like path=v1,v2, got {item!r}")
        grid[key.strip()] = [parse_override(f"{key}={value}")[1] for value in values.split(",")]
    return grid


def check_plot_path(path: Path) -> None:
    """Refuse a `--plot` path that cannot be written, before the sweep runs."""
    import os

    from convergence.errors import ConvergenceError

    folder = path.parent
    if path.is_dir():
        raise ConvergenceError(f"--plot {path} is a directory; give a file name such as {path / 'sweep.png'}")
    if not folder.is_dir():
        raise ConvergenceError(f"--plot {path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise ConvergenceError(f"--plot {path}: cannot write there (permission denied)")


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from convergence.errors import ConvergenceError
    from convergence.loader import load_scenario
    from convergence.recorder import allocate_run_dir
    from convergence.sweeper import SweepProgress, sweep

    if args.plot is not None:
        check_plot_path(args.plot)
    scenario = load_scenario(args.file, args.overrides)
    grid = parse_grid(args.grid)
    if args.resume and args.out is None:
        raise ConvergenceError("--resume needs --out DIR (the sweep to finish)")
    out = args.out or allocate_run_dir(Path("sweeps"), f"{scenario.name}-sweep")
    console = Console(stderr=True)
    bar = Progress(
        TextColumn("[bold]sweep[/bold]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("[red]{task.fields[failed]} failed[/red]"),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
    )
    task = bar.add_task("sweep", total=None, failed=0)
    started: list[bool] = []

    def show(counts: SweepProgress) -> None:
        # The first call comes once the grid is validated: only then is there a bar.
        if bar.tasks[task].total is None:
            started.append(True)
            bar.start()
            bar.reset(task, total=counts.total, completed=counts.done, failed=counts.failed)
        bar.update(task, completed=counts.done, failed=counts.failed)

    try:
        try:
            result = sweep(
                scenario,
                grid,
                replicates=args.replicates,
                seed=args.seed,
                workers=args.workers,
                executor=executor_from(args),
                out=out,
                resume=args.resume,
                plugins=args.plugins,
                progress=show,
            )
        finally:
            if started:
                bar.stop()
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # everything is saved; more Ctrl-C changes nothing
        done = bar.tasks[task].completed
        again = "--resume" if args.out is not None else f"--out {out} --resume"
        console.print(f"interrupted: {done:.0f} runs saved in {out}", soft_wrap=True)
        console.print(f"finish with the same command plus {again}", soft_wrap=True)
        return 130
    Console().print(result)
    if result.skipped:
        console.print(f"resumed: {result.skipped} runs were already saved and not run again", soft_wrap=True)
    if args.plot is not None:
        import matplotlib

        matplotlib.use("Agg")
        result.plot().figure.savefig(args.plot, dpi=120, bbox_inches="tight")
        console.print(f"plot saved to {args.plot}", soft_wrap=True)
    console.print(f"rows in [bold]{out / 'results.jsonl'}[/bold]", soft_wrap=True)
    return 1 if result.failed else 0
