"""Every protocol runs on Zachary's karate club from the scenario file and ends in consensus."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from convergence.engine import simulate
from convergence.loader import load_scenario
from convergence.protocols import PROTOCOLS

KARATE = Path(__file__).resolve().parents[1] / "scenarios" / "karate-club.yaml"


@pytest.mark.parametrize("protocol", sorted(PROTOCOLS))
def test_every_protocol_reaches_consensus_on_the_karate_club(protocol: str) -> None:
    scenario = load_scenario(KARATE, [f"protocol.name={protocol}"])
    assert scenario.agents.count == 34
    summary = simulate(scenario).summary
    assert summary["time_to_consensus_s"] is not None
    assert summary["consensus"] >= scenario.protocol.target


def test_karate_club_runs_from_the_command_line(tmp_path: Path) -> None:
    out = tmp_path / "run"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "convergence",
            "run",
            str(KARATE),
            "--set",
            "protocol.name=gossip",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert (summary["protocol"], summary["n_agents"]) == ("gossip", 34)
    assert summary["stop_reason"] == "target"
