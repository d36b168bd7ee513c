"""`convergence schema`: print the JSON Schema of scenario files (for editor completion)."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("schema", help="print the JSON Schema of scenario files")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import json

    from convergence.loader import scenario_json_schema

    print(json.dumps(scenario_json_schema(), indent=2, ensure_ascii=False))
    return 0
