"""Synchronous rounds for the iterative protocols (all-to-all, degroot, gossip, push-sum).

Every participant calls `Rounds.advance(r, agent)` when it has finished round r. The last one
to arrive ends the round (an agent that crashes leaves the barrier for good): the runtime's
consensus is checked against the target, the round and time limits and the protocol's own
stop test, then every participant is released into round r + 1 together (or told to stop).
The barrier is the synchronous model's global round clock: it sends no messages and costs no
virtual time beyond waiting for the slowest agent. A crashed agent's peers lose what they
send it, and their waits for its messages end at the phase timeout, as the network says.

Events: each phase is a block of `stride` rounds (`stride` = 1 unless `max_rounds` exceeds
the scenario's timeline budget), with `level` = the block's last round, so event volume stays
bounded for long runs. The run ends with a `stop` event: reason `target`, `max_rounds`,
`max_time` or `stalled` (the protocol's fixed point, e.g. a disconnected graph).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import anyio
import numpy as np

from convergence.messages import MessageKind

if TYPE_CHECKING:
    from convergence.engine import MergeRule, Simulation

__all__ = ["FixedPoint", "Rounds", "exchange_rounds"]


_STALL_TOLERANCE = 1e-15


class FixedPoint:
    """A stop test: no agent's value moved by more than 1e-15 (relative) in the last round.

    For synchronous deterministic updates (all-to-all, degroot) that is a fixed point: the
    next rounds would change nothing either (a disconnected graph, separate opinion clusters).
    """

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self._previous = sim.values.copy()

    def __call__(self, _round: int) -> bool:
        values = self.sim.values
        if not len(values):
            return True
        change = float(np.max(np.abs(values - self._previous)))
        scale = 1.0 + float(np.max(np.abs(values)))
        self._previous = values.copy()
        return change <= _STALL_TOLERANCE * scale


class Rounds:
    """A round barrier with the stop rules of one run."""

    def __init__(
        self,
        sim: Simulation,
        participants: int,
        *,
        unit: str = "round",
        stalled: Callable[[int], bool] | None = None,
        phase_fields: Callable[[], dict[str, Any]] | None = None,
        on_round_end: Callable[[int], None] | None = None,
    ) -> None:
        config = sim.scenario.protocol
        self.sim = sim
        self.participants = participants
        self.unit = unit
        self.max_rounds = config.max_rounds
        self.max_time = config.max_time
        self.stride = max(1, math.ceil(self.max_rounds / sim.scenario.record.timeline_points))
        self.stalled = stalled
        self.phase_fields = phase_fields
        self.on_round_end = on_round_end
        self.round = 0
        self.reason: str | None = None
        self._arrived = 0
        self._waiting: set[int] = set()
        self._released = anyio.Event()
        if participants == sim.n:
            sim.crash_listeners.append(self._crashed)
        self._sent_mark = 0
        self._dropped_mark = 0
        self._block_start = 1

    def start(self, **fields: Any) -> None:
        """Emit `run_start` (no fixed levels) and the first sample; stop at once if agreed."""
        sim = self.sim
        sim.plan_samples(2**62)  # samples are taken at round ends, not per merge
        sim.emit("run_start", **sim.start_fields(), levels=[], max_rounds=self.max_rounds, **fields)
        sim.sample()
        score, _ = sim.snapshot()
        if score >= sim.target:
            self._stop("target")
        else:
            self._open_phase()

    def first(self) -> int | None:
        """The first round to run (1), or None when the run stopped before it began."""
        return None if self.reason is not None else 1

    async def advance(self, finished: int, agent: int = -1) -> int | None:
        """Mark round `finished` done for one participant; return the next round, or None."""
        if self.reason is not None:
            return None
        self._arrived += 1
        if self._arrived >= self.participants:
            self._end_round()
        else:
            self._waiting.add(agent)
            await self._released.wait()
        return None if self.reason is not None else finished + 1

    def _crashed(self, agent: int) -> None:
        """A crashed agent leaves the barrier; the round ends if it was the last one missing."""
        self.participants -= 1
        if agent in self._waiting:
            self._waiting.discard(agent)
            self._arrived -= 1
        if self.reason is None and 0 < self.participants <= self._arrived:
            self._end_round()

    def _end_round(self) -> None:
        sim = self.sim
        self.round += 1
        self._arrived = 0
        self._waiting.clear()
        if self.on_round_end is not None:
            self.on_round_end(self.round)
        score, _ = sim.snapshot()
        reason = None
        if score >= sim.target:
            reason = "target"
        elif self.stalled is not None and self.stalled(self.round):
            reason = "stalled"
        elif self.round >= self.max_rounds:
            reason = "max_rounds"
        elif self.max_time is not None and sim.now >= self.max_time:
            reason = "max_time"
        if reason is not None or self.round % self.stride == 0:
            self._close_phase()
        if reason is not None:
            self._stop(reason)
        elif self.round % self.stride == 0:
            self._open_phase()
        released, self._released = self._released, anyio.Event()
        released.set()

    def _open_phase(self) -> None:
        self._block_start = self.round + 1
        last = self.round + self.stride
        self.sim.emit("phase_start", level=last, name=self._name(last), phase=self.unit, groups=1, byes=[])

    def _close_phase(self) -> None:
        sim = self.sim
        sim.sample()
        score, d = sim.snapshot()
        sim.emit(
            "phase_end",
            level=self.round,
            name=self._name(self.round),
            phase=self.unit,
            groups=1,
            messages=sim.network.sent - self._sent_mark,
            dropped=sim.network.dropped - self._dropped_mark,
            consensus=score,
            dispersion=d,
            **(self.phase_fields() if self.phase_fields is not None else {}),
        )
        self._sent_mark, self._dropped_mark = sim.network.sent, sim.network.dropped

    def _name(self, last: int) -> str:
        first = self._block_start
        return f"{self.unit}-{last}" if first >= last else f"{self.unit}-{first}..{last}"

    def _stop(self, reason: str) -> None:
        self.reason = reason
        score, _ = self.sim.snapshot()
        self.sim.emit("stop", reason=reason, rounds=self.round, consensus=score)


async def exchange_rounds(
    sim: Simulation, rounds: Rounds, agent: int, peers: Sequence[int], rule: MergeRule
) -> None:
    """One agent's synchronous rounds: send its state to `peers`, hear them, merge with `rule`.

    Each round waits for every peer up to the phase timeout; `Simulation.merge` validates what
    came before `rule` combines it (all-to-all, degroot).
    """
    current = rounds.first()
    while current is not None:
        state = sim.state_of(agent)
        sim.plan_exchanges(current, len(peers))
        for other in peers:
            sim.send(agent, other, MessageKind.STATE, current, state)
        got = await sim.collect(agent, current, len(peers), sim.now + sim.phase_timeout)
        sim.merge(agent, current, state, got, rule=rule)
        current = await rounds.advance(current, agent)
