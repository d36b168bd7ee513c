"""Protocols: each turns a plan into the agents' coroutines. One registry maps names."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Protocol

from convergence.errors import ConvergenceError
from convergence.scenario import Scenario

if TYPE_CHECKING:
    from convergence.engine import Simulation

__all__ = ["PROTOCOLS", "ProtocolRunner", "make_protocol"]


class ProtocolRunner(Protocol):
    """Runs every agent of one simulation to the end of the protocol."""

    name: str

    async def run(self, sim: Simulation) -> None:
        """Start the agents in one task group and return when all are done."""
        ...


PROTOCOLS: dict[str, str] = {
    "symmetric": "convergence.protocols.symmetric:SymmetricProtocol",
    "all-to-all": "convergence.protocols.all_to_all:AllToAllProtocol",
    "degroot": "convergence.protocols.degroot:DegrootProtocol",
    "gossip": "convergence.protocols.gossip:GossipProtocol",
    "recursive-doubling": "convergence.protocols.recursive_doubling:RecursiveDoublingProtocol",
    "tree": "convergence.protocols.tree:TreeProtocol",
    "push-sum": "convergence.protocols.push_sum:PushSumProtocol",
}
"""Protocol name -> "module:class" of its runner (imported only when used)."""


def make_protocol(scenario: Scenario) -> ProtocolRunner:
    """The runner for the protocol a scenario names."""
    name = scenario.protocol.name
    try:
        module_name, _, class_name = PROTOCOLS[name].partition(":")
    except KeyError:
        known = ", ".join(sorted(PROTOCOLS))
        raise ConvergenceError(f"unknown protocol {name!r} (known: {known})") from None
    runner: ProtocolRunner = getattr(importlib.import_module(module_name), class_name)(scenario)
    return runner
