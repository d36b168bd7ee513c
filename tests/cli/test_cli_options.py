"""Options shared by `run`, `compare` and `sweep`: `--seed` and `--plugin`, as a user types them."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CANONICAL = ROOT / "scenarios" / "canonical-22.yaml"
TEST_PLUGIN = str(ROOT / "tests" / "plugins" / "sweep_agents.py")
CLI = str(ROOT / ".venv" / "bin" / "convergence")


def _cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CLI, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize("command", ["run", "compare", "sweep"])
def test_a_negative_seed_is_a_usage_error_before_anything_runs(command: str, tmp_path: Path) -> None:
    done = _cli(command, str(CANONICAL), "--seed", "-1", "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert done.returncode == 2
    assert f"convergence {command}: error: argument --seed: must be >= 0, got -1" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


def test_a_seed_that_is_not_a_number_is_a_usage_error(tmp_path: Path) -> None:
    done = _cli("run", str(CANONICAL), "--seed", "three", cwd=tmp_path)
    assert done.returncode == 2
    assert "argument --seed: expected a whole number, got 'three'" in done.stderr


def test_seed_zero_is_a_valid_seed(tmp_path: Path) -> None:
    done = _cli("run", str(CANONICAL), "--seed", "0", "--out", str(tmp_path / "r"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "r" / "summary.json").read_text())["seed"] == 0


def test_run_loads_a_plugin_behaviour_before_the_scenario(tmp_path: Path) -> None:
    log = tmp_path / "runs.log"
    env = {**os.environ, "CONVERGENCE_TEST_RUN_LOG": str(log)}
    done = _cli(
        "run",
        str(CANONICAL),
        "--plugin",
        TEST_PLUGIN,
        "--set",
        "agents.behaviour=counted-mean",
        "--out",
        str(tmp_path / "r"),
        cwd=tmp_path,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert log.read_text().count("\n") >= 1  # the plugin's behaviour was built
    assert "counted-mean" in (tmp_path / "r" / "scenario.yaml").read_text()


def test_run_without_the_plugin_names_the_unknown_behaviour(tmp_path: Path) -> None:
    done = _cli("run", str(CANONICAL), "--set", "agents.behaviour=counted-mean", cwd=tmp_path)
    assert done.returncode == 2
    assert "counted-mean" in done.stderr
    assert "Traceback" not in done.stderr


def test_run_names_a_missing_plugin_file(tmp_path: Path) -> None:
    done = _cli("run", str(CANONICAL), "--plugin", str(tmp_path / "nope.py"), cwd=tmp_path)
    assert (done.returncode, done.stderr) == (2, f"error: plugin file '{tmp_path / 'nope.py'}' not found\n")
