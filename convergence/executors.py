"""Where batch jobs run: a local process pool, any given Executor, or a Dask cluster.

`open_executor` turns what the caller passed (None, an Executor, a `distributed.Client`,
`"dask"` or a scheduler address) into an `ExecutorHandle`. A pool made here is owned: its
workers ignore SIGINT (the parent handles Ctrl-C and stops them, so none is orphaned), and
it can be restarted after a worker dies. Executors passed in are never shut down here.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any

from convergence.errors import ConvergenceError

__all__ = ["ExecutorHandle", "ExecutorSpec", "open_executor", "sigint_deferred"]

ExecutorSpec = Executor | str | Any | None
"""None (local process pool), an Executor, a `distributed.Client`, "dask" or an address."""


@contextmanager
def sigint_deferred() -> Iterator[None]:
    """Hold Ctrl-C (SIGINT) until the block ends, so cleanup always completes; a Ctrl-C
    pressed meanwhile is raised right after. (A handler swap, not a signal mask: the mask
    is per thread, and any other thread would still take the signal.)"""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught and previous is signal.default_int_handler:
            raise KeyboardInterrupt


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class ExecutorHandle:
    """An executor plus what `run_jobs` may do with it."""

    def __init__(self, executor: Executor, *, window: int, workers: int = 0, owned: bool = False) -> None:
        self.executor = executor
        self.window = window
        self.workers = workers
        self.owned = owned
        self._processes: dict[int, Any] = {}

    @property
    def can_restart(self) -> bool:
        return self.owned and isinstance(self.executor, ProcessPoolExecutor)

    def restart(self) -> None:
        """Replace a broken owned pool by a fresh one."""
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.executor = _process_pool(self.workers)

    def processes(self) -> list[Any]:
        """The owned pool's worker processes right now."""
        return list((getattr(self.executor, "_processes", None) or {}).values())

    def popens(self) -> list[Any]:
        """Handles on the workers' exit status; they keep it after the pool closes them."""
        return [p._popen for p in self.processes() if getattr(p, "_popen", None) is not None]

    @staticmethod
    def death_reason(popens: list[Any]) -> str:
        """How the worker among `processes` died: 'exit code 1', 'signal 9 (SIGKILL)'.

        A broken pool SIGTERMs its surviving workers itself, so SIGTERM is reported only
        when it is the sole cause seen."""
        codes: set[int] = set()
        deadline = time.monotonic() + 2.0
        for popen in popens:
            code = popen.wait(timeout=1)
            # The pool's own thread may reap the process first (our waitpid then fails and
            # gives None); it stores the code on the same Popen a moment later.
            while code is None and time.monotonic() < deadline:
                time.sleep(0.01)
                code = popen.returncode
            if code not in (None, 0):
                codes.add(code)
        if len(codes) > 1:
            codes.discard(-signal.SIGTERM)
        parts = [
            f"exit code {code}" if code > 0 else f"signal {-code} ({signal.Signals(-code).name})"
            for code in sorted(codes, reverse=True)
        ]
        return " (" + ", ".join(parts) + ")" if parts else ""

    def abort(self) -> None:
        """Cancel what is queued; stop an owned pool's workers at once."""
        processes = self.processes()
        if not self.owned:
            return
        self.executor.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(timeout=5)

    def close(self) -> None:
        if self.owned:
            self.executor.shutdown(wait=True, cancel_futures=True)


def _process_pool(workers: int) -> ProcessPoolExecutor:
    # fork is fast and re-imports nothing, but forking a process that runs threads
    # (Jupyter, Dask, a GUI) can deadlock: there, spawn.
    method = "fork" if threading.active_count() == 1 and os.name == "posix" else "spawn"
    context = multiprocessing.get_context(method)
    return ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_ignore_sigint)


@contextmanager
def open_executor(spec: ExecutorSpec, workers: int | None) -> Iterator[ExecutorHandle]:
    """Yield a handle for `spec`; close what was opened here on the way out."""
    count = workers if workers is not None else (os.cpu_count() or 1)
    if count < 1:
        raise ConvergenceError(f"workers must be >= 1, got {count}")
    if spec is None:
        handle = ExecutorHandle(_process_pool(count), window=2 * count, workers=count, owned=True)
        try:
            yield handle
        finally:
            handle.close()
        return
    if isinstance(spec, Executor):
        yield ExecutorHandle(spec, window=max(4 * count, 64))
        return
    with _dask_client(spec, count) as client:
        threads = sum(client.nthreads().values()) or count
        yield ExecutorHandle(client.get_executor(pure=False), window=4 * threads)


@contextmanager
def _dask_client(spec: Any, workers: int) -> Iterator[Any]:
    try:
        import distributed
    except ImportError:
        raise ConvergenceError(
            "Dask executors need dask.distributed: pip install 'convergence[dask]'"
        ) from None
    if isinstance(spec, distributed.Client):
        yield spec
        return
    if not isinstance(spec, str):
        raise ConvergenceError(
            f"executor must be None, a concurrent.futures.Executor, a distributed.Client, "
            f"'dask' or a scheduler address, got {spec!r}"
        )
    if spec == "dask":
        try:
            yield distributed.get_client()
            return
        except ValueError:
            pass  # no client yet: start a local cluster of process workers
        with (
            distributed.LocalCluster(  # type: ignore[no-untyped-call]
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
            ) as cluster,
            distributed.Client(cluster) as client,  # type: ignore[no-untyped-call]
        ):
            yield client
        return
    try:
        client = distributed.Client(spec, timeout="10s")  # type: ignore[no-untyped-call]
    except OSError as exc:
        raise ConvergenceError(f"cannot reach the Dask scheduler at {spec}: {exc}") from None
    with client:
        yield client
