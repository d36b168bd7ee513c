"""`convergence validate FILE...`: check scenario files and print every problem."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from convergence.cli._options import add_overrides

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "validate", help="check scenario files; print each problem (exit 2 if any)"
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="scenario YAML files")
    add_overrides(parser, "check with a field overridden")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from agents import BEHAVIOURS
    from convergence.errors import ScenarioError
    from convergence.loader import load_scenario

    status = 0
    for file in args.files:
        try:
            scenario = load_scenario(file, args.overrides, behaviours=BEHAVIOURS)
        except ScenarioError as exc:
            status = 2
            for problem in exc.problems:
                print(f"error: {problem}", file=sys.stderr)
        else:
            print(f"ok: {file} ({scenario.name}, {scenario.agents.count} agents)")
    return status
