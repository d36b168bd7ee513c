"""Recursive validation (Pattern 3): the checks, and the observers that run them.

After each merge every participant sends each observer an audit copy: what it held before
(and so sent), what it held after, and the messages it received, forwarded as they came.
Messages are taken as signed: a receiver cannot forge what a sender sent, so a forwarded
copy is evidence against its sender. An observer checks a level once every participant's
copy is in, or one phase timeout after the first arrived, levels in order:

- forward: a member's result lies in the coordinate-wise hull of its inputs;
- backward: everything one sender said at this level (its claim, what each receiver got)
  is one value; two values mean it equivocated (or lied about what it sent);
- lateral: a group's result (mean of its members' results) is no outlier among the level's
  groups: farther from their coordinate-wise median than `lateral_threshold` times the
  median such distance (needs 3 groups or more);
- recursive: a member starts the level from the result it reported at its previous level,
  and a group's result lies in the hull of its members' previous results and of what they
  received from the rest of the group (checked when every member's history is at hand).

A failed check is a `check_failed` event (observer, level, group, check, suspects,
evidence); with `quarantine` the observer tells every agent to stop merging the suspects.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import anyio
import numpy as np

from convergence.agent import FloatArray, State
from convergence.messages import Message, MessageKind
from convergence.scenario_faults import Validation

if TYPE_CHECKING:
    from convergence.engine import Simulation

__all__ = ["AuditRecord", "Auditor", "Failure", "check_level"]


@dataclass(frozen=True)
class AuditRecord:
    """One participant's account of one merge."""

    agent: int
    level: int
    group: int
    previous_level: int
    before: FloatArray
    after: FloatArray
    received: tuple[Message, ...]

    def map_values(self, lie: Callable[[FloatArray], FloatArray]) -> AuditRecord:
        """The record with its own claims replaced (a liar's copy); forwarded messages stay."""
        return replace(self, before=lie(self.before), after=lie(self.after))


@dataclass(frozen=True)
class Failure:
    """One failed check."""

    group: int
    check: str
    suspects: list[int]
    evidence: dict[str, Any]


def _vec(value: FloatArray) -> list[float]:
    return [float(v) for v in value]


def _outside(point: FloatArray, inputs: FloatArray, tolerance: float) -> bool:
    slack = tolerance * (1.0 + float(np.abs(inputs).max()))
    return bool((point < inputs.min(axis=0) - slack).any() or (point > inputs.max(axis=0) + slack).any())


def _received_values(record: AuditRecord) -> list[FloatArray]:
    return [m.payload.value for m in record.received if isinstance(m.payload, State)]


def _backward(records: dict[int, AuditRecord]) -> list[Failure]:
    said: dict[int, dict[str, FloatArray]] = {}
    for record in records.values():
        said.setdefault(record.agent, {})["claim"] = record.before
        for message in record.received:
            if isinstance(message.payload, State):
                said.setdefault(message.sender, {})[f"to {record.agent}"] = message.payload.value
    failures = []
    for sender in sorted(said):
        versions = said[sender]
        if len({value.tobytes() for value in versions.values()}) > 1:
            group = records[sender].group if sender in records else -1
            evidence = {"sender": sender, "values": {who: _vec(v) for who, v in versions.items()}}
            failures.append(Failure(group, "backward", [sender], evidence))
    return failures


def _forward(records: dict[int, AuditRecord], tolerance: float) -> list[Failure]:
    failures = []
    for record in records.values():
        inputs = np.vstack([record.before, *_received_values(record)])
        if _outside(record.after, inputs, tolerance):
            evidence = {
                "after": _vec(record.after),
                "low": _vec(inputs.min(axis=0)),
                "high": _vec(inputs.max(axis=0)),
            }
            failures.append(Failure(record.group, "forward", [record.agent], evidence))
    return failures


def _groups(records: dict[int, AuditRecord]) -> dict[int, list[AuditRecord]]:
    groups: dict[int, list[AuditRecord]] = {}
    for agent in sorted(records):
        groups.setdefault(records[agent].group, []).append(records[agent])
    return groups


def _recursive(
    records: dict[int, AuditRecord], previous: Callable[[int, int], AuditRecord | None], tolerance: float
) -> list[Failure]:
    failures = []
    for group, members in _groups(records).items():
        earlier = [previous(r.agent, r.previous_level) for r in members]
        for record, before in zip(members, earlier, strict=True):
            if before is not None and not np.array_equal(record.before, before.after):
                evidence = {
                    "previous_level": record.previous_level,
                    "after_then": _vec(before.after),
                    "before_now": _vec(record.before),
                }
                failures.append(Failure(group, "recursive", [record.agent], evidence))
        if any(before is None for before in earlier):
            continue
        # The hull of what the members' results may draw from: their previous results
        # and what they received (other members' previous results, as sent).
        children = np.vstack(
            [before.after for before in earlier if before is not None]
            + [value for r in members for value in _received_values(r)]
        )
        result = np.mean([r.after for r in members], axis=0)
        if _outside(result, children, tolerance):
            outside = [r.agent for r in members if _outside(r.after, children, tolerance)]
            evidence = {
                "result": _vec(result),
                "low": _vec(children.min(axis=0)),
                "high": _vec(children.max(axis=0)),
            }
            failures.append(Failure(group, "recursive", outside, evidence))
    return failures


