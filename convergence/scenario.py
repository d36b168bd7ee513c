"""The scenario format: pydantic models for what a scenario file may say.

Every model forbids unknown keys. Durations accept units (see `convergence.units`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, model_validator

from convergence.units import format_duration, parse_duration, parse_positive_duration

__all__ = [
    "Agents",
    "ChoiceTask",
    "ConstantLatency",
    "Count",
    "Duration",
    "EstimateTask",
    "ExponentialLatency",
    "Latency",
    "LognormalLatency",
    "Network",
    "Noise",
    "OpinionTask",
    "PositiveDuration",
    "Probability",
    "ProtocolConfig",
    "Record",
    "Scenario",
    "Task",
    "UniformLatency",
]

# Field types shared by every model: use these rather than bare float/int so messages and the
# JSON Schema stay uniform. Booleans need nothing special: the loader refuses `no`/`on` for them.
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


class _Model(BaseModel):
    """Base of every scenario model: unknown keys, NaN and infinities are errors; values are frozen.

    A model validator that blames one field opens its message with that field's dotted path,
    relative to the model (`truth has 3 values but dimensions is 2`); the loader then reports
    the error at that field's line.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Agents(_Model):
    """How many agents, which behaviour (merge rule) they run, and its parameters."""

    count: Annotated[Count, Field(le=10_000_000)] = 22
    behaviour: str = "weighted-mean"
    epsilon: Annotated[float, Field(ge=0.0)] | None = None
    """Confidence bound of `bounded-confidence` agents (required by them, unused by others)."""

    @model_validator(mode="after")
    def _epsilon_only_for_bounded_confidence(self) -> Agents:
        if self.behaviour == "bounded-confidence" and self.epsilon is None:
            raise ValueError("bounded-confidence agents need agents.epsilon (e.g. epsilon: 0.2)")
        if self.behaviour != "bounded-confidence" and self.epsilon is not None:
            raise ValueError(f"agents.epsilon only applies to bounded-confidence, not {self.behaviour!r}")
        return self


class Noise(_Model):
    """Gaussian noise on each agent's signal: one sigma for all, or one per agent."""

    sigma: Annotated[float, Field(ge=0.0)] | list[Annotated[float, Field(ge=0.0)]] = 1.0


InitialFile = Annotated[str, Field(min_length=1)]
"""A CSV file of initial states, one row per agent; relative paths are from the scenario file."""


class EstimateTask(_Model):
    """Estimate a hidden truth in R^d from noisy private signals (or signals from a CSV file)."""

    kind: Literal["estimate"] = "estimate"
    dimensions: Annotated[int, Field(ge=1, le=1024)] = 1
    truth: list[float] | None = None
    noise: Noise = Noise()
    initial: InitialFile | None = None

    @model_validator(mode="after")
    def _truth_matches_dimensions(self) -> EstimateTask:
        if self.truth is not None and len(self.truth) != self.dimensions:
            raise ValueError(f"truth has {len(self.truth)} values but dimensions is {self.dimensions}")
        return self


class ChoiceTask(_Model):
    """Pick the correct one of K options; agent i's signal is right with probability p_i.

    A wrong signal names one of the K - 1 wrong options uniformly. States are vote vectors
    over the options (one-hot at the start). `correct` is drawn uniformly unless given.
    """

    kind: Literal["choice"]
    options: Annotated[int, Field(ge=2, le=1024)] = 2
    correct: Annotated[int, Field(ge=0)] | None = None
    signal_accuracy: Probability | list[Probability] = 0.6
    initial: InitialFile | None = None

    @model_validator(mode="after")
    def _correct_is_an_option(self) -> ChoiceTask:
        if self.correct is not None and self.correct >= self.options:
            raise ValueError(f"correct must be < options ({self.options}), got {self.correct}")
        return self

    @property
    def dimensions(self) -> int:
        return self.options


class OpinionTask(_Model):
    """Opinions in [0, 1]^d with no truth: uniform at random, or rows of a CSV file."""

    kind: Literal["opinion"]
    dimensions: Annotated[int, Field(ge=1, le=1024)] = 1
    initial: InitialFile | None = None


Task = Annotated[EstimateTask | ChoiceTask | OpinionTask, Field(discriminator="kind")]
"""A task, told apart by `kind` (default `estimate`)."""


class ConstantLatency(_Model):
    distribution: Literal["constant"] = "constant"
    value: Duration = 0.005


class UniformLatency(_Model):
    distribution: Literal["uniform"]
    low: Duration = 0.0
    high: Duration = 0.01

    @model_validator(mode="after")
    def _ordered(self) -> UniformLatency:
        if self.high < self.low:
            raise ValueError(f"high must be >= low, got low={self.low}s high={self.high}s")
        return self


class ExponentialLatency(_Model):
    distribution: Literal["exponential"]
    mean: Duration = 0.005


class LognormalLatency(_Model):
    """Latency whose logarithm is normal: `median` = exp(mu), `sigma` the log-scale spread."""

    distribution: Literal["lognormal"]
    median: Duration = 0.005
    sigma: Annotated[float, Field(ge=0.0, le=10.0)] = 0.5


Latency = Annotated[
    ConstantLatency | UniformLatency | ExponentialLatency | LognormalLatency,
    Field(discriminator="distribution"),
]


class Network(_Model):
    """The network model every message crosses."""

    latency: Latency = ConstantLatency()
    drop: Probability = 0.0


class ProtocolConfig(_Model):
    """Which protocol runs and its knobs."""

    name: Literal["symmetric"] = "symmetric"
    observers: Literal[0, 2] = 2
    phase_timeout: PositiveDuration = 0.1
    target: Annotated[float, Field(gt=0.0, le=1.0)] = 0.98
    exchange: Literal["mirror"] = "mirror"


class Record(_Model):
    """What a run records beyond the summary."""

    timeline_points: Annotated[int, Field(ge=2, le=1_000_000)] = 2000


class Scenario(_Model):
    """A complete, validated scenario."""

    name: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")] = "scenario"
    description: str = ""
    seed: Annotated[int, Field(ge=0)] = 0
    agents: Agents = Agents()
    task: Task = EstimateTask()
    network: Network = Network()
    protocol: ProtocolConfig = ProtocolConfig()
    record: Record = Record()

    @model_validator(mode="before")
    @classmethod
    def _task_kind_defaults_to_estimate(cls, data: Any) -> Any:
        task = data.get("task") if isinstance(data, dict) else None
        if isinstance(task, dict) and "kind" not in task:
            return {**data, "task": {"kind": "estimate", **task}}
        return data

    @model_validator(mode="after")
    def _per_agent_lists_match(self) -> Scenario:
        n = self.agents.count
        lists = {
            "task.noise.sigma": self.task.noise.sigma if isinstance(self.task, EstimateTask) else None,
            "task.signal_accuracy": self.task.signal_accuracy if isinstance(self.task, ChoiceTask) else None,
        }
        for name, values in lists.items():
            if isinstance(values, list) and len(values) != n:
                raise ValueError(f"{name} lists {len(values)} values but agents.count is {n}")
        return self

    def to_yaml_dict(self) -> dict[str, Any]:
        """The resolved scenario as plain data, durations with units."""
        return self.model_dump(mode="json")
