"""Field types and the base model shared by every scenario model.

Use these rather than bare float/int so messages and the JSON Schema stay uniform. Booleans
need nothing special: the loader refuses `no`/`on` for them.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

from convergence.units import format_duration, parse_duration, parse_positive_duration

__all__ = ["Count", "Duration", "PositiveDuration", "Probability", "ScenarioModel"]

Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
    Field(json_schema_extra={"type": ["number", "string"], "examples": ["5ms", "2.5s", "1m", 0.1]}),
]
"""Seconds; `5ms`, `2.5s`, `1m` or a bare number of seconds, finite and >= 0."""
PositiveDuration = Annotated[
    float,
    BeforeValidator(parse_positive_duration),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
    Field(json_schema_extra={"type": ["number", "string"], "examples": ["50ms", "1s"]}),
]
"""A `Duration` that must be > 0 (timeouts, periods)."""
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
"""A probability or fraction in [0, 1]."""
Count = Annotated[int, Field(ge=1)]
"""A positive whole number (agents, rounds, repetitions)."""


class ScenarioModel(BaseModel):
    """Base of every scenario model: unknown keys, NaN and infinities are errors; values are frozen.

    A model validator that blames one field opens its message with that field's dotted path,
    relative to the model (`truth has 3 values but dimensions is 2`); the loader then reports
    the error at that field's line.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