def _lateral(records: dict[int, AuditRecord], threshold: float, tolerance: float) -> list[Failure]:
    groups = _groups(records)
    if len(groups) < 3:
        return []
    ids = list(groups)
    results = np.array([np.mean([r.after for r in groups[g]], axis=0) for g in ids])
    centre = np.median(results, axis=0)
    distance = np.linalg.norm(results - centre, axis=1)
    scale = max(float(np.median(distance)), tolerance * (1.0 + float(np.linalg.norm(centre))))
    befores = np.array([r.before for r in records.values()])
    own_distance = np.linalg.norm(befores - np.median(befores, axis=0), axis=1)
    own_scale = max(float(np.median(own_distance)), scale)
    stands_out = {agent for agent, d in zip(records, own_distance, strict=True) if d > threshold * own_scale}
    failures = []
    for g, d in zip(ids, distance.tolist(), strict=True):
        if d > threshold * scale:
            suspects = sorted(r.agent for r in groups[g] if r.agent in stands_out)
            evidence = {"distance": d, "scale": scale, "threshold": threshold}
            failures.append(Failure(g, "lateral", suspects, evidence))
    return failures


def check_level(
    records: dict[int, AuditRecord],
    previous: Callable[[int, int], AuditRecord | None],
    config: Validation,
) -> list[Failure]:
    """Run the configured checks over one level's audit records."""
    failures: list[Failure] = []
    if "forward" in config.checks:
        failures += _forward(records, config.tolerance)
    if "backward" in config.checks:
        failures += _backward(records)
    if "lateral" in config.checks:
        failures += _lateral(records, config.lateral_threshold, config.tolerance)
    if "recursive" in config.checks:
        failures += _recursive(records, previous, config.tolerance)
    return failures


class Auditor:
    """The observers' side: collects audit copies per observer and checks level by level."""

    def __init__(
        self, sim: Simulation, observers: Sequence[int], expected: Sequence[int], config: Validation
    ) -> None:
        self.sim = sim
        self.config = config
        self.expected = list(expected)
        """Audit copies each observer expects at level i + 1."""
        self._records = {o: [dict[int, AuditRecord]() for _ in expected] for o in observers}
        self._next = dict.fromkeys(observers, 1)
        self._ready = {o: set[int]() for o in observers}
        self._done = {o: anyio.Event() for o in observers}
        self._quarantined = {o: set[int]() for o in observers}
        self.late = 0
        sim.network.handlers[MessageKind.AUDIT] = self._receive

    def send(self, record: AuditRecord) -> None:
        """Send `record` from its agent to every observer."""
        for observer in self._records:
            self.sim.send(record.agent, observer, MessageKind.AUDIT, record.level, record)

    def _receive(self, message: Message) -> None:
        observer, record = message.receiver, message.payload
        if not isinstance(record, AuditRecord) or not 1 <= message.level <= len(self.expected):
            return
        level = message.level
        if level < self._next[observer]:
            self.late += 1
            return
        records = self._records[observer][level - 1]
        if record.agent in records:
            return
        records[record.agent] = record
        if len(records) >= self.expected[level - 1]:
            self._mark_ready(observer, level)
        elif len(records) == 1:
            self.sim.loop.call_at(self.sim.now + self.sim.phase_timeout, self._mark_ready, observer, level)

    def _mark_ready(self, observer: int, level: int) -> None:
        if self.sim.crashed[observer]:
            return
        self._ready[observer].add(level)
        top = max(self._ready[observer])
        while self._next[observer] <= top:
            index = self._next[observer]
            if index not in self._ready[observer] and self._records[observer][index - 1]:
                return
            self._check(observer, index)
            self._next[observer] = index + 1
        if self._next[observer] > len(self.expected):
            self._done[observer].set()

    async def finish(self, observer: int) -> None:
        """Wait (one phase timeout at most) for the last copies, then check what is left."""
        with anyio.move_on_after(self.sim.phase_timeout):
            await self._done[observer].wait()
        if self._next[observer] <= len(self.expected):
            self._mark_ready(observer, len(self.expected))

    def _previous(self, observer: int) -> Callable[[int, int], AuditRecord | None]:
        levels = self._records[observer]
        return lambda agent, level: levels[level - 1].get(agent) if level >= 1 else None

    def _check(self, observer: int, level: int) -> None:
        records = self._records[observer][level - 1]
        failures = check_level(records, self._previous(observer), self.config) if records else []
        sim = self.sim
        sim.emit("audit", observer=observer, level=level, records=len(records), failed=len(failures))
        for failure in failures:
            sim.emit(
                "check_failed",
                observer=observer,
                level=level,
                group=failure.group,
                check=failure.check,
                suspects=failure.suspects,
                evidence=failure.evidence,
            )
        if self.config.quarantine:
            fresh = sorted({a for f in failures for a in f.suspects} - self._quarantined[observer])
            if fresh:
                self._quarantined[observer].update(fresh)
                sim.emit("quarantine", observer=observer, level=level, suspects=fresh)
                sim.quarantine(observer, fresh, level)
