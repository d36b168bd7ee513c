"""The bare baseline: N coroutines doing the symmetric plan's exchanges, no engine.

Each agent sends its value to its mirror partners at each level through anyio memory object
streams, with the same virtual latencies (block-drawn lognormal), awaits the expected number
of values and averages. No network model, no events, no metrics, no timeouts: the floor the
engine's per-message cost is measured against.
"""

from __future__ import annotations

import asyncio
import math

import anyio
import numpy as np

from convergence.clock import run_virtual
from convergence.plan import build_symmetric_plan

__all__ = ["run_bare"]


async def _bare(n: int, seed: int) -> int:
    plan = build_symmetric_plan(n)
    loop = asyncio.get_running_loop()
    rng = np.random.default_rng(seed)
    latencies: list[float] = []
    streams = [anyio.create_memory_object_stream[tuple[int, float]](math.inf) for _ in range(n)]
    senders = [s for s, _ in streams]
    receivers = [r for _, r in streams]
    routes = []
    for level in plan.levels:
        src, dst = level.edges()
        order = np.argsort(src, kind="stable")
        pointers = np.concatenate(([0], np.cumsum(np.bincount(src, minlength=n)))).tolist()
        routes.append((dst[order].tolist(), pointers, np.bincount(dst, minlength=n).tolist()))
    values = rng.standard_normal(n).tolist()
    sent = 0

    def latency() -> float:
        if not latencies:
            latencies.extend(rng.lognormal(math.log(0.005), 0.5, 4096).tolist())
        return latencies.pop()

    async def agent(i: int) -> None:
        nonlocal sent
        stash: dict[int, list[float]] = {}
        for index, (targets, pointers, expected) in enumerate(routes):
            first, last = pointers[i], pointers[i + 1]
            if first == last:
                continue
            for target in targets[first:last]:
                loop.call_at(loop.time() + latency(), senders[target].send_nowait, (index, values[i]))
                sent += 1
            got = stash.pop(index, [])
            while len(got) < expected[i]:
                level, value = await receivers[i].receive()
                if level == index:
                    got.append(value)
                else:
                    stash.setdefault(level, []).append(value)
            values[i] = (values[i] + sum(got) / len(got)) / 2

    async with anyio.create_task_group() as group:
        for i in range(n):
            group.start_soon(agent, i)
    return sent


def run_bare(n: int, seed: int = 0) -> int:
    """Run the bare exchange for `n` agents; return the number of messages sent."""
    return run_virtual(_bare, n, seed)
