"""SPS, RER and CQI: definitions against hand numbers, the canonical run, summary from events."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from convergence.engine import simulate
from convergence.loader import load_scenario
from convergence.quality import cqi, rer, sps
from convergence.report import format_members
from convergence.summary import summarize

ROOT = Path(__file__).resolve().parents[1]


def test_sps_counts_used_over_planned() -> None:
    assert sps([{"planned": 4, "used": 3}, {"planned": 4, "used": 2}]) == 62.5
    assert sps([]) is None


def test_rer_is_dispersion_removed_per_message_relative_to_level_1() -> None:
    phases = [
        {"level": 0, "dispersion": 8.0, "messages": 22},
        {"level": 1, "dispersion": 4.0, "messages": 10},
        {"level": 2, "dispersion": 1.0, "messages": 40},
        {"level": 3, "dispersion": 0.0, "messages": 20},
    ]
    rows = rer(phases, d0=8.0)
    e1, e2 = math.log(2) / 10, math.log(4) / 40
    assert [row["e"] for row in rows[:2]] == [pytest.approx(e1), pytest.approx(e2)]
    assert rows[1]["rer"] == pytest.approx(e2 / e1)
    # Exact consensus: D floored at 1e-12 x D0, so RER stays finite.
    assert rows[2]["e"] == pytest.approx(math.log(1.0 / 8e-12) / 20)


def test_cqi_multiplies_consensus_sps_and_efficiency() -> None:
    assert cqi(0.9, 50.0, 22, 84)["cqi"] == pytest.approx(0.9 * 0.5 * 42 / 84)
    assert cqi(0.9, 50.0, 22, 21)["efficiency"] == 1.0
    assert cqi(0.9, None, 22, 21)["cqi"] is None


def test_fault_free_canonical_run_has_sps_100_and_finite_rer_and_cqi() -> None:
    summary = simulate(load_scenario(ROOT / "scenarios/canonical-22.yaml", ["network.drop=0"])).summary
    assert summary["sps"] == 100.0
    assert summary["exchanges"][0] == {"level": 1, "planned": 22, "used": 22}
    assert summary["rer"][0] == 1.0
    assert all(math.isfinite(value) for value in summary["rer"])
    assert summary["m_used"] == 146  # 168 sent minus the 22-message task broadcast
    assert summary["cqi"] == pytest.approx(summary["consensus"] * 42 / 146)


def test_cli_prints_flags_quality_line_and_explanations_and_summary_replays(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "convergence",
            "run",
            str(ROOT / "scenarios/byzantine-22.yaml"),
            "--out",
            str(tmp_path / "run"),
            "--explain-metrics",
        ],
        check=True,
        capture_output=True,
        text=True,
        env={"COLUMNS": "120", "PATH": "/usr/bin:/bin"},
    )
    # The summary is computable from events.jsonl alone.
    events = [json.loads(line) for line in (tmp_path / "run" / "events.jsonl").read_text().splitlines()]
    recorded = json.loads((tmp_path / "run" / "summary.json").read_text())
    recorded.pop("wall_time_s")
    assert json.loads(json.dumps(summarize(events))) == recorded
    out = done.stdout
    summary = recorded
    liars = summary["validation"]["faulty"]
    assert "recursive validation (observers' failed checks)" in out
    assert f"│     1 │ backward  │ {format_members(liars)} " in out
    assert f"SPS {summary['sps']:.1f}" in out
    # trimmed-mean with trim 2 keeps its state in pairs: e_1 = 0 leaves RER undefined, said so.
    assert summary["rer_levels"][0]["e"] == 0
    assert "(undefined: level 1 removed no dispersion, e_1 = 0)" in out
    assert f"CQI {summary['cqi']:.4f}" in out
    assert "precision 1.000   recall 1.000" in out
    for name in ("SPS:", "RER:", "CQI:"):
        assert name in out


@pytest.mark.parametrize("name", ["byzantine-22", "crash-22", "partition-22", "stragglers-22"])
def test_fault_scenarios_load_and_say_what_to_look_at(name: str) -> None:
    path = ROOT / "scenarios" / f"{name}.yaml"
    assert path.read_text().startswith(f"# {name}:")
    assert load_scenario(path).name == name


def test_tree_uses_exactly_m_min_messages_so_its_fault_free_cqi_is_1() -> None:
    summary = simulate(load_scenario(ROOT / "scenarios/canonical-22.yaml", ["protocol.name=tree"])).summary
    assert summary["m_used"] == 42 == summary["m_min"]
    assert summary["sps"] == 100.0
    assert summary["cqi"] == pytest.approx(summary["consensus"])
