"""The task scenarios of the library run and report their task's outcome."""

from __future__ import annotations

from convergence.engine import simulate
from convergence.loader import load_scenario
from tests.conftest import SCENARIOS


def test_jury_22_agrees_unanimously_on_one_option() -> None:
    summary = simulate(load_scenario(SCENARIOS / "jury-22.yaml")).summary
    assert summary["consensus"] == 1.0
    assert summary["accuracy"] in (0.0, 1.0)
    assert summary["decision"] in (0, 1)


def test_karate_opinion_gossips_bounded_confidence_over_34_members() -> None:
    scenario = load_scenario(SCENARIOS / "karate-opinion.yaml")
    assert scenario.agents.count == 34
    summary = simulate(scenario).summary
    assert summary["clusters"] >= 1
    assert 0.0 <= summary["consensus"] <= 1.0
    hk = simulate(load_scenario(SCENARIOS / "karate-opinion.yaml", ["protocol.name=all-to-all"])).summary
    assert hk["clusters"] == 1  # synchronous HK with epsilon 0.5 ends in one cluster here
