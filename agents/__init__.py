"""Agent behaviours (merge rules), and the one registry that maps scenario names to them."""

from __future__ import annotations

from agents.weighted_mean import WeightedMean
from convergence.agent import Behaviour
from convergence.errors import ConvergenceError

__all__ = ["BEHAVIOURS", "WeightedMean", "make_behaviour"]

BEHAVIOURS: dict[str, type[Behaviour]] = {
    WeightedMean.name: WeightedMean,
}


def make_behaviour(name: str) -> Behaviour:
    """Instantiate the behaviour a scenario names."""
    try:
        cls = BEHAVIOURS[name]
    except KeyError:
        known = ", ".join(sorted(BEHAVIOURS))
        raise ConvergenceError(f"unknown agent behaviour {name!r} (known: {known})") from None
    return cls()
