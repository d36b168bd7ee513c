"""Command-line options shared by several subcommands."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_executor_options", "add_overrides", "executor_from", "positive_int"]


def add_overrides(parser: argparse.ArgumentParser, purpose: str = "override a field") -> None:
    """Add the repeatable `--set PATH=VALUE` option, collected in `args.overrides`."""
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help=f"{purpose}, e.g. --set agents.count=176 (repeatable)",
    )


def positive_int(text: str) -> int:
    """An argparse type: a whole number >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def add_executor_options(parser: argparse.ArgumentParser) -> None:
    """Add where many runs go (`--workers`, `--dask`) and `--plugin` (imported in workers)."""
    parser.add_argument(
        "--workers", type=positive_int, metavar="W", help="worker processes (default: one per CPU)"
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


def executor_from(args: argparse.Namespace) -> Any:
    """The `executor=` argument for `--dask`: None (local pool), "dask" or an address."""
    if args.dask is None:
        return None
    return "dask" if args.dask == "local" else args.dask
