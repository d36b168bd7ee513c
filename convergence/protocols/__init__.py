"""Protocols: each turns a plan into the agents' coroutines. One registry maps names."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from convergence.errors import ConvergenceError
from convergence.scenario import Scenario

if TYPE_CHECKING:
    from convergence.engine import Simulation

__all__ = ["ProtocolRunner", "make_protocol"]


class ProtocolRunner(Protocol):
    """Runs every agent of one simulation to the end of the protocol."""

    name: str

    async def run(self, sim: Simulation) -> None:
        """Start the agents in one task group and return when all are done."""
        ...


def make_protocol(scenario: Scenario) -> ProtocolRunner:
    """The runner for the protocol a scenario names."""
    name = scenario.protocol.name
    if name == "symmetric":
        from convergence.protocols.symmetric import SymmetricProtocol

        return SymmetricProtocol(scenario)
    raise ConvergenceError(f"unknown protocol {name!r}")
