"""The scenario's fault vocabulary: agent faults, partitions, link overrides, validation.

These models are part of the scenario format (see `convergence.scenario`); the runtime that
applies them lives in `convergence.faults` and `convergence.network`.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BeforeValidator, ConfigDict, Field, PlainSerializer, model_validator

from convergence.scenario_types import Count, Duration, ScenarioModel
from convergence.units import format_duration, parse_duration

__all__ = [
    "ByzantineFault",
    "CrashFault",
    "Fault",
    "Link",
    "Partition",
    "StragglerFault",
    "Validation",
    "When",
]

_PHASE_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")


def _parse_when(value: object) -> float | str:
    """A virtual time (number of seconds or a duration with a unit) or a phase name."""
    if isinstance(value, str) and _PHASE_NAME.match(value.strip()):
        return value.strip()
    try:
        return parse_duration(value)
    except ValueError:
        raise ValueError(
            f"expected a time such as 12ms or a phase name such as quads, got {value!r}"
        ) from None


def _format_when(value: float | str) -> str:
    return value if isinstance(value, str) else format_duration(value)


When = Annotated[
    float | str,
    BeforeValidator(_parse_when),
    PlainSerializer(_format_when, return_type=str, when_used="json"),
]
"""When something starts: a virtual time, or the start of the first level of a named phase."""

AgentId = Annotated[int, Field(ge=0)]


class _AgentFault(ScenarioModel):
    """Which agents (`count` drawn from the seed, or explicit `agents`) and from when (`at`)."""

    count: Count | None = None
    agents: list[AgentId] | None = None
    at: When = 0.0

    @model_validator(mode="after")
    def _one_selector(self) -> _AgentFault:
        if (self.count is None) == (self.agents is None):
            raise ValueError("agents: give either count (drawn from the seed) or agents (explicit ids)")
        if self.agents is not None and len(set(self.agents)) != len(self.agents):
            raise ValueError(f"agents: lists an id twice: {self.agents}")
        return self

    @property
    def size(self) -> int:
        return self.count if self.count is not None else len(self.agents or [])


class CrashFault(_AgentFault):
    """The agent stops sending and receiving at `at`; messages to it are dropped."""

    kind: Literal["crash"]


class StragglerFault(_AgentFault):
    """Everything the agent sends from `at` on takes `delay` longer."""

    kind: Literal["straggler"]
    delay: Duration = 0.05


class ByzantineFault(_AgentFault):
    """The agent lies in every state it sends from `at` on.

    `constant`: always `value`; `random`: fresh N(0, scale^2) noise per message; `flip`: its
    honest value mirrored about the truth; `equivocate`: honest value +- `scale` in every
    coordinate, the sign alternating from one message to the next, so receivers disagree.
    """

    # A liar may send infinities (they are rejected at run time, and counted).
    model_config = ConfigDict(allow_inf_nan=True)

    kind: Literal["byzantine"]
    strategy: Literal["constant", "random", "flip", "equivocate"]
    value: float | list[float] = 100.0
    scale: Annotated[float, Field(ge=0.0)] = 10.0


Fault = Annotated[CrashFault | StragglerFault | ByzantineFault, Field(discriminator="kind")]


class Partition(ScenarioModel):
    """From `at` until `until` (never, if absent) messages between different groups are dropped.

    Agents listed in no group form one more group together.
    """

    at: When = 0.0
    until: When | None = None
    groups: Annotated[list[list[AgentId]], Field(min_length=1)]

    @model_validator(mode="after")
    def _disjoint(self) -> Partition:
        seen: set[int] = set()
        for group in self.groups:
            twice = seen.intersection(group)
            if twice:
                raise ValueError(f"agent {min(twice)} is in two partition groups")
            seen.update(group)
        return self


class Link(ScenarioModel):
    """A latency override for the link between two agents, both directions."""

    between: Annotated[list[AgentId], Field(min_length=2, max_length=2)]
    latency: Duration


class Validation(ScenarioModel):
    """Recursive validation by the observers (symmetric protocol).

    `checks` lists the checks the observers run at every level (none: no audit traffic);
    `quarantine` excludes suspects from later merges; `lateral_threshold` is how many times
    the level's median distance a group's result may lie from the median before it is an
    outlier; `tolerance` is the relative slack of the hull checks.
    """

    checks: list[Literal["forward", "backward", "lateral", "recursive"]] = Field(default_factory=list)
    quarantine: bool = False
    lateral_threshold: Annotated[float, Field(gt=1.0)] = 6.0
    tolerance: Annotated[float, Field(ge=0.0, le=1e-3)] = 1e-9
