"""The `check` table keeps oracle names whole at 80 columns; counts of one are singular."""

from __future__ import annotations

import subprocess
import sys

from convergence.oracles import load_oracles


def _cli(*args: str, columns: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "convergence", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"COLUMNS": str(columns), "PATH": "/usr/bin:/bin"},
    )


def test_check_at_80_columns_shows_every_oracle_name_whole() -> None:
    names = sorted(load_oracles(), key=len, reverse=True)[:3]  # the longest names
    done = _cli("check", *names, "all-to-all-22", columns=80)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "…" not in done.stdout
    for name in [*names, "all-to-all-22"]:
        assert any(line.startswith(f"│ {name} ") for line in lines), name


def test_a_one_step_count_is_singular() -> None:
    done = _cli("check", "all-to-all-22", columns=200)
    assert done.returncode == 0, done.stderr
    assert "1 step, 462 messages" in done.stdout
    assert "1 steps" not in done.stdout


def test_plan_for_one_agent_says_agent() -> None:
    done = _cli("plan", "--agents", "1", columns=80)
    assert done.returncode == 0, done.stderr
    assert "broadcasts the task to 1 agent\n" in done.stdout
    assert "broadcasts the task to 2 agents\n" in _cli("plan", "--agents", "2", columns=80).stdout
