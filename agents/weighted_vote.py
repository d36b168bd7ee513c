"""`weighted-vote`: pool vote tallies over the options of a choice task.

A state is a vote vector over the K options: the share of the votes behind it that each
option got (one-hot for a single signal), and its weight is the number of votes. Merging
two sides pools their tallies exactly (a weighted mean of the share vectors), so with an
exact protocol every agent ends holding the whole crowd's tally.

The vote an agent casts at any moment is its top option: the option with the largest share,
ties (shares within 1e-9) broken by the run's tie order, a uniformly random permutation of
the options drawn from the run's seeded task stream. A two-way tie is thus a fair coin
across runs, and agents holding identical tallies always pick the same option. The
engine's choice metrics (`convergence.metrics.top_options`) apply that rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from agents.weighted_mean import merge_weighted
from convergence.agent import BehaviourContext, FloatArray, State
from convergence.errors import ConvergenceError

__all__ = ["WeightedVote"]


class WeightedVote:
    """Vote vectors weighted by the votes behind them; merges pool the tallies."""

    name: ClassVar[str] = "weighted-vote"

    def __init__(self, context: BehaviourContext) -> None:
        if context.task != "choice":
            raise ConvergenceError(f"weighted-vote agents need a choice task, not {context.task!r}")
        self.context = context

    def initial_state(self, signal: FloatArray, *, agent: int) -> State:
        return State(np.array(signal, dtype=np.float64), 1.0)

    def merge(self, own: State, received: Sequence[State]) -> State:
        return merge_weighted(own, received)
