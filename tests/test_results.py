"""Result and SweepResult as tables, CSV, plots, HTML and Rich renderings."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path
from typing import Any

import matplotlib
import pytest
from rich.console import Console

import convergence
from convergence.errors import ConvergenceError

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
CANONICAL = ROOT / "scenarios" / "canonical-22.yaml"


@pytest.fixture(scope="module")
def result() -> convergence.Result:
    return convergence.run_sync(CANONICAL)


@pytest.fixture(scope="module")
def table() -> convergence.SweepResult:
    grid: dict[str, list[Any]] = {"agents.count": [6, 12], "protocol.name": ["symmetric", "tree"]}
    return convergence.sweep(CANONICAL, grid, replicates=3, seed=1, workers=2)


def test_result_tables_come_from_the_runs_events(result: convergence.Result) -> None:
    phases = result.to_pandas("phases")
    assert list(phases["name"]) == [p["name"] for p in result.summary["phases"]]
    assert phases["messages"].sum() == result.summary["messages_sent"]
    timeline = result.to_pandas()
    assert list(timeline.columns[:4]) == ["t", "consensus", "dispersion", "messages"]
    assert timeline["consensus"].iloc[-1] == result.summary["consensus"]
    merges = [e for e in result.events if e["event"] == "merge"]
    assert len(result.to_pandas("groups")) == len(merges)
    # Every level's groups have the same schema; the last level holds everyone who merged.
    levels = {g["level"] for g in result.groups()}
    assert all(set(result.groups(level)[0]) == set(result.groups(1)[0]) for level in levels)
    assert len(result.to_pandas("events")) == len(result.events)
    with pytest.raises(ConvergenceError, match=r"^table must be one of timeline, phases, groups, events"):
        result.to_pandas("nope")


def test_result_renders_as_html_rich_and_a_phase_shaded_plot(
    result: convergence.Result, tmp_path: Path
) -> None:
    html = result._repr_html_()
    assert html.count("<table>") == 2
    assert "canonical-22 (symmetric, seed 7)" in html
    console = Console(width=80, record=True, file=io.StringIO())
    console.print(result)
    text = console.export_text()
    assert "consensus" in text
    assert f"{result.summary['messages_sent']}" in text
    ax = result.plot()
    assert [t.get_text() for t in ax.texts] == [p["name"] for p in result.summary["phases"]]
    assert len(ax.patches) == len(result.summary["phases"])
    path = result.to_csv(tmp_path / "timeline.csv")
    assert len(list(csv.DictReader(io.StringIO(path.read_text())))) == len(result.timeline)


def test_sweep_result_table_csv_and_plot_one_line_per_protocol(
    table: convergence.SweepResult, tmp_path: Path
) -> None:
    frame = table.to_pandas()
    assert len(frame) == 2 * 2 * 3
    assert list(frame.columns[:6]) == [
        "point",
        "replicate",
        "seed",
        "agents.count",
        "protocol.name",
        "status",
    ]
    assert (frame["protocol"] == frame["protocol.name"]).all()
    assert (frame["n_agents"] == frame["agents.count"]).all()
    rows = list(csv.DictReader(io.StringIO(table.to_csv(tmp_path / "sweep.csv").read_text())))
    assert [int(r["seed"]) for r in rows] == list(frame["seed"])
    ax = table.plot("messages_sent")
    assert ax.get_xlabel() == "agents.count"
    assert sorted(line.get_label() for line in ax.get_lines()) == ["symmetric", "tree"]
    tree = next(line for line in ax.get_lines() if line.get_label() == "tree")
    means = frame[frame["protocol.name"] == "tree"].groupby("agents.count")["messages_sent"].mean()
    assert list(tree.get_ydata()) == list(means)
    assert len(ax.collections) == 2  # a confidence band per protocol
    assert "sweep: 12 runs, 0 failed, complete" in table._repr_html_()
    assert repr(table).startswith(
        "<SweepResult sweep: 12 runs, 0 failed, complete; grid agents.count=[6, 12]"
    )


def test_missing_pandas_says_which_extra_to_install() -> None:
    code = (
        "import sys; sys.modules['pandas'] = None\n"
        "import convergence\n"
        "try:\n"
        "    convergence.run_sync('scenarios/canonical-22.yaml').to_pandas()\n"
        "except convergence.ConvergenceError as exc:\n"
        "    print(exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout == "to_pandas() needs pandas: pip install 'convergence[notebook]'\n"
