"""The exception tree of convergence.

ConvergenceError
 +-- ScenarioError     a scenario file or override is invalid (carries every problem)
 +-- PlanError         a protocol plan cannot be built for the given arguments
 +-- StalledError      virtual time cannot advance: every task waits forever
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

__all__ = ["ConvergenceError", "PlanError", "Problem", "ScenarioError", "StalledError", "checked_seed"]


class ConvergenceError(Exception):
    """Root of every error this package raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario, located as precisely as we know."""

    message: str
    field: str = ""
    file: str = ""
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        place = self.file or "<scenario>"
        if self.line is not None:
            place += f":{self.line}"
            if self.column is not None:
                place += f":{self.column}"
        field = f" {self.field}:" if self.field else ""
        return f"{place}:{field} {self.message}"


class ScenarioError(ConvergenceError):
    """A scenario is invalid; `problems` lists every problem found, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class PlanError(ConvergenceError):
    """A protocol plan cannot be built."""


class StalledError(ConvergenceError):
    """Virtual time cannot move: every task waits for something that will never happen."""

    def __init__(self, time: float, waiting: str = "") -> None:
        self.time = time
        self.waiting = waiting
        detail = f": {waiting}" if waiting else ""
        super().__init__(f"no progress possible at virtual time {time:.6f}s{detail}")


def checked_seed(seed: object) -> int:
    """`seed` if it is a valid random seed (a whole number >= 0, as a scenario's `seed`).

    Raises:
        ConvergenceError: anything else (a negative number, a string, a float, a bool).
    """
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ConvergenceError(f"seed must be a whole number >= 0, got {seed!r}")
    return int(seed)
