"""`convergence check`: run the theory oracles and show expected vs measured for each."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "check", help="run the theory oracles (DeGroot, gossip, exact counts, ...) and report"
    )
    parser.add_argument(
        "names", nargs="*", metavar="ORACLE", help="oracles to run (default: all); see --list"
    )
    parser.add_argument("--list", action="store_true", help="list the oracles and exit")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from convergence.oracles import load_oracles, run_oracles

    console = Console()
    if args.list:
        for oracle in load_oracles().values():
            console.print(f"{oracle.name}  [dim]{oracle.source}[/dim]")
        return 0
    results = run_oracles(args.names or None)
    # Oracle names are never cut: on a usual screen the name column keeps its natural width
    # and expected/measured share the rest; on a very narrow one a name folds.
    wide = console.width >= 72
    table = Table(title="theory oracles", title_justify="left", expand=wide)
    table.add_column("oracle", overflow="fold")
    table.add_column("expected", ratio=1 if wide else None)
    table.add_column("measured", ratio=1 if wide else None)
    table.add_column("result")
    for oracle, result in results:
        verdict = "[green]pass[/green]" if result.passed else "[bold red]FAIL[/bold red]"
        table.add_row(oracle.name, result.expected, result.measured, verdict)
    console.print(table)
    failed = sum(not result.passed for _, result in results)
    console.print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0
