"""What `run` and `replay` show while events flow: the live dashboard, plain lines, or nothing.

The choice depends on `--live` and on whether standard output is a terminal; `--live` on
anything else (a pipe, a file, CI) says so once on stderr and prints plain progress lines.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

from convergence.errors import ConvergenceError

__all__ = ["add_display_options", "closing_text", "open_display"]

Subscriber = Callable[[dict[str, Any]], None]


def add_display_options(parser: Any) -> None:
    """`--live` and `--speed` on a subcommand's parser."""
    parser.add_argument("--live", action="store_true", help="show the live dashboard (needs a terminal)")
    parser.add_argument(
        "--speed",
        metavar="X",
        help="virtual seconds per wall second, or 'max' for no pacing "
        "(default with --live: 0.05, so the canonical run lasts ~3.5 s; else no pacing)",
    )


def is_live_terminal(console: Console) -> bool:
    """True when `console` can hold a live region (a real terminal, not a dumb one)."""
    return console.is_terminal and not console.is_dumb_terminal


@contextmanager
def open_display(console: Console, *, live: bool, speed_text: str | None) -> Iterator[list[Subscriber]]:
    """Subscribers that show (and pace) a run; the live region is closed on the way out."""
    from convergence.dashboard.live import DEFAULT_SPEED, LiveDashboard, Pacer, PlainProgress, parse_speed

    try:
        speed = parse_speed(speed_text) if speed_text is not None else None
    except ValueError as exc:
        raise ConvergenceError(str(exc)) from None
    if live and is_live_terminal(console):
        with LiveDashboard(console, speed=DEFAULT_SPEED if speed_text is None else speed) as dashboard:
            yield [dashboard]
        return
    subscribers: list[Subscriber] = []
    if live:
        reason = (
            "this terminal cannot move the cursor (TERM=dumb)"
            if console.is_terminal
            else ("standard output is not a terminal")
        )
        print(f"--live needs a full terminal; {reason}, so plain progress follows", file=sys.stderr)
        subscribers.append(PlainProgress(sys.stdout))
    if speed is not None:
        subscribers.append(Pacer(speed))
    yield subscribers


def closing_text(summary: dict[str, Any], directory: Path | None) -> Text:
    """The short totals printed under a finished live dashboard (wraps by words, never cut)."""
    consensus = summary.get("consensus")
    ttc = summary.get("time_to_consensus_s")
    text = Text()
    if summary.get("interrupted"):
        text.append("INTERRUPTED ", "bold red")
    text.append(f"consensus {consensus:.4f}" if isinstance(consensus, float) else "consensus -", "bold")
    target = summary.get("target")
    text.append(f" (target {target} " + (f"reached at {ttc:.6f}s)" if ttc is not None else "not reached)"))
    sent, dropped = (summary.get(key) for key in ("messages_sent", "messages_dropped"))
    if sent is not None:
        text.append(f" · {sent} messages, {dropped} dropped")
    if isinstance(summary.get("t_end_s"), float):
        text.append(f" · virtual {summary['t_end_s']:.6f}s")
    if "wall_time_s" in summary:
        text.append(f" · wall {summary['wall_time_s']:.2f}s")
    if directory is not None:
        text.append(f" · recorded in {directory}")
    return text
