"""`convergence sweep` as a user runs it: progress, Ctrl-C (C24), --resume, bad input."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

import convergence

ROOT = Path(__file__).resolve().parents[1]
CANONICAL = ROOT / "scenarios" / "canonical-22.yaml"
TEST_PLUGIN = str(ROOT / "tests" / "plugins" / "sweep_agents.py")
CLI = str(ROOT / ".venv" / "bin" / "convergence")


def _command(out: Path, *extra: str) -> list[str]:
    return [
        CLI,
        "sweep",
        str(CANONICAL),
        "--set",
        "agents.behaviour=counted-mean",
        "--grid",
        "agents.count=8,9,10,11,12",
        "--replicates",
        "10",
        "--seed",
        "42",
        "--workers",
        "2",
        "--plugin",
        TEST_PLUGIN,
        "--out",
        str(out),
        *extra,
    ]


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
def test_c24_sigint_keeps_finished_points_and_resume_runs_only_the_rest(tmp_path: Path) -> None:
    out, log = tmp_path / "sweep", tmp_path / "runs.log"
    env = {**os.environ, "CONVERGENCE_TEST_RUN_LOG": str(log), "CONVERGENCE_TEST_MERGE_DELAY": "0.01"}
    process = subprocess.Popen(
        _command(out), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    results = out / "results.jsonl"
    deadline = time.monotonic() + 60
    while not (results.exists() and len(results.read_bytes().splitlines()) >= 10):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.02)
    workers = _children(process.pid)
    assert workers, "the sweep runs in worker processes"
    process.send_signal(signal.SIGINT)
    time.sleep(0.05)
    process.send_signal(signal.SIGINT)  # a second Ctrl-C while the first is being handled
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert f"runs saved in {out}\n" in stderr  # on one line, whatever the width
    assert "finish with the same command plus --resume\n" in stderr  # --out was already given
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in workers if _alive(pid)], "orphaned workers"

    saved = [json.loads(line) for line in results.read_text().splitlines()]  # every line valid
    assert 10 <= len(saved) < 50
    assert all(row["status"] == "ok" for row in saved)
    manifest = json.loads((out / "sweep.json").read_text())
    assert (manifest["status"], manifest["done"]) == ("interrupted", len(saved))
    assert convergence.load_sweep(out).status == "interrupted"

    runs_before = len(log.read_text().splitlines())
    env["CONVERGENCE_TEST_MERGE_DELAY"] = "0"
    resumed = subprocess.run(_command(out, "--resume"), env=env, capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resumed: {len(saved)} runs were already saved" in resumed.stderr
    assert len(log.read_text().splitlines()) - runs_before == 50 - len(saved)  # count the runs
    rows = [json.loads(line) for line in results.read_text().splitlines()]
    assert len(rows) == 50
    assert len({(r["point"], r["replicate"]) for r in rows}) == 50
    assert rows[: len(saved)] == saved
    assert json.loads((out / "sweep.json").read_text())["status"] == "complete"


def test_cli_sweep_rejects_a_bad_grid_value_naming_the_field(tmp_path: Path) -> None:
    done = subprocess.run(
        [CLI, "sweep", str(CANONICAL), "--grid", "agents.count=22,0", "--out", str(tmp_path / "s")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert done.stderr == ("error: grid point agents.count=0: agents.count: must be >= 1, got 0\n")
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "s" / "results.jsonl").exists()


def test_cli_resume_needs_out() -> None:
    done = subprocess.run([CLI, "sweep", str(CANONICAL), "--resume"], capture_output=True, text=True)
    assert (done.returncode, done.stderr) == (2, "error: --resume needs --out DIR (the sweep to finish)\n")
