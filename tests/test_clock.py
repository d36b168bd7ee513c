"""The virtual-time loop: time jumps to the next timer and never sleeps for real."""

from __future__ import annotations

import time

import anyio
import pytest

from convergence.clock import run_virtual
from convergence.errors import StalledError


def test_an_hour_of_virtual_sleep_is_instant_and_exact() -> None:
    async def sleeper() -> float:
        await anyio.sleep(3600)
        async with anyio.create_task_group() as group:
            for delay in (0.25, 0.5, 0.125):
                group.start_soon(anyio.sleep, delay)
        return anyio.current_time()

    wall_start = time.perf_counter()
    assert run_virtual(sleeper) == 3600.5
    assert time.perf_counter() - wall_start < 1.0


def test_timers_fire_in_time_order_whatever_the_scheduling_order() -> None:
    async def main() -> list[float]:
        fired: list[float] = []

        async def at(delay: float) -> None:
            await anyio.sleep(delay)
            fired.append(anyio.current_time())

        async with anyio.create_task_group() as group:
            for delay in (3.0, 1.0, 2.0, 0.5):
                group.start_soon(at, delay)
        return fired

    assert run_virtual(main) == [0.5, 1.0, 2.0, 3.0]


def test_waiting_forever_raises_stalled_instead_of_hanging() -> None:
    async def main() -> None:
        await anyio.sleep(2)
        await anyio.Event().wait()

    with pytest.raises(StalledError, match=r"no progress possible at virtual time 2\.0"):
        run_virtual(main)


def test_timers_far_from_zero_still_fire() -> None:
    # At 1e8 s a float's spacing (~15 ns) exceeds the 1 ns firing margin: long virtual
    # sleeps are the point here, hence the noqa.
    async def main() -> float:
        await anyio.sleep(1e8)  # noqa: ASYNC116
        await anyio.sleep(1000 * 3600)
        await anyio.sleep(0.001)
        return anyio.current_time()

    assert run_virtual(main) == 1e8 + 3.6e6 + 0.001
