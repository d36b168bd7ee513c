"""The scenario format: pydantic models for what a scenario file may say.

Every model forbids unknown keys. Durations accept units (see `convergence.units`).
"""

from __future__ import annotations

import difflib
import math
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, ValidationInfo, field_validator, model_validator

from convergence.edgelist import read_edge_list
from convergence.scenario_faults import ByzantineFault, Fault, Link, Partition, Validation
from convergence.scenario_types import Count, Duration, PositiveDuration, Probability
from convergence.scenario_types import ScenarioModel as _Model

__all__ = [
    "NAMED_NETWORKS",
    "Agents",
    "ChoiceTask",
    "CompleteTopology",
    "ConstantLatency",
    "Count",
    "Duration",
    "EdgeListTopology",
    "EstimateTask",
    "ExponentialLatency",
    "GridTopology",
    "Latency",
    "LognormalLatency",
    "NamedTopology",
    "Network",
    "Noise",
    "OpinionTask",
    "PositiveDuration",
    "Probability",
    "ProtocolConfig",
    "ProtocolName",
    "RandomRegularTopology",
    "Record",
    "RingTopology",
    "Scenario",
    "SmallWorldTopology",
    "Task",
    "Topology",
    "UniformLatency",
    "grid_shape",
    "resolve_topology_count",
    "topology_label",
    "topology_nodes",
]


