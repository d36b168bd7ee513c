"""A bad seed from Python is a ConvergenceError naming it, not a NumPy error."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import convergence as cv
from convergence.errors import ConvergenceError, checked_seed

CANONICAL = Path(__file__).resolve().parent.parent / "scenarios" / "canonical-22.yaml"


@pytest.mark.parametrize("seed", [-1, "3", 1.5, True])
def test_run_sweep_and_compare_refuse_a_bad_seed(seed: Any) -> None:
    message = "^" + re.escape(f"seed must be a whole number >= 0, got {seed!r}") + "$"
    with pytest.raises(ConvergenceError, match=message):
        cv.run_sync(CANONICAL, seed=seed)
    with pytest.raises(ConvergenceError, match=message):
        cv.sweep(CANONICAL, {"agents.count": [8]}, seed=seed, workers=1)
    with pytest.raises(ConvergenceError, match=message):
        cv.compare(CANONICAL, protocols=["symmetric"], replicates=1, seed=seed, workers=1)


def test_numpy_integers_and_zero_are_seeds() -> None:
    assert checked_seed(np.int64(3)) == 3
    assert type(checked_seed(np.uint64(7))) is int
    assert checked_seed(0) == 0
    numpy_seed: Any = np.int64(5)  # what a NumPy-minded caller passes
    assert cv.run_sync(CANONICAL, seed=numpy_seed).summary["seed"] == 5
