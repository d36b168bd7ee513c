"""Many runs: execute (scenario, seed) jobs on an executor and hand back each outcome.

`run_jobs` is the one engine under `sweep` and `compare`. Jobs go to a local process pool
(the default), any `concurrent.futures.Executor`, or a Dask cluster (see
`convergence.executors`). Only the job (scenario, seed, plugin names, metric callables) is
pickled, and only a small outcome (summary scalars and metrics) comes back. A job whose
code raises is a failed outcome carrying the reason; a job whose worker process dies is
found by re-running the suspects one at a time and is failed too; the batch goes on.
"""

from __future__ import annotations

import pickle
import time as wall_clock
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

from convergence.errors import ConvergenceError
from convergence.executors import ExecutorHandle, sigint_deferred
from convergence.scenario import Scenario

__all__ = ["Job", "Metric", "Outcome", "execute", "portable_metrics", "run_jobs"]

Metric = Callable[[Any], Any]
"""A user metric: called in the worker with the run's `convergence.Result`."""


@dataclass(frozen=True)
class Job:
    """One run to do. `key` identifies it in the outcome; it must be unique in a batch."""

    key: Any
    scenario: Scenario
    seed: int
    plugins: tuple[str, ...] = ()
    metrics: tuple[tuple[str, Metric], ...] = ()


@dataclass(frozen=True)
class Outcome:
    """What one job produced: the summary's scalars and the metrics, or why it failed."""

    key: Any
    seed: int
    status: str  # "ok" or "failed"
    summary: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None
    wall_time_s: float = 0.0


def _scalars(summary: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in summary.items() if not isinstance(v, dict | list) and k != "wall_time_s"}


def execute(job: Job) -> Outcome:
    """Run one job (in the worker). Exceptions become a failed outcome with the reason."""
    from convergence.engine import simulate
    from convergence.plugins import load_plugins
    from convergence.results import Result

    wall_start = wall_clock.perf_counter()
    try:
        load_plugins(job.plugins)
        run = simulate(job.scenario, seed=job.seed)
        result = Result(run)
        metrics = {name: metric(result) for name, metric in job.metrics}
    except Exception as exc:
        return Outcome(
            job.key,
            job.seed,
            "failed",
            reason=f"{type(exc).__name__}: {exc}",
            wall_time_s=wall_clock.perf_counter() - wall_start,
        )
    return Outcome(
        job.key,
        job.seed,
        "ok",
        summary=_scalars(run.summary),
        metrics=metrics,
        wall_time_s=wall_clock.perf_counter() - wall_start,
    )


class _ByValue:
    """A metric that travels by value (cloudpickle), so one defined in a notebook or as a
    lambda reaches process workers, which cannot import it by name."""

    def __init__(self, metric: Metric) -> None:
        self.metric = metric

    def __call__(self, result: Any) -> Any:
        return self.metric(result)

    def __reduce__(self) -> tuple[Callable[[bytes], _ByValue], tuple[bytes]]:
        import cloudpickle

        return _from_bytes, (cloudpickle.dumps(self.metric),)


def _from_bytes(blob: bytes) -> _ByValue:
    return _ByValue(pickle.loads(blob))


def portable_metrics(metrics: Mapping[str, Metric], executor: Any) -> dict[str, Metric]:
    """Metrics ready to travel to `executor`'s workers, checked before any work starts.

    Threads need nothing. Elsewhere a metric goes by value when cloudpickle is installed
    (the `notebook` and `dask` extras bring it), else by reference (stdlib pickle).

    Raises:
        ConvergenceError: naming a metric that cannot be pickled.
    """
    if isinstance(executor, ThreadPoolExecutor):
        return dict(metrics)
    try:
        import cloudpickle  # noqa: F401
    except ImportError:
        wrap: Callable[[Metric], Metric] = lambda metric: metric  # noqa: E731
    else:
        wrap = _ByValue
    portable = {name: wrap(metric) for name, metric in metrics.items()}
    for name, metric in metrics.items():
        try:
            pickle.dumps(portable[name])
        except Exception as exc:
            what = getattr(metric, "__qualname__", type(metric).__qualname__)
            module = getattr(metric, "__module__", "?")
            raise ConvergenceError(
                f"metric {name!r} ({module}.{what}) cannot be pickled for worker processes "
                f"({type(exc).__name__}: {exc}); make it self-contained, or pass "
                "executor=concurrent.futures.ThreadPoolExecutor()"
            ) from None
    return portable


def run_jobs(
    jobs: Iterable[Job],
    handle: ExecutorHandle,
    on_outcome: Callable[[Outcome], None],
) -> None:
    """Run every job on `handle`'s executor, calling `on_outcome` as each one finishes.

    Outcomes arrive in completion order; callers that need a stable order sort by key.
    On KeyboardInterrupt the pending jobs are cancelled, owned workers are stopped and
    the interrupt propagates.
    """
    queue = list(jobs)
    queue.reverse()
    running: dict[Future[Outcome], Job] = {}
    try:
        while queue or running:
            while queue and len(running) < handle.window:
                job = queue.pop()
                running[handle.executor.submit(execute, job)] = job
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            broken: list[Job] = []
            for future in _in_submit_order(done, running):
                job = running.pop(future)
                try:
                    on_outcome(future.result())
                except BrokenProcessPool:
                    broken.append(job)
                except Exception as exc:
                    # Infrastructure failures (a worker lost by Dask, an unpicklable result).
                    on_outcome(_failed(job, f"{type(exc).__name__}: {exc}"))
            if broken:
                suspects = broken + list(running.values())
                running.clear()
                _isolate(suspects, handle, on_outcome)
    except BaseException:
        with sigint_deferred():
            for future in running:
                future.cancel()
            handle.abort()
        raise


def _in_submit_order(
    done: Iterable[Future[Outcome]], running: Mapping[Future[Outcome], Job]
) -> list[Future[Outcome]]:
    order = {future: index for index, future in enumerate(running)}
    return sorted(done, key=order.__getitem__)


def _failed(job: Job, reason: str) -> Outcome:
    return Outcome(job.key, job.seed, "failed", reason=reason)


def _isolate(suspects: Sequence[Job], handle: ExecutorHandle, on_outcome: Callable[[Outcome], None]) -> None:
    """A worker died: re-run each suspect alone so only the job that kills it fails."""
    if not handle.can_restart:
        for job in suspects:
            on_outcome(_failed(job, "a worker process died while this point was pending or running"))
        raise ConvergenceError(
            "a worker of the given executor died and it cannot be restarted; "
            "finished points are saved, resume with a fresh executor"
        )
    handle.restart()
    for job in suspects:
        future = handle.executor.submit(execute, job)
        popens = handle.popens()
        try:
            on_outcome(future.result())
        except BrokenProcessPool:
            detail = handle.death_reason(popens)
            on_outcome(_failed(job, f"worker process died{detail} while running this point"))
            handle.restart()
