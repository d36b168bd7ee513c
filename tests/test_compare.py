"""`convergence compare` and `convergence.compare`: same seeds per protocol, paired statistics."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from convergence.comparison import BASELINE, ROW_FIELDS, compare, default_protocols
from convergence.comparison_report import comparison_view
from convergence.sweeper import replicate_seeds

REPO = Path(__file__).resolve().parent.parent
COMPARE_22 = REPO / "scenarios" / "compare-22.yaml"
CLI = [sys.executable, "-m", "convergence"]
ALL = ["symmetric", "all-to-all", "degroot", "gossip", "recursive-doubling", "tree", "push-sum"]


def _compare(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [*CLI, "compare", *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


def test_default_protocols_are_all_seven_symmetric_first() -> None:
    assert default_protocols() == ALL


@pytest.mark.slow
def test_compare_22_runs_every_protocol_and_is_reproducible(tmp_path: Path) -> None:
    first = _compare(str(COMPARE_22), "--replicates", "3", "--workers", "2", "--out", "a", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    for name in ALL:
        assert f"{name}: reached the target in " in first.stdout
    with (tmp_path / "a" / "compare.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(ALL) * 3
    assert [row["protocol"] for row in rows] == [name for name in ALL for _ in range(3)]
    seeds = [str(seed) for seed in replicate_seeds(22, 3)]
    for name in ALL:
        assert [row["seed"] for row in rows if row["protocol"] == name] == seeds
    report = json.loads((tmp_path / "a" / "compare.json").read_text(encoding="utf-8"))
    assert report["protocols"] == ALL
    assert [s["protocol"] for s in report["stats"]] == ALL
    # Same seeds, another worker count: byte-identical files.
    second = _compare(str(COMPARE_22), "--replicates", "3", "--workers", "1", "--out", "b", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    for name in ("compare.csv", "compare.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_unknown_protocol_is_a_one_line_error(tmp_path: Path) -> None:
    result = _compare(str(COMPARE_22), "--protocols", "symmetric,gosip", "--replicates", "1", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("error: unknown protocol 'gosip' (known: symmetric, all-to-all, ")
    assert "Traceback" not in result.stderr


def test_replicates_must_be_positive(tmp_path: Path) -> None:
    result = _compare(str(COMPARE_22), "--replicates", "0", cwd=tmp_path)
    assert result.returncode == 2
    assert "--replicates: must be >= 1, got 0" in result.stderr


def test_ratios_are_paired_by_seed_and_symmetric_is_one(tmp_path: Path) -> None:
    comparison = compare(COMPARE_22, protocols=["symmetric", "tree"], replicates=4, workers=1, out=tmp_path)
    assert comparison.seeds == replicate_seeds(22, 4)
    symmetric, tree = comparison.stats
    ratio = symmetric.ratios["time_to_consensus_s"]
    assert (ratio.estimate, ratio.low, ratio.high, ratio.n) == (1.0, 1.0, 1.0, 4)
    # The tree sends 2(N - 1) = 42 messages, symmetric 168: a ratio of exactly 1/4.
    assert tree.ratios["messages_to_consensus"].estimate == 42 / 168
    times = {(row["protocol"], row["seed"]): row["time_to_consensus_s"] for row in comparison.rows}
    expected = sum(times["tree", s] for s in comparison.seeds) / sum(
        times["symmetric", s] for s in comparison.seeds
    )
    assert tree.ratios["time_to_consensus_s"].estimate == pytest.approx(expected, rel=1e-12)
    assert set(comparison.rows[0]) == set(ROW_FIELDS)
    assert (tmp_path / "compare.csv").read_text(encoding="utf-8") == comparison.csv_text()


def test_a_choice_comparison_reports_accuracy_and_renders(tmp_path: Path) -> None:
    jury = REPO / "scenarios" / "jury-22.yaml"
    comparison = compare(jury, protocols=["symmetric", "all-to-all"], replicates=3, workers=1)
    assert comparison.accuracy_metric == "accuracy"
    assert all(row["accuracy"] in (0.0, 1.0) for row in comparison.rows)
    console = Console(width=100, record=True, force_terminal=False)
    console.print(comparison_view(comparison))
    text = console.export_text()
    assert "symmetric: reached the target in 3/3" in text
    assert f"x {BASELINE} [95% CI]" in text
    assert "accuracy" in text
    assert "all-to-all needs x" in text


def test_any_executor_gives_the_same_rows_as_the_local_pool() -> None:
    from concurrent.futures import ThreadPoolExecutor

    local = compare(COMPARE_22, protocols=["symmetric", "gossip"], replicates=2, workers=1)
    with ThreadPoolExecutor(max_workers=2) as pool:
        threaded = compare(COMPARE_22, protocols=["symmetric", "gossip"], replicates=2, executor=pool)
    assert threaded.rows == local.rows
    assert threaded.to_dict() == local.to_dict()
