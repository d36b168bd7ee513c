"""The scenario library: every file validates, says what it asks, and is listed; the schema is current."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from convergence.loader import load_scenario, scenario_json_schema

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
FILES = sorted(SCENARIOS.glob("*.yaml"))


def test_the_library_is_not_empty() -> None:
    assert {"canonical-22.yaml", "scale-44.yaml", "scale-88.yaml", "scale-176.yaml", "lossy-22.yaml"} <= {
        path.name for path in FILES
    }


@pytest.mark.parametrize("path", FILES, ids=[path.stem for path in FILES])
def test_scenario_file_validates(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.name == path.stem


@pytest.mark.parametrize("path", FILES, ids=[path.stem for path in FILES])
def test_scenario_file_opens_with_the_question_it_asks(path: Path) -> None:
    header = path.read_text(encoding="utf-8").splitlines()[0]
    assert re.fullmatch(rf"# {re.escape(path.stem)}: .*\S", header), header


@pytest.mark.parametrize("path", FILES, ids=[path.stem for path in FILES])
def test_scenario_file_is_listed_in_the_readme(path: Path) -> None:
    readme = (SCENARIOS / "README.md").read_text(encoding="utf-8")
    assert re.search(rf"^- `{re.escape(path.name)}`: \S", readme, re.MULTILINE), f"add a line for {path.name}"


def test_scale_series_doubles_the_agents_and_keeps_the_rest() -> None:
    canonical = load_scenario(SCENARIOS / "canonical-22.yaml")
    for count in (44, 88, 176):
        scaled = load_scenario(SCENARIOS / f"scale-{count}.yaml")
        assert scaled.agents.count == count
        assert scaled.model_copy(update={"name": canonical.name, "agents": canonical.agents}) == canonical


def test_lossy_drops_one_message_in_ten_with_a_heavier_tail() -> None:
    canonical = load_scenario(SCENARIOS / "canonical-22.yaml")
    lossy = load_scenario(SCENARIOS / "lossy-22.yaml")
    assert lossy.network.drop == 0.1
    assert lossy.network.latency.distribution == "lognormal"
    assert lossy.network.latency.sigma > canonical.network.latency.sigma  # type: ignore[union-attr]


def test_committed_schema_is_current() -> None:
    committed = json.loads((SCENARIOS / "schema.json").read_text(encoding="utf-8"))
    assert committed == scenario_json_schema(), (
        "scenarios/schema.json is stale: run `.venv/bin/convergence schema > scenarios/schema.json`"
    )
