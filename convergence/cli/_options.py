"""Command-line options shared by several subcommands."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = [
    "add_executor_options",
    "add_overrides",
    "add_plugin_option",
    "add_seed_option",
    "executor_from",
    "positive_int",
    "seed_int",
]


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


def _whole_number(text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {value}")
    return value


def positive_int(text: str) -> int:
    """An argparse type: a whole number >= 1."""
    return _whole_number(text, 1)


def seed_int(text: str) -> int:
    """An argparse type: a random seed, a whole number >= 0."""
    return _whole_number(text, 0)


def add_seed_option(parser: argparse.ArgumentParser, help_text: str = "override the scenario's seed") -> None:
    """Add `--seed N` (a whole number >= 0), collected in `args.seed` (None if not given)."""
    parser.add_argument("--seed", type=seed_int, metavar="N", help=help_text)


def add_plugin_option(parser: argparse.ArgumentParser) -> None:
    """Add the repeatable `--plugin MODULE` option, collected in `args.plugins`."""
    parser.add_argument(
        "--plugin",
        dest="plugins",
        action="append",
        default=[],
        metavar="MODULE",
        help="module or .py file registering extra behaviours (repeatable)",
    )


def add_executor_options(parser: argparse.ArgumentParser) -> None:
    """Add where many runs go (`--workers`, `--dask`) and `--plugin` (imported in workers)."""
    parser.add_argument(
        "--workers", type=positive_int, metavar="W", help="worker processes (default: one per CPU)"
    )
    parser.add_argument(
        "--dask", metavar="ADDRESS", help="run on a Dask scheduler (tcp://host:8786, or 'local')"
    )
    add_plugin_option(parser)


def executor_from(args: argparse.Namespace) -> Any:
    """The `executor=` argument for `--dask`: None (local pool), "dask" or an address."""
    if args.dask is None:
        return None
    return "dask" if args.dask == "local" else args.dask
