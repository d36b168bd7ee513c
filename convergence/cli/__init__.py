"""The `convergence` command: a thin shell over the library.

Each subcommand lives in its own module with `register(subparsers)`; heavy imports happen
inside the command, so `convergence --help` stays fast. A `ConvergenceError` becomes one
line per problem on stderr and exit status 2; `--debug` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

__all__ = ["main"]

COMMANDS = ("run", "plan", "validate", "show", "schema", "check", "sweep", "compare", "replay")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="convergence",
        description="Simulate multi-agent convergence protocols in virtual time.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f"convergence.cli.{name}_command").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from convergence.errors import ConvergenceError

    try:
        status: int = args.handler(args)
    except ConvergenceError as exc:
        if args.debug:
            raise
        problems = getattr(exc, "problems", None)
        lines = [str(p) for p in problems] if problems else [str(exc)]
        for line in lines:
            print(f"error: {line}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`convergence schema | head`): stop quietly, and keep the
        # interpreter's final flush from failing on the closed pipe.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    return status


if __name__ == "__main__":
    sys.exit(main())
