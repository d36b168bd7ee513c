"""`convergence show FILE`: print the fully resolved scenario (extends, overrides, defaults)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from convergence.cli._options import add_overrides

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("show", help="print a scenario fully resolved, as YAML")
    parser.add_argument("file", type=Path, help="scenario YAML file")
    add_overrides(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from convergence.loader import load_scenario, scenario_yaml

    scenario = load_scenario(args.file, args.overrides)
    overrides = "".join(f" --set {text}" for text in args.overrides)
    sys.stdout.write(f"# {args.file}{overrides}, resolved\n{scenario_yaml(scenario)}")
    return 0
