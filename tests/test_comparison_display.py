"""A comparison reads well in a notebook: short repr, statistics as a table."""

from __future__ import annotations

from pathlib import Path

import convergence as cv

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "compare-22.yaml"


def test_comparison_has_a_short_repr_and_a_statistics_table() -> None:
    scenario = cv.load_scenario(SCENARIO)
    comparison = cv.compare(scenario, protocols=["symmetric", "tree"], replicates=3, workers=1)
    assert repr(comparison) == (
        "Comparison(scenario='compare-22', protocols=['symmetric', 'tree'], replicates=3)"
    )
    frame = comparison.stats_to_pandas()
    assert list(frame.index) == ["symmetric", "tree"]
    assert frame.loc["tree", "messages_sent"] == 42
    assert frame.loc["symmetric", "ratio_time_to_consensus_s"] == 1.0
    assert frame.loc["tree", "consensus_high"] <= 1.0
    page = comparison._repr_html_()
    assert page.startswith("<table><caption>Comparison(scenario=&#x27;compare-22&#x27;")
    assert "<td>tree</td>" in page
    assert "<td>42 [42, 42]</td>" in page
