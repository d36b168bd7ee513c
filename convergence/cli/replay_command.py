"""`convergence replay RUN_DIR`: rebuild a recorded run's summary (and dashboard) from its events."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from convergence.cli._display import add_display_options

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("replay", help="replay a recorded run from its events.jsonl")
    parser.add_argument(
        "run_dir", type=Path, metavar="RUN_DIR", help="a run directory (holding events.jsonl)"
    )
    parser.add_argument("--json", action="store_true", help="print the rebuilt summary as JSON")
    add_display_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import json

    from rich.console import Console

    from convergence.cli._display import closing_text, is_live_terminal, open_display
    from convergence.recorder import json_safe
    from convergence.replay import load_events, replay_summary
    from convergence.report import summary_table

    events = load_events(args.run_dir)
    console = Console()
    with open_display(console, live=args.live, speed_text=args.speed) as display:
        for event in events:
            for subscriber in display:
                subscriber(event)
    summary = replay_summary(events)
    if args.json:
        print(json.dumps(json_safe(summary), indent=2))
    elif args.live and is_live_terminal(console):
        console.print(closing_text(summary, None))
    else:
        console.print(summary_table(summary))
    return 0
