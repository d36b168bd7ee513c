"""Agent behaviours (merge rules), and the one registry that maps scenario names to them."""

from __future__ import annotations

from agents.bounded_confidence import BoundedConfidence
from agents.inverse_variance import InverseVariance
from agents.median import Median
from agents.trimmed_mean import TrimmedMean
from agents.weighted_mean import WeightedMean
from agents.weighted_vote import WeightedVote
from convergence.agent import Behaviour, BehaviourContext
from convergence.errors import ConvergenceError

__all__ = [
    "BEHAVIOURS",
    "BoundedConfidence",
    "InverseVariance",
    "Median",
    "TrimmedMean",
    "WeightedMean",
    "WeightedVote",
    "make_behaviour",
    "register_behaviour",
]

BEHAVIOURS: dict[str, type[Behaviour]] = {
    cls.name: cls
    for cls in (WeightedMean, InverseVariance, WeightedVote, BoundedConfidence, Median, TrimmedMean)
}


def register_behaviour(cls: type[Behaviour]) -> type[Behaviour]:
    """Add a behaviour class under its `name` (for plugins); usable as a decorator."""
    existing = BEHAVIOURS.get(cls.name)
    if existing is not None and existing is not cls:
        raise ConvergenceError(f"agent behaviour {cls.name!r} is already registered by {existing!r}")
    BEHAVIOURS[cls.name] = cls
    return cls


def make_behaviour(name: str, context: BehaviourContext | None = None) -> Behaviour:
    """Instantiate the behaviour a scenario names, for a run described by `context`."""
    try:
        cls = BEHAVIOURS[name]
    except KeyError:
        known = ", ".join(sorted(BEHAVIOURS))
        raise ConvergenceError(f"unknown agent behaviour {name!r} (known: {known})") from None
    return cls(context or BehaviourContext())
