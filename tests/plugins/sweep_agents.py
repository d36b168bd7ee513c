"""Test-only behaviours, loaded through the explicit plugin option (never from YAML).

- `exit-on-merge`: the worker process dies (`os._exit(1)`) at the agent's first merge.
- `counted-mean`: weighted mean that appends one line per run to the file named by
  CONVERGENCE_TEST_RUN_LOG (counting runs across processes) and takes a little wall time
  per merge (CONVERGENCE_TEST_MERGE_DELAY seconds) so a sweep can be interrupted midway.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import ClassVar

from agents import register_behaviour
from agents.weighted_mean import WeightedMean
from convergence.agent import BehaviourContext, State


class ExitOnMerge(WeightedMean):
    name: ClassVar[str] = "exit-on-merge"

    def merge(self, own: State, received: Sequence[State]) -> State:
        os._exit(1)


class CountedMean(WeightedMean):
    name: ClassVar[str] = "counted-mean"

    def __init__(self, context: BehaviourContext | None = None) -> None:
        super().__init__(context)
        log = os.environ.get("CONVERGENCE_TEST_RUN_LOG")
        if log:
            fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            os.write(fd, f"{os.getpid()}\n".encode())
            os.close(fd)
        self.delay = float(os.environ.get("CONVERGENCE_TEST_MERGE_DELAY", "0"))

    def merge(self, own: State, received: Sequence[State]) -> State:
        if self.delay:
            time.sleep(self.delay)
        return super().merge(own, received)


register_behaviour(ExitOnMerge)
register_behaviour(CountedMean)
