"""Theory oracles: closed-form results (shared/ORACLES.md) that a correct simulator reproduces.

Each oracle is a function registered with `@oracle(name, source)` that runs real
simulations and returns an `OracleResult` (expected, measured, passed). `convergence check`
runs them all; the tests run the same functions. To add one: write the function in a module
of this package, decorate it, and list the module in `MODULES`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from convergence.errors import ConvergenceError

__all__ = ["MODULES", "ORACLES", "Oracle", "OracleResult", "oracle", "run_oracles"]

MODULES = ("convergence.oracles.counts", "convergence.oracles.averaging", "convergence.oracles.tasks")
"""Modules whose oracles `convergence check` runs, in this order."""


@dataclass(frozen=True)
class OracleResult:
    """What theory says, what the simulator measured, and whether they agree."""

    expected: str
    measured: str
    passed: bool


@dataclass(frozen=True)
class Oracle:
    """A named check against a published result."""

    name: str
    source: str
    check: Callable[[], OracleResult]


ORACLES: dict[str, Oracle] = {}


def oracle(name: str, source: str) -> Callable[[Callable[[], OracleResult]], Callable[[], OracleResult]]:
    """Register the decorated function as the oracle `name` (citing `source`)."""

    def register(check: Callable[[], OracleResult]) -> Callable[[], OracleResult]:
        if name in ORACLES:
            raise ValueError(f"oracle {name!r} is registered twice")
        ORACLES[name] = Oracle(name, source, check)
        return check

    return register


def load_oracles() -> dict[str, Oracle]:
    """Import every module in `MODULES` and return the registry."""
    for module in MODULES:
        importlib.import_module(module)
    return ORACLES


def run_oracles(names: Iterable[str] | None = None) -> list[tuple[Oracle, OracleResult]]:
    """Run the named oracles (all by default) and return each with its result."""
    registry = load_oracles()
    chosen = list(registry) if names is None else list(names)
    unknown = [name for name in chosen if name not in registry]
    if unknown:
        known = ", ".join(registry)
        raise ConvergenceError(f"unknown oracle {', '.join(unknown)} (known: {known})")
    return [(registry[name], registry[name].check()) for name in chosen]