class Agents(_Model):
    """How many agents, which behaviour (merge rule) they run, and its parameters.

    `trim`: how many values `trimmed-mean` drops from each end (default: the number of
    Byzantine agents the faults name).
    """

    count: Annotated[Count, Field(le=10_000_000)] = 22
    behaviour: str = "weighted-mean"
    epsilon: Annotated[float, Field(ge=0.0)] | None = None
    """Confidence bound of `bounded-confidence` agents (required by them, unused by others)."""
    trim: Annotated[int, Field(ge=0)] | None = None

    @field_validator("behaviour")
    @classmethod
    def _registered_behaviour(cls, name: str, info: ValidationInfo) -> str:
        known = (info.context or {}).get("behaviours")
        if known is not None and name not in known:
            close = difflib.get_close_matches(name, list(known), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f"; known: {', '.join(sorted(known))}"
            raise ValueError(f"unknown agent behaviour {name!r}{hint}")
        return name

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


class CompleteTopology(_Model):
    """Every agent is linked to every other."""

    kind: Literal["complete"] = "complete"


class RingTopology(_Model):
    """Agent i is linked to i - 1 and i + 1 (mod N)."""

    kind: Literal["ring"]


class GridTopology(_Model):
    """A rows x columns 2-D lattice (no wrap-around); a missing side is N divided by the other.

    With neither side given, rows is the largest divisor of N not above sqrt(N).
    """

    kind: Literal["grid"]
    rows: Annotated[int, Field(ge=1)] | None = None
    columns: Annotated[int, Field(ge=1)] | None = None


class RandomRegularTopology(_Model):
    """A uniformly random graph where every agent has `degree` links (N x degree even)."""

    kind: Literal["random-regular"]
    degree: Annotated[int, Field(ge=0)] = 4


class SmallWorldTopology(_Model):
    """Watts-Strogatz: a ring where each agent links its k nearest, each link rewired with p."""

    kind: Literal["small-world"]
    k: Annotated[int, Field(ge=2)] = 4
    p: Probability = 0.1


NAMED_NETWORKS: dict[str, int] = {"karate-club": 34, "florentine-families": 15, "les-miserables": 77}
"""Real networks shipped by networkx, with their node counts."""


class NamedTopology(_Model):
    """A real network by name: Zachary's karate club, Florentine families, Les Miserables."""

    kind: Literal["named"]
    name: Literal["karate-club", "florentine-families", "les-miserables"]

    @property
    def nodes(self) -> int:
        return NAMED_NETWORKS[self.name]


class EdgeListTopology(_Model):
    """An undirected graph from a file of `a b` lines (0-based ids; `#` starts a comment).

    `path` is relative to the scenario file; `nodes` defaults to the largest id + 1 and is
    filled in when the scenario is loaded.
    """

    kind: Literal["edge-list"]
    path: str
    nodes: Annotated[int, Field(ge=1)] | None = None


Topology = Annotated[
    CompleteTopology
    | RingTopology
    | GridTopology
    | RandomRegularTopology
    | SmallWorldTopology
    | NamedTopology
    | EdgeListTopology,
    Field(discriminator="kind"),
]


def _topology_shorthand(value: Any) -> Any:
    """`topology: ring` means `{kind: ring}`; `topology: karate-club` a named network."""
    if isinstance(value, str):
        return {"kind": "named", "name": value} if value in NAMED_NETWORKS else {"kind": value}
    return value


def grid_shape(topology: GridTopology, count: int) -> tuple[int, int]:
    """(rows, columns) of a grid for `count` agents; a side that does not divide is an error."""
    rows, columns = topology.rows, topology.columns
    if rows is not None and columns is not None:
        return rows, columns
    if rows is None and columns is None:
        rows = max(r for r in range(1, math.isqrt(count) + 1) if count % r == 0)
        return rows, count // rows
    side = rows if rows is not None else columns
    assert side is not None
    if count % side:
        which = "rows" if rows is not None else "columns"
        raise ValueError(
            f"a grid of {count} agents cannot have {side} {which}: {side} does not divide {count}"
        )
    other = count // side
    return (side, other) if rows is not None else (other, side)


def topology_nodes(topology: Topology, count: int) -> int:
    """The node count a topology fixes, or `count` when it adapts to any count."""
    if isinstance(topology, NamedTopology):
        return topology.nodes
    if isinstance(topology, EdgeListTopology) and topology.nodes is not None:
        return topology.nodes
    if isinstance(topology, GridTopology):
        rows, columns = grid_shape(topology, count)
        return rows * columns
    return count


def topology_label(topology: Topology) -> str:
    """A short name for messages: `karate-club`, `grid`, `edge-list edges.txt`."""
    if isinstance(topology, NamedTopology):
        return topology.name
    if isinstance(topology, EdgeListTopology):
        return f"edge-list {topology.path}"
    return topology.kind


def _resolve_raw_topology(data: dict[str, Any], base: Path | None) -> dict[str, Any] | None:
    """Normalise the raw topology mapping; read an edge-list file to fill in `nodes`."""
    network = data.get("network")
    if not isinstance(network, dict):
        return None
    topology = _topology_shorthand(network.get("topology"))
    if not isinstance(topology, dict) or topology.get("kind") != "edge-list":
        return topology if isinstance(topology, dict) else None
    path = topology.get("path")
    if not isinstance(path, str):
        return topology
    resolved = Path(path) if base is None or Path(path).is_absolute() else base / path
    topology = {**topology, "path": str(resolved)}
    if topology.get("nodes") is None:
        topology["nodes"] = read_edge_list(resolved).nodes
    data["network"] = {**network, "topology": topology}
    return topology


def resolve_topology_count(data: Any, context: Any) -> Any:
    """Before validation: resolve an edge-list path and `agents.count: topology`.

    Edge-list paths are relative to the scenario file (`context["base_dir"]`), else to the
    working directory. `agents.count: topology` takes the graph's node count.
    """
    if not isinstance(data, dict):
        return data
    data = dict(data)
    base = context.get("base_dir") if isinstance(context, dict) else None
    topology = _resolve_raw_topology(data, Path(base) if base is not None else None)
    agents = data.get("agents")
    if isinstance(agents, dict) and agents.get("count") == "topology":
        kind = topology.get("kind") if topology else "complete"
        if kind == "named" and topology is not None and topology.get("name") in NAMED_NETWORKS:
            nodes: Any = NAMED_NETWORKS[topology["name"]]
        elif kind == "edge-list" and topology is not None:
            nodes = topology.get("nodes")
        elif kind == "grid" and topology is not None and topology.get("rows") and topology.get("columns"):
            nodes = topology["rows"] * topology["columns"]
        else:
            raise ValueError(
                f"agents.count: 'topology' needs a graph with a fixed size (named, edge-list, or grid "
                f"with rows and columns), got {kind}"
            )
        data["agents"] = {**agents, "count": nodes}
    return data


class Network(_Model):
    """The network model every message crosses.

    `topology` is the graph the neighbourhood protocols (degroot, gossip, push-sum) talk
    over; the others (symmetric, all-to-all, tree, recursive-doubling) are overlays that may
    message any agent, so for them the topology only fixes the agent count.
    """

    latency: Latency = ConstantLatency()
    drop: Probability = 0.0
    topology: Annotated[Topology, BeforeValidator(_topology_shorthand)] = CompleteTopology()
    duplicate: Probability = 0.0
    partitions: list[Partition] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)


