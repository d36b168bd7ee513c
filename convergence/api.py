"""The notebook-facing calls for one run: `run` (awaitable) and `run_sync`.

The simulation owns a virtual-time event loop, which cannot nest inside a running loop
(Jupyter's, or any async caller's). So `run` runs it in a worker thread, and `run_sync`
does the same when the calling thread already runs a loop; no `nest_asyncio`.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import anyio.to_thread

from convergence.engine import Event, simulate
from convergence.loader import load_scenario
from convergence.plugins import load_plugins
from convergence.results import Result
from convergence.scenario import Scenario

__all__ = ["run", "run_sync"]

ScenarioSource = Scenario | str | Path | Mapping[str, Any]


def _run(
    scenario: ScenarioSource,
    seed: int | None,
    on_event: Callable[[Event], None] | None,
    plugins: Sequence[str],
) -> Result:
    load_plugins(plugins)
    resolved = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    subscribers = [on_event] if on_event is not None else []
    return Result(simulate(resolved, seed=seed, subscribers=subscribers))


async def run(
    scenario: ScenarioSource,
    *,
    seed: int | None = None,
    on_event: Callable[[Event], None] | None = None,
    plugins: Sequence[str] = (),
) -> Result:
    """Run one scenario without blocking the caller's event loop.

    `on_event` receives every event in order, called from the simulation's thread.
    `plugins` names modules or `.py` files that register extra behaviours.
    """
    call = functools.partial(_run, scenario, seed, on_event, plugins)
    return await anyio.to_thread.run_sync(call)


def run_sync(
    scenario: ScenarioSource,
    *,
    seed: int | None = None,
    on_event: Callable[[Event], None] | None = None,
    plugins: Sequence[str] = (),
) -> Result:
    """Run one scenario and return its `Result`; works inside a running event loop too.

    Same scenario and seed give the same numbers as `convergence run`.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _run(scenario, seed, on_event, plugins)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="convergence-run") as thread:
        return thread.submit(_run, scenario, seed, on_event, plugins).result()
