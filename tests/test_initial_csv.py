"""Initial states from a CSV file: resolution relative to the scenario, and clear errors."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from convergence.engine import simulate
from convergence.errors import ScenarioError
from convergence.loader import load_scenario


def _scenario(tmp_path: Path, csv: str, *, task: str = "kind: estimate", count: int = 3) -> Path:
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    (data / "initial.csv").write_text(csv, encoding="utf-8")
    path = tmp_path / "s.yaml"
    path.write_text(
        f"agents: {{count: {count}}}\ntask: {{{task}, initial: data/initial.csv}}\n", encoding="utf-8"
    )
    return path


def test_rows_become_the_initial_states(tmp_path: Path) -> None:
    csv = "# opinions of three people\nx,y\n0.1,0.2\n\n0.3,0.4\n0.5,0.6\n"
    path = _scenario(tmp_path, csv, task="kind: opinion, dimensions: 2")
    scenario = load_scenario(path)
    assert scenario.task.initial == str((tmp_path / "data" / "initial.csv").resolve())
    result = simulate(scenario)
    assert np.allclose(result.final_values, [[0.3, 0.4]] * 3)


def test_a_relative_path_is_from_the_scenario_folder_not_the_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _scenario(tmp_path, "1\n2\n3\n")
    monkeypatch.chdir("/")
    assert load_scenario(path).task.initial == str(tmp_path.resolve() / "data" / "initial.csv")


@pytest.mark.parametrize(
    ("csv", "task", "message"),
    [
        (
            "1\n2\n",
            "kind: estimate",
            r"initial.csv: task.initial: has 2 rows of initial states but agents.count is 3$",
        ),
        (
            "1\n2\n3\n4\n",
            "kind: estimate",
            r": task.initial: has 4 rows of initial states but agents.count is 3$",
        ),
        (
            "1\n2,5\n3\n",
            "kind: estimate",
            r"initial.csv:2: task.initial: expected 1 values \(dimensions\), got 2$",
        ),
        ("1\nnan\n3\n", "kind: estimate", r"initial.csv:2: task.initial: values must be finite, got nan$"),
        ("h\n1\n2\ninf\n", "kind: estimate", r"initial.csv:4: task.initial: values must be finite, got inf$"),
        ("1\nx\n3\n", "kind: estimate", r"initial.csv:2: task.initial: not a number: 'x'$"),
        (
            "0.1\n1.5\n0\n",
            "kind: opinion",
            r"initial.csv:2: task.initial: opinions must lie in \[0, 1\], got 1.5$",
        ),
        (
            "1,0\n0.5,0.4\n0,1\n",
            "kind: choice",
            r"initial.csv:2: task.initial: a vote vector must sum to 1, got 0.9$",
        ),
        (
            "1,0\n0,1\n0,1,0\n",
            "kind: choice",
            r"initial.csv:3: task.initial: expected 2 values \(options\), got 3$",
        ),
    ],
)
def test_bad_files_are_refused_with_file_line_and_field(
    tmp_path: Path, csv: str, task: str, message: str
) -> None:
    path = _scenario(tmp_path, csv, task=task)
    with pytest.raises(ScenarioError, match=message) as caught:
        load_scenario(path)
    assert str(tmp_path / "data" / "initial.csv") in str(caught.value)


def test_every_bad_row_is_reported(tmp_path: Path) -> None:
    path = _scenario(tmp_path, "nan\n2\ninf\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert [p.line for p in caught.value.problems] == [1, 3]


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("agents: {count: 3}\ntask: {initial: nowhere.csv}\n", encoding="utf-8")
    missing = re.escape(str(tmp_path.resolve() / "nowhere.csv"))
    with pytest.raises(ScenarioError, match=rf"^{missing}: task.initial: cannot read initial states: "):
        load_scenario(path)
