"""Helpers the oracles share: small scenarios, preset initial states, per-exchange hooks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from convergence.agent import FloatArray
from convergence.engine import RunResult, simulate
from convergence.loader import load_scenario
from convergence.metrics import dispersion
from convergence.protocols import ProtocolRunner, make_protocol
from convergence.scenario import Scenario

if TYPE_CHECKING:
    from convergence.engine import Simulation

__all__ = ["PresetValues", "make_scenario", "run_preset", "sum_of_squares"]


def make_scenario(name: str, count: int | str = 22, **sections: Mapping[str, Any]) -> Scenario:
    """A fault-free scenario (constant 5 ms latency) running protocol `name`; sections merge in."""
    data: dict[str, Any] = {
        "name": f"oracle-{name}",
        "agents": {"count": count},
        "protocol": {"name": name},
    }
    for key, value in sections.items():
        data[key] = {**data.get(key, {}), **value}
    return load_scenario(data)


class PresetValues:
    """Runs `inner` after replacing the drawn initial states by `values` (hand-made inputs)."""

    def __init__(self, inner: ProtocolRunner, values: FloatArray) -> None:
        self.inner = inner
        self.name = inner.name
        self.values = np.asarray(values, dtype=np.float64).reshape(len(values), -1)

    async def run(self, sim: Simulation) -> None:
        sim.values = self.values.copy()
        sim.initial_values = self.values.copy()
        sim.d0 = dispersion(sim.values)
        await self.inner.run(sim)


def run_preset(scenario: Scenario, values: FloatArray, seed: int | None = None) -> RunResult:
    """Run `scenario` from the given initial states (one row, or one value, per agent)."""
    return simulate(scenario, seed=seed, protocol=PresetValues(make_protocol(scenario), values))


def sum_of_squares(values: FloatArray) -> float:
    """V = sum_i ||x_i - mean||^2."""
    centred = values - values.mean(axis=0)
    return float(np.einsum("ij,ij->", centred, centred))
