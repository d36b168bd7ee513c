"""Command-line options shared by several subcommands."""

from __future__ import annotations

import argparse

__all__ = ["add_overrides"]


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
