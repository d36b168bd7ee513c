"""`convergence run FILE`: run a scenario, record it, print the summary (or show it live).

Ctrl-C stops the run cleanly: the terminal is restored, the events recorded so far stay in
`events.jsonl`, `summary.json` is written from them marked `interrupted`, and the exit
status is 130.
"""

from __future__ import annotations

import argparse
import signal
import time as wall_clock
from collections.abc import Callable
from pathlib import Path
from typing import Any

from convergence.cli._display import add_display_options
from convergence.cli._options import add_overrides, add_plugin_option, add_seed_option

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("run", help="run a scenario file and record it")
    parser.add_argument("file", type=Path, help="scenario YAML file")
    parser.add_argument("--out", type=Path, help="run directory (default runs/<name>-<seed>/)")
    add_seed_option(parser)
    add_plugin_option(parser)
    add_overrides(parser)
    parser.add_argument(
        "--explain-metrics", action="store_true", help="print how each metric is computed after the summary"
    )
    add_display_options(parser)
    parser.set_defaults(handler=run)


class _StopRecording:
    """Ctrl-C ends the record at once: the events the engine emits while it unwinds its
    tasks after an interrupt are not part of the run, so the gate drops them.

    The event loop's runner turns Ctrl-C into a clean cancellation of the run; this gate
    chains in front of that handler at the first event (once the runner has installed it)
    and only notes the moment. Where SIGINT is ignored it does nothing.
    """

    def __init__(self) -> None:
        self.interrupted = False
        self._original: Any = None
        self._chained: Any = None

    def __enter__(self) -> _StopRecording:
        self._original = signal.getsignal(signal.SIGINT)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._chained is not None:
            signal.signal(signal.SIGINT, self._original)

    def _on_sigint(self, signum: int, frame: Any) -> None:
        self.interrupted = True
        if callable(self._chained):
            self._chained(signum, frame)
        else:
            raise KeyboardInterrupt

    def _arm(self) -> None:
        current = signal.getsignal(signal.SIGINT)
        if current == self._on_sigint or self._original is not signal.default_int_handler:
            return
        self._chained = current
        signal.signal(signal.SIGINT, self._on_sigint)

    def gate(self, subscribers: list[Callable[[dict[str, Any]], None]]) -> Callable[[dict[str, Any]], None]:
        """One subscriber that hands each event to `subscribers` until the interrupt."""

        def deliver(event: dict[str, Any]) -> None:
            if self._chained is None:
                self._arm()
            for subscriber in subscribers:
                if self.interrupted:
                    return
                subscriber(event)

        return deliver


def _recorded(directory: Path) -> list[dict[str, Any]]:
    from convergence.errors import ConvergenceError
    from convergence.replay import load_events

    try:
        return load_events(directory)
    except ConvergenceError:  # interrupted before run_start: nothing to summarize
        return []


def partial_summary(events: list[dict[str, Any]], scenario_name: str, seed: int) -> dict[str, Any]:
    """The summary of the events recorded before an interruption (`interrupted: true`)."""
    from convergence.summary import summarize

    if any(event["event"] == "run_start" for event in events):
        return summarize(events)
    return {"scenario": scenario_name, "seed": seed, "interrupted": True, "phases": []}


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from agents import BEHAVIOURS
    from convergence.cli._display import closing_text, is_live_terminal, open_display
    from convergence.engine import simulate
    from convergence.loader import load_scenario
    from convergence.plugins import load_plugins
    from convergence.recorder import RunRecorder, prepare_run_dir
    from convergence.report import summary_table

    load_plugins(args.plugins)  # before the scenario: it may name a plugin's behaviour
    scenario = load_scenario(args.file, args.overrides, behaviours=BEHAVIOURS)
    seed = scenario.seed if args.seed is None else args.seed
    directory = prepare_run_dir(args.out, Path("runs"), f"{scenario.name}-{seed}")
    console = Console()
    recorder = RunRecorder(directory, scenario)
    events: list[dict[str, Any]] = []
    wall_start = wall_clock.perf_counter()
    stop = _StopRecording()
    try:
        with stop, open_display(console, live=args.live, speed_text=args.speed) as display:
            subscribers = stop.gate([recorder, events.append, *display])
            summary = simulate(scenario, seed=seed, subscribers=[subscribers]).summary
    except KeyboardInterrupt:
        # A second Ctrl-C must not cut the summary short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        recorder.close()
        # From the file, not memory: the interrupt may fall between two subscribers.
        events = _recorded(directory)
        summary = partial_summary(events, scenario.name, seed)
        summary["wall_time_s"] = wall_clock.perf_counter() - wall_start
    finally:
        recorder.close()
    recorder.write_summary(summary)
    if args.live and is_live_terminal(console):
        console.print(closing_text(summary, directory))
    elif summary.get("phases") is not None and "n_agents" in summary:
        console.print(summary_table(summary))
        console.print(f"recorded in [bold]{directory}[/bold]")
    if args.explain_metrics:
        from convergence.quality import EXPLANATIONS

        for name, text in EXPLANATIONS.items():
            console.print(f"[bold]{name}[/bold]: {text}", highlight=False)
    if summary.get("interrupted"):
        console.print(f"interrupted: kept {len(events)} events in {directory}", style="bold red")
        return 130
    return 0
