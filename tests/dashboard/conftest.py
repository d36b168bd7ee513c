"""Fixtures for the dashboard tests: real runs' event streams, recorded once per session."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from convergence.engine import simulate
from convergence.loader import load_scenario

ROOT = Path(__file__).resolve().parents[2]
CANONICAL = ROOT / "scenarios" / "canonical-22.yaml"

Events = list[dict[str, Any]]


def run_events(*overrides: str) -> Events:
    """The events of the canonical scenario run with `overrides`, as subscribers saw them."""
    seen: Events = []
    simulate(load_scenario(CANONICAL, overrides), subscribers=[seen.append])
    return seen


@pytest.fixture(scope="session")
def canonical_events() -> Events:
    return run_events()


@pytest.fixture(scope="session")
def events_500() -> Events:
    return run_events("agents.count=500")


@pytest.fixture(scope="session")
def events_256() -> Events:
    return run_events("agents.count=256")
