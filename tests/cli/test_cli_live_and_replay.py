"""`run --live` off a terminal, Ctrl-C, and `replay`: the CLI as a subprocess on real files."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from convergence.summary import summarize

ROOT = Path(__file__).resolve().parents[2]
CANONICAL = ROOT / "scenarios" / "canonical-22.yaml"


def cli(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "convergence", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        check=False,
    )


def without_wall(summary: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in summary.items() if key != "wall_time_s"}


def strip_wall(text: str) -> str:
    return re.sub(r"wall [0-9.]+ms", "wall", text)


def read_events(run_dir: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("env", [{}, {"CI": "1", "TERM": "xterm-256color"}])
def test_c12_live_on_a_pipe_prints_plain_bounded_lines_and_the_same_results(
    tmp_path: Path, env: dict[str, str]
) -> None:
    live = cli("run", CANONICAL, "--live", "--speed", "max", "--out", tmp_path / "live", env=env)
    plain = cli("run", CANONICAL, "--out", tmp_path / "plain", env=env)
    assert live.returncode == 0, live.stderr
    assert plain.returncode == 0, plain.stderr
    assert "\x1b" not in live.stdout
    assert "\x1b" not in live.stderr
    assert live.stderr.count("--live needs a full terminal") == 1
    lines = live.stdout.splitlines()
    assert len(lines) <= 40
    assert lines[0] == "run canonical-22: protocol symmetric, N=22, seed 7"
    assert sum("done: consensus" in line for line in lines) == 7
    # the summary table follows the progress lines, as in a plain run
    expected = strip_wall(plain.stdout).replace(str(tmp_path / "plain"), str(tmp_path / "live"))
    assert strip_wall(live.stdout).endswith(expected)
    a, b = (json.loads((tmp_path / d / "summary.json").read_text()) for d in ("live", "plain"))
    assert without_wall(a) == without_wall(b)
    assert (tmp_path / "live" / "events.jsonl").read_bytes() == (
        tmp_path / "plain" / "events.jsonl"
    ).read_bytes()


def test_sigint_mid_run_keeps_the_events_and_marks_the_summary_interrupted(tmp_path: Path) -> None:
    out = tmp_path / "run"
    # slow pacing (0.01 virtual s per wall s: the whole run would take ~17 s) to stop it midway
    process = subprocess.Popen(
        [sys.executable, "-m", "convergence", "run", str(CANONICAL), "--speed", "0.01", "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # a test run started in the background inherits SIGINT ignored; the child must not
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 60
    events = out / "events.jsonl"
    while time.monotonic() < deadline and (not events.exists() or events.read_text().count("\n") < 40):
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    recorded = read_events(out)  # every line parses on its own
    assert 40 <= len(recorded) < 161
    assert recorded[0]["event"] == "run_start"
    assert all(e["event"] != "run_end" for e in recorded)
    # the record stops at the interrupt: no level the run never reached is reported as ended
    assert not [e for e in recorded if e["event"] == "phase_end" and e["name"] == "full"]
    assert recorded[-1]["t"] < 0.1
    summary = json.loads((out / "summary.json").read_text())
    assert summary["interrupted"] is True
    assert without_wall(summary) == json.loads(json.dumps(summarize(recorded)))
    assert "INTERRUPTED" in stdout
    assert f"kept {len(recorded)} events" in stdout


@pytest.mark.parametrize(
    ("scenario", "overrides"),
    [
        ("canonical-22", []),
        ("crash-22", []),
        ("byzantine-22", []),
        ("canonical-22", ["--set", "network.drop=0.2"]),
        ("canonical-22", ["--set", "agents.count=37", "--seed", "3"]),
    ],
)
def test_replay_rebuilds_the_recorded_summary(tmp_path: Path, scenario: str, overrides: list[str]) -> None:
    out = tmp_path / "run"
    assert cli("run", ROOT / "scenarios" / f"{scenario}.yaml", *overrides, "--out", out).returncode == 0
    replayed = cli("replay", out, "--json")
    assert replayed.returncode == 0, replayed.stderr
    recorded = json.loads((out / "summary.json").read_text())
    assert json.loads(replayed.stdout) == without_wall(recorded)
    if scenario == "crash-22":
        assert len(recorded["crashed"]) == 3
    if "network.drop=0.2" in overrides:
        assert recorded["messages_dropped"] > 0
    table = cli("replay", out)
    assert table.returncode == 0
    assert "\x1b" not in table.stdout
    assert f"consensus {recorded['consensus']:.4f}" in table.stdout


def test_replay_live_off_a_terminal_falls_back_to_plain_lines(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert cli("run", CANONICAL, "--out", out).returncode == 0
    replayed = cli("replay", out, "--live", "--speed", "max")
    assert replayed.returncode == 0
    assert replayed.stderr.count("--live needs a full terminal") == 1
    assert replayed.stdout.startswith("run canonical-22: protocol symmetric, N=22, seed 7\n")


def test_replay_tolerates_a_cut_last_line_but_not_a_broken_one(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert cli("run", CANONICAL, "--out", out).returncode == 0
    lines = (out / "events.jsonl").read_text().splitlines()
    (out / "events.jsonl").write_text("\n".join(lines[:50]) + "\n" + lines[50][:20])
    cut = cli("replay", out, "--json")
    assert cut.returncode == 0
    assert json.loads(cut.stdout)["interrupted"] is True
    (out / "events.jsonl").write_text("\n".join([*lines[:5], "{oops", *lines[5:]]) + "\n")
    broken = cli("replay", out)
    assert broken.returncode == 2
    assert broken.stderr.startswith(f"error: {out / 'events.jsonl'}:6: not a JSON event")
    missing = cli("replay", tmp_path / "nowhere")
    assert missing.returncode == 2
    assert "is " in missing.stderr
    assert "a run directory?" in missing.stderr
