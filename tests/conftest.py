"""Shared fixtures: scenario builders and paths."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from convergence.loader import load_scenario
from convergence.scenario import Scenario

REPO = Path(__file__).resolve().parent.parent
SCENARIOS = REPO / "scenarios"


def make_scenario(**sections: Any) -> Scenario:
    """A scenario from keyword sections, e.g. make_scenario(agents={"count": 5})."""
    data: dict[str, Any] = {"name": "test"}
    data.update(sections)
    return load_scenario(data)


@pytest.fixture
def canonical_path() -> Path:
    return SCENARIOS / "canonical-22.yaml"