ProtocolName = Literal[
    "symmetric", "all-to-all", "degroot", "gossip", "recursive-doubling", "tree", "push-sum"
]


class ProtocolConfig(_Model):
    """Which protocol runs and its knobs.

    `exchange`: within a merge, members exchange with their mirror partner (cheap) or with
    every other member of the merged group (robust). `watchdog`: a run with no delivery and
    no merge for this much virtual time ends with a diagnostic (default max(10s, 4 x
    phase_timeout)).
    """

    name: ProtocolName = "symmetric"
    observers: Literal[0, 2] = 2
    phase_timeout: PositiveDuration = 0.1
    target: Annotated[float, Field(gt=0.0, le=1.0)] = 0.98
    exchange: Literal["mirror", "all-to-all"] = "mirror"
    watchdog: PositiveDuration | None = None
    max_rounds: Annotated[int, Field(ge=1, le=10_000_000)] = 1000
    """Iterative protocols stop after this many rounds (gossip: a round is N exchanges)."""
    max_time: Duration | None = None
    """Iterative protocols start no round after this virtual time."""
    weights: Literal["metropolis", "equal"] = "metropolis"
    """DeGroot weights: Metropolis (doubly stochastic) or equal 1/(d_i + 1)."""


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
    faults: list[Fault] = Field(default_factory=list)
    validation: Validation = Validation()

    @model_validator(mode="before")
    @classmethod
    def _task_kind_defaults_to_estimate(cls, data: Any) -> Any:
        task = data.get("task") if isinstance(data, dict) else None
        if isinstance(task, dict) and "kind" not in task:
            return {**data, "task": {"kind": "estimate", **task}}
        return data

    @model_validator(mode="before")
    @classmethod
    def _count_follows_topology(cls, data: Any, info: ValidationInfo) -> Any:
        return resolve_topology_count(data, info.context)

    @model_validator(mode="after")
    def _topology_matches_count(self) -> Scenario:
        count, topology = self.agents.count, self.network.topology
        nodes = topology_nodes(topology, count)
        if nodes != count:
            raise ValueError(
                f"agents.count is {count} but topology {topology_label(topology)} has {nodes} nodes; "
                "set agents.count to match, or to 'topology' to follow the graph"
            )
        if isinstance(topology, RandomRegularTopology) and (
            topology.degree >= max(count, 1) or (count * topology.degree) % 2
        ):
            raise ValueError(
                f"network.topology.degree must be < N with N x degree even for a random-regular graph, "
                f"got N={count} degree={topology.degree}"
            )
        if isinstance(topology, SmallWorldTopology) and topology.k >= count:
            raise ValueError(
                f"network.topology.k must be < N for a small-world graph, got N={count} k={topology.k}"
            )
        return self

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
        for where, agent in self._agent_ids():
            if agent >= n:
                raise ValueError(f"{where} names agent {agent} but agents are 0..{n - 1}")
        named = sum(f.size for f in self.faults)
        if named > n:
            raise ValueError(f"faults name {named} agents but there are only {n}")
        width = self.task.options if isinstance(self.task, ChoiceTask) else self.task.dimensions
        for i, fault in enumerate(self.faults):
            if (
                isinstance(fault, ByzantineFault)
                and isinstance(fault.value, list)
                and len(fault.value) != width
            ):
                raise ValueError(
                    f"faults.{i}.value lists {len(fault.value)} values but a state has {width}; "
                    "give one value per coordinate, or a single number"
                )
        return self

    def with_(self, **changes: Any) -> Scenario:
        """A copy with fields changed by dotted path, validated like a file.

        Example: `scenario.with_(seed=3, **{"agents.count": 44, "network.drop": 0.1})`.

        Raises:
            ScenarioError: naming each invalid field.
        """
        from convergence.loader import with_changes

        return with_changes(self, changes)

    def _agent_ids(self) -> list[tuple[str, int]]:
        """Every agent id the faults, partitions and links name, with where it is."""
        ids = [(f"faults.{i}.agents", a) for i, f in enumerate(self.faults) for a in f.agents or []]
        for i, partition in enumerate(self.network.partitions):
            ids += [(f"network.partitions.{i}.groups", a) for group in partition.groups for a in group]
        for i, link in enumerate(self.network.links):
            ids += [(f"network.links.{i}.between", a) for a in link.between]
        return ids

    def to_yaml_dict(self) -> dict[str, Any]:
        """The resolved scenario as plain data, durations with units."""
        return self.model_dump(mode="json")
