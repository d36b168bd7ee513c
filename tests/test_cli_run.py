"""`convergence run` and `convergence plan` as a user runs them: a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import SCENARIOS

CLI = [sys.executable, "-m", "convergence"]


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def test_run_writes_a_consistent_run_directory(tmp_path: Path) -> None:
    proc = _run("run", str(SCENARIOS / "canonical-22.yaml"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    run_dir = tmp_path / "runs" / "canonical-22-7"
    assert sorted(p.name for p in run_dir.iterdir()) == ["events.jsonl", "scenario.yaml", "summary.json"]
    events = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]
    summary = json.loads((run_dir / "summary.json").read_text())
    for key in (
        "scenario", "seed", "n_agents", "protocol", "consensus", "time_to_consensus_s",
        "messages_sent", "messages_dropped", "error", "wall_time_s", "phases",
    ):  # fmt: skip
        assert key in summary
    assert summary["scenario"] == "canonical-22"
    assert summary["seed"] == 7
    assert summary["n_agents"] == 22
    end = events[-1]
    assert end["event"] == "run_end"
    assert summary["consensus"] == end["consensus"]
    assert summary["messages_sent"] == end["messages_sent"] == sum(p["messages"] for p in summary["phases"])
    assert [p["level"] for p in summary["phases"]] == list(range(7))
    assert [p["t_end_s"] for p in summary["phases"]] == [e["t"] for e in events if e["event"] == "phase_end"]
    for phase in summary["phases"]:
        assert set(phase) >= {"name", "level", "groups", "messages", "consensus", "dispersion", "t_end_s"}
    assert "canonical-22" in proc.stdout
    assert "consensus" in proc.stdout


def test_run_twice_never_overwrites_and_logs_are_byte_identical(tmp_path: Path) -> None:
    scenario = str(SCENARIOS / "canonical-22.yaml")
    assert _run("run", scenario, cwd=tmp_path).returncode == 0
    assert _run("run", scenario, cwd=tmp_path).returncode == 0
    first, second = tmp_path / "runs" / "canonical-22-7", tmp_path / "runs" / "canonical-22-7-2"
    assert (first / "events.jsonl").read_bytes() == (second / "events.jsonl").read_bytes()
    a = json.loads((first / "summary.json").read_text())
    b = json.loads((second / "summary.json").read_text())
    a.pop("wall_time_s")
    b.pop("wall_time_s")
    assert a == b
    assert _run("run", scenario, "--seed", "8", cwd=tmp_path).returncode == 0
    third = tmp_path / "runs" / "canonical-22-8"
    assert (third / "events.jsonl").read_bytes() != (first / "events.jsonl").read_bytes()


def test_run_with_overrides_and_explicit_out(tmp_path: Path) -> None:
    out = tmp_path / "big"
    proc = _run(
        "run", str(SCENARIOS / "canonical-22.yaml"), "--set", "agents.count=176",
        "--set", "network.drop=0", "--out", str(out), cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["n_agents"] == 176
    assert summary["consensus"] > 0.999999
    assert "count: 176" in (out / "scenario.yaml").read_text()


def test_run_refuses_a_non_empty_out_directory(tmp_path: Path) -> None:
    out = tmp_path / "taken"
    out.mkdir()
    (out / "keep.txt").write_text("precious")
    proc = _run("run", str(SCENARIOS / "canonical-22.yaml"), "--out", str(out), cwd=tmp_path)
    assert proc.returncode == 2
    assert "exists and is not empty" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert (out / "keep.txt").read_text() == "precious"


def test_bad_override_is_one_line_error_with_exit_2(tmp_path: Path) -> None:
    proc = _run("run", str(SCENARIOS / "canonical-22.yaml"), "--set", "agents.cout=5", cwd=tmp_path)
    assert proc.returncode == 2
    assert "agents.cout" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_plan_prints_the_tree_for_any_n(tmp_path: Path) -> None:
    proc = _run("plan", "--agents", "22", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for text in ("pairs", "quads", "octads", "full", "observers: agents 20-21", "bye"):
        assert text in proc.stdout
    assert _run("plan", "--agents", "1", cwd=tmp_path).returncode == 0
    assert "100000" in _run("plan", "--agents", "100000", cwd=tmp_path).stdout


def test_out_naming_a_file_is_a_one_line_error(tmp_path: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("keep")
    for out, message in (
        (afile, "is a file, not a directory"),
        (afile / "sub", "cannot create run directory"),
    ):
        proc = _run("run", str(SCENARIOS / "canonical-22.yaml"), "--out", str(out), cwd=tmp_path)
        assert proc.returncode == 2
        assert message in proc.stderr
        assert "Traceback" not in proc.stderr
    assert afile.read_text() == "keep"


def test_unknown_behaviour_is_refused_by_validate_and_run_with_a_suggestion(tmp_path: Path) -> None:
    path = tmp_path / "typo.yaml"
    path.write_text("name: typo\nagents:\n  count: 4\n  behaviour: weighted-meen\n")
    for command in ("validate", "run"):
        proc = _run(command, str(path), cwd=tmp_path)
        assert proc.returncode == 2
        assert proc.stderr.strip() == (
            f"error: {path}:4:14: agents.behaviour: unknown agent behaviour 'weighted-meen' "
            "(did you mean 'weighted-mean'?)"
        )


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    proc = subprocess.run(
        f"{sys.executable} -m convergence schema | head -1",
        shell=True,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.stdout.strip() == "{"
    assert "Traceback" not in proc.stderr
