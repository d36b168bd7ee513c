"""The scenario commands as a new user meets them: real files, the real executable."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from convergence.loader import load_scenario

ROOT = Path(__file__).resolve().parent.parent
EXECUTABLE = Path(sys.executable).parent / "convergence"

# Every bad input of issue 3: file text and one anchored pattern per expected error line
# (`{file}` stands for the file's path).
BAD_INPUTS: dict[str, tuple[str, list[str]]] = {
    "unknown-key": (
        "name: x\ncolour: red\n",
        [r"{file}:2:1: colour: unknown field 'colour'; expected one of: .*"],
    ),
    "near-miss": (
        "network:\n  latancy: {median: 5ms}\n",
        [r"{file}:2:3: network\.latancy: unknown field 'latancy' \(did you mean 'latency'\?\)"],
    ),
    "wrong-type": (
        "agents: {count: many}\n",
        [r"{file}:1:17: agents\.count: expected an integer, got 'many'"],
    ),
    "out-of-range": ("network: {drop: 1.5}\n", [r"{file}:1:17: network\.drop: must be <= 1, got 1\.5"]),
    "duplicate-key": ("seed: 1\nseed: 2\n", [r"{file}:2:1: seed: duplicate key 'seed' .*"]),
    "no-is-not-false": (
        "protocol: {target: no}\n",
        [r"{file}:1:20: protocol\.target: expected a number, got 'no'"],
    ),
    "tab": ("agents:\n\tcount: 3\n", [r"{file}:2:1: agents\.count: tab character in indentation; .*"]),
    "unsafe-tag": (
        "name: !!python/object:os.system x\n",
        [r"{file}:1:7: name: tag '!!python/object:os\.system' .*"],
    ),
    "alias-bomb": (
        "a: &a [x, x, x, x, x, x, x, x, x]\n"
        + "".join(
            f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)
        ),
        [r"{file}:\d+: [a-i]: aliases expand to more than \d+ nodes .*"],
    ),
    "empty": ("", [r"{file}: the file is empty; .*"]),
    "nan": (
        "task: {dimensions: 1, truth: [.nan]}\n",
        [r"{file}:1:31: task\.truth\.0: must be a finite number, got \.nan"],
    ),
    "two-errors": (
        "seed: -1\nagents: {count: 0}\n",
        [r"{file}:1:7: seed: must be >= 0, got -1", r"{file}:2:17: agents\.count: must be >= 1, got 0"],
    ),
}


def convergence(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(EXECUTABLE), *args], capture_output=True, text=True, cwd=cwd, timeout=60, check=False
    )


def error_lines(stderr: str) -> list[str]:
    assert "Traceback" not in stderr, stderr
    lines = stderr.splitlines()
    assert all(line.startswith("error: ") for line in lines), stderr
    return [line.removeprefix("error: ") for line in lines]


def test_validate_the_library_passes() -> None:
    files = sorted(str(path.relative_to(ROOT)) for path in (ROOT / "scenarios").glob("*.yaml"))
    result = convergence("validate", *files)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert len(result.stdout.splitlines()) == len(files)


def test_validate_every_bad_input_one_line_per_error(tmp_path: Path) -> None:
    paths = {}
    for name, (text, _) in BAD_INPUTS.items():
        paths[name] = tmp_path / f"{name}.yaml"
        paths[name].write_text(text, encoding="utf-8")
    result = convergence("validate", *(str(path) for path in paths.values()), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = error_lines(result.stderr)
    expected = [
        pattern.format(file=re.escape(str(paths[name])))
        for name, (_, patterns) in BAD_INPUTS.items()
        for pattern in patterns
    ]
    assert len(lines) == len(expected), lines
    for line, pattern in zip(lines, expected, strict=True):
        assert re.fullmatch(pattern, line), (line, pattern)


def test_validate_missing_file(tmp_path: Path) -> None:
    result = convergence("validate", "missing.yaml", cwd=tmp_path)
    assert result.returncode == 2
    assert error_lines(result.stderr) == ["missing.yaml: cannot read file: No such file or directory"]


def test_validate_extends_cycle(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("extends: b.yaml\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\n", encoding="utf-8")
    result = convergence("validate", "a.yaml", cwd=tmp_path)
    assert result.returncode == 2
    (line,) = error_lines(result.stderr)
    assert re.fullmatch(r"b\.yaml:1:1: extends: extends cycle: a\.yaml -> b\.yaml -> a\.yaml; .*", line)


@pytest.mark.parametrize(
    ("override", "pattern"),
    [
        (
            "network.latancy=5ms",
            r"--set network\.latancy=5ms: network\.latancy: unknown field 'latancy' \(did you mean .*",
        ),
        ("agents.count=many", r"--set agents\.count=many: agents\.count: expected an integer, got 'many'"),
    ],
    ids=["bad-set-path", "bad-set-value"],
)
def test_show_with_a_bad_set(override: str, pattern: str) -> None:
    result = convergence("show", "scenarios/canonical-22.yaml", "--set", override)
    assert result.returncode == 2
    assert result.stdout == ""
    (line,) = error_lines(result.stderr)
    assert re.fullmatch(pattern, line), line


def test_run_refuses_a_bad_file_before_starting(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("network:\n  latancy: {median: 5ms}\n", encoding="utf-8")
    result = convergence("run", str(bad), "--out", str(tmp_path / "run"), cwd=tmp_path)
    assert result.returncode == 2
    assert len(error_lines(result.stderr)) == 1
    assert not (tmp_path / "run").exists()


def test_show_prints_the_resolved_scenario_that_loads_back_equal(tmp_path: Path) -> None:
    result = convergence("show", "scenarios/scale-176.yaml", "--set", "network.drop=0.05")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# scenarios/scale-176.yaml --set network.drop=0.05, resolved\n")
    assert "extends" not in result.stdout
    shown = tmp_path / "shown.yaml"
    shown.write_text(result.stdout, encoding="utf-8")
    expected = load_scenario(ROOT / "scenarios" / "scale-176.yaml", ["network.drop=0.05"])
    assert load_scenario(shown) == expected


def test_schema_command_prints_the_committed_schema() -> None:
    result = convergence("schema")
    assert result.returncode == 0, result.stderr
    schema = json.loads(result.stdout)
    assert schema == json.loads((ROOT / "scenarios" / "schema.json").read_text(encoding="utf-8"))
    assert schema["additionalProperties"] is False
    assert {"extends", "agents", "network", "protocol"} <= set(schema["properties"])


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("seed: -1\n", encoding="utf-8")
    result = convergence("--debug", "show", str(bad), cwd=tmp_path)
    assert result.returncode != 0
    assert "ScenarioError" in result.stderr
