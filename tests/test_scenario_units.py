"""Durations, probabilities and counts in scenario files."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from convergence.errors import ScenarioError
from convergence.loader import load_scenario
from convergence.units import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("5ms", 0.005),
        ("2.5s", 2.5),
        ("1m", 60.0),
        ("1h", 3600.0),
        ("250us", 250e-6),
        ("1e-2", 0.01),
        (0.5, 0.5),
        (3, 3.0),
    ],
)
def test_duration_units(text: str | float, seconds: float) -> None:
    assert math.isclose(parse_duration(text), seconds, rel_tol=1e-12)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-5ms", r"must be >= 0, got -5ms"),
        (-1, r"must be >= 0, got -1"),
        ("5 parsecs", r"expected a duration such as 5ms, 2\.5s or 1m \(.*\), got '5 parsecs'"),
        (float("inf"), r"must be a finite duration, got \.inf"),
        (True, r"expected a duration such as .*, got true"),
    ],
)
def test_bad_duration_messages(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=rf"^{message}$"):
        parse_duration(value)


@given(st.floats(min_value=0, max_value=1e9, allow_nan=False))
def test_format_duration_reads_back_exactly(seconds: float) -> None:
    assert parse_duration(format_duration(seconds)) == seconds


def test_zero_phase_timeout_is_refused_with_a_remedy() -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario({"protocol": {"phase_timeout": "0ms"}})
    (problem,) = info.value.problems
    assert problem.field == "protocol.phase_timeout"
    assert re.fullmatch(r"must be > 0, got 0ms; use a small positive duration such as 1ms", problem.message)


@pytest.mark.parametrize(("drop", "ok"), [(0.0, True), (1.0, True), (-0.01, False), (1.01, False)])
def test_probability_bounds(drop: float, ok: bool) -> None:
    if ok:
        assert load_scenario({"network": {"drop": drop}}).network.drop == drop
    else:
        with pytest.raises(ScenarioError, match=r"^<dict>: network\.drop: must be [<>]= [01], got "):
            load_scenario({"network": {"drop": drop}})


def test_counts_are_positive() -> None:
    with pytest.raises(ScenarioError, match=r"^<dict>: agents\.count: must be >= 1, got 0$"):
        load_scenario({"agents": {"count": 0}})
