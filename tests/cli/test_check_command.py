"""`convergence check`: the oracle table, exit codes, and registering a new oracle."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from convergence.cli import main
from convergence.oracles import ORACLES, OracleResult, load_oracles, oracle


def _check(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "convergence", "check", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )


def test_check_prints_expected_and_measured_and_exits_0() -> None:
    completed = _check("tree-22", "recursive-doubling-22", "degroot-disconnected")
    assert completed.returncode == 0, completed.stderr
    assert "10 steps, 42 messages" in completed.stdout
    assert "6 steps, 76 messages" in completed.stdout
    assert "3 passed, 0 failed" in completed.stdout


def test_check_unknown_oracle_exits_2_without_traceback() -> None:
    completed = _check("no-such-oracle")
    assert completed.returncode == 2
    assert completed.stderr.startswith("error: unknown oracle no-such-oracle (known: ")
    assert "Traceback" not in completed.stderr


@pytest.fixture
def failing_oracle() -> Iterator[str]:
    load_oracles()

    @oracle("always-wrong", "a test")
    def always_wrong() -> OracleResult:
        return OracleResult(expected="1", measured="2", passed=False)

    yield "always-wrong"
    del ORACLES["always-wrong"]


def test_a_failing_oracle_makes_check_exit_1(failing_oracle: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", failing_oracle, "tree-22"]) == 1
    assert "1 passed, 1 failed" in capsys.readouterr().out


def test_every_oracle_is_listed() -> None:
    completed = _check("--list")
    assert completed.returncode == 0
    for name in load_oracles():
        assert name in completed.stdout
