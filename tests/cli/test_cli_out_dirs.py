"""`compare` and `sweep` never overwrite or misuse an `--out` directory, and `sweep --plot`
checks its path before running anything."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CANONICAL = ROOT / "scenarios" / "canonical-22.yaml"
CLI = str(ROOT / ".venv" / "bin" / "convergence")
SMALL = ("--set", "agents.count=8")


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def _compare(out: Path) -> subprocess.CompletedProcess[str]:
    return _cli(
        "compare", str(CANONICAL), *SMALL, "--protocols", "symmetric,tree", "--replicates", "2",
        "--workers", "1", "--out", str(out), cwd=out.parent,
    )  # fmt: skip


def _sweep(out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return _cli(
        "sweep", str(CANONICAL), "--grid", "agents.count=6,8", "--workers", "1", "--out", str(out), *extra,
        cwd=out.parent,
    )  # fmt: skip


def test_compare_refuses_to_overwrite_an_earlier_comparison(tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    first = _compare(out)
    assert first.returncode == 0, first.stderr
    before = (out / "compare.json").read_text()
    again = _compare(out)
    assert again.returncode == 2
    assert again.stderr == f"error: run directory {out} exists and is not empty; choose another --out\n"
    assert (out / "compare.json").read_text() == before


def test_compare_and_sweep_refuse_a_file_as_out(tmp_path: Path) -> None:
    afile = tmp_path / "notes.txt"
    afile.write_text("mine\n")
    compared = _compare(afile)
    assert (compared.returncode, compared.stderr) == (
        2,
        f"error: --out {afile} is a file, not a directory; choose another --out\n",
    )
    swept = _sweep(afile)
    assert (swept.returncode, swept.stderr) == (
        2,
        f"error: {afile} is a file, not a directory; choose another out\n",
    )
    assert afile.read_text() == "mine\n"


def test_sweep_refuses_a_directory_holding_something_else_even_with_resume(tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    assert _compare(out).returncode == 0
    for extra in ((), ("--resume",)):
        swept = _sweep(out, *extra)
        assert swept.returncode == 2
        assert (
            swept.stderr
            == f"error: {out} is not empty and holds no sweep (no sweep.json); choose another out\n"
        )
    assert not (out / "results.jsonl").exists()


def test_sweep_reuses_its_own_directory_only_with_resume(tmp_path: Path) -> None:
    out = tmp_path / "sw"
    assert _sweep(out).returncode == 0
    again = _sweep(out)
    assert again.returncode == 2
    assert "already holds a sweep; resume it or choose another out" in again.stderr
    resumed = _sweep(out, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed: 2 runs were already saved" in resumed.stderr
    assert json.loads((out / "sweep.json").read_text())["status"] == "complete"


def test_sweep_checks_the_plot_folder_before_running(tmp_path: Path) -> None:
    out, plot = tmp_path / "sw", tmp_path / "missing" / "x.png"
    swept = _sweep(out, "--plot", str(plot))
    assert swept.returncode == 2
    assert swept.stderr == f"error: --plot {plot}: folder {plot.parent} does not exist\n"
    assert not out.exists()  # nothing ran


def test_sweep_refuses_a_directory_as_the_plot(tmp_path: Path) -> None:
    swept = _sweep(tmp_path / "sw", "--plot", str(tmp_path))
    assert swept.returncode == 2
    assert swept.stderr.startswith(f"error: --plot {tmp_path} is a directory")


def test_sweep_saves_the_plot_where_asked(tmp_path: Path) -> None:
    plot = tmp_path / "band.png"
    swept = _sweep(tmp_path / "sw", "--plot", str(plot), "--replicates", "2")
    assert swept.returncode == 0, swept.stderr
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
