"""`convergence plan --agents N`: print the symmetric protocol's plan as a tree."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("plan", help="print the symmetric protocol's plan for N agents")
    parser.add_argument("--agents", type=int, required=True, metavar="N", help="number of agents")
    parser.add_argument("--observers", type=int, default=2, choices=(0, 2), help="observers (default 2)")
    parser.add_argument(
        "--max-groups", type=int, default=16, metavar="K", help="groups shown per level (default 16)"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from convergence.plan import build_symmetric_plan
    from convergence.report import plan_tree

    plan = build_symmetric_plan(args.agents, args.observers)
    Console().print(plan_tree(plan, max_groups=args.max_groups))
    return 0
