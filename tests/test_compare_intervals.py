"""Intervals as the user reads them: bounded metrics stay in their range, and a time ratio
whose interval holds 1 is reported as no detectable difference."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import matplotlib
import pytest
from rich.console import Console

from convergence.comparison import Comparison, compare
from convergence.comparison_report import speedup_lines
from convergence.results import SweepResult
from convergence.stats import METRIC_RANGES, Interval, mean_interval, t_quantile

matplotlib.use("Agg")

REPO = Path(__file__).resolve().parent.parent
COMPARE_22 = REPO / "scenarios" / "compare-22.yaml"


def _text(renderable: object) -> str:
    console = Console(width=200, record=True, force_terminal=False)
    console.print(renderable)
    return console.export_text()


def test_mean_interval_is_clipped_to_the_bounds_only_where_it_crosses_them() -> None:
    values = [1.0, 1.0, 0.9]
    half = t_quantile(0.975, 2) * float((sum((v - 29 / 30) ** 2 for v in values) / 2) ** 0.5) / math.sqrt(3)
    free = mean_interval(values)
    assert free.high == pytest.approx(29 / 30 + half)
    assert free.high is not None
    assert free.high > 1.0  # the unclipped t-interval leaves [0, 1]
    clipped = mean_interval(values, bounds=(0.0, 1.0))
    assert (clipped.estimate, clipped.low, clipped.high, clipped.n) == (free.estimate, free.low, 1.0, 3)
    sps = mean_interval([100.0, 99.0, 100.0, 0.5], bounds=METRIC_RANGES["sps"])
    assert (sps.low, sps.high) == (0.0, 100.0)


def test_bounded_metrics_are_the_scores_and_the_percentage() -> None:
    assert METRIC_RANGES == {
        "consensus": (0.0, 1.0),
        "accuracy": (0.0, 1.0),
        "cqi": (0.0, 1.0),
        "sps": (0.0, 100.0),
    }


@pytest.fixture(scope="module")
def tree_vs_symmetric() -> Comparison:
    return compare(COMPARE_22, protocols=["symmetric", "tree"], replicates=5, workers=1)


def test_compare_keeps_every_bounded_interval_inside_its_range(tree_vs_symmetric: Comparison) -> None:
    for stats in tree_vs_symmetric.stats:
        for metric, (low, high) in METRIC_RANGES.items():
            interval = stats.means.get(metric)
            if interval is None or interval.low is None or interval.high is None:
                continue
            assert low <= interval.low <= interval.high <= high, (stats.protocol, metric, interval)


def test_a_ratio_interval_holding_one_is_no_detectable_difference(tree_vs_symmetric: Comparison) -> None:
    tree = tree_vs_symmetric.stats[1]
    ratio = tree.ratios["time_to_consensus_s"]
    assert ratio.low is not None
    assert ratio.high is not None
    assert ratio.low < 1 < ratio.high  # compare-22, 5 seeds: the tree is not detectably faster
    text = _text(speedup_lines(tree_vs_symmetric))
    assert text.startswith("tree vs symmetric: no detectable difference in time (x")
    assert text.endswith(f"{ratio.high:#.3g}], {ratio.n} paired seeds)\n\n")
    assert "more" not in text
    assert "saves" not in text


@pytest.mark.parametrize(
    ("ratio", "expected"),
    [
        (
            Interval(0.5, 0.4, 0.6, 5),
            "tree needs x0.500 [0.400, 0.600] the time symmetric needs: symmetric needs 100% [67%, 150%]",
        ),
        (
            Interval(2.0, 1.5, 2.5, 5),
            "tree needs x2.00 [1.50, 2.50] the time symmetric needs: symmetric saves 50% [33%, 60%]",
        ),
        (
            Interval(0.973, 0.923, 1.0, 5),
            "tree vs symmetric: no detectable difference in time (x0.973 [0.923, 1.00], 5 paired",
        ),
    ],
)
def test_a_clear_ratio_is_still_stated_in_words(
    tree_vs_symmetric: Comparison, ratio: Interval, expected: str
) -> None:
    symmetric, tree = tree_vs_symmetric.stats
    tree = dataclasses.replace(tree, ratios={**tree.ratios, "time_to_consensus_s": ratio})
    comparison = dataclasses.replace(tree_vs_symmetric, stats=[symmetric, tree])
    assert _text(speedup_lines(comparison)).startswith(expected)


def test_sweep_plot_band_stays_inside_the_metric_range() -> None:
    rows = [
        {"point": 0, "replicate": r, "status": "ok", "agents.count": 8, "consensus": c}
        for r, c in enumerate([1.0, 1.0, 0.7])
    ]
    ax = SweepResult(rows, {"agents.count": [8, 10]}, 3, 1).plot()
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    assert band.max() == 1.0
    assert band.min() == pytest.approx(0.9 - t_quantile(0.975, 2) * math.sqrt(0.03) / math.sqrt(3))
