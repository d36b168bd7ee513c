"""The live dashboard in a real terminal: tmux runs the command, capture-pane reads the screen."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CANONICAL = ROOT / "scenarios" / "canonical-22.yaml"
TMUX = shutil.which("tmux")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(TMUX is None, reason="tmux is not installed (make test installs it with apt-get)"),
]


class Pane:
    """One tmux server and pane, private to a test, running one command."""

    def __init__(self, socket: str, command: str, width: int, height: int) -> None:
        self.socket = socket
        shell = f"{command}; echo EXIT=$?; sleep 120"
        self.tmux("new-session", "-d", "-s", "t", "-x", str(width), "-y", str(height), "bash", "-c", shell)

    def tmux(self, *args: str) -> str:
        result = subprocess.run(
            [str(TMUX), "-L", self.socket, "-f", "/dev/null", *args],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        return result.stdout

    def screen(self, *, history: bool = False, join: bool = False) -> str:
        options = [*(["-S", "-"] if history else []), *(["-J"] if join else [])]
        return self.tmux("capture-pane", "-p", "-t", "t", *options)

    def flag(self, name: str) -> str:
        return self.tmux("display-message", "-p", "-t", "t", f"#{{{name}}}").strip()

    def wait_for(self, text: str, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen(history=True)
            if text in screen:
                return screen
            time.sleep(0.05)
        raise AssertionError(f"{text!r} never showed; the pane holds:\n{self.screen(history=True)}")

    def resize(self, width: int, height: int) -> None:
        self.tmux("resize-window", "-t", "t", "-x", str(width), "-y", str(height))


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[type[Pane]]:
    socket = f"convergence-test-{tmp_path.name}"
    yield Pane
    subprocess.run([str(TMUX), "-L", socket, "kill-server"], capture_output=True, check=False)


def open_pane(tmp_path: Path, args: list[str], width: int = 80, height: int = 24) -> Pane:
    command = shlex.join([sys.executable, "-m", "convergence", *args])
    where = shlex.quote(str(tmp_path))
    return Pane(f"convergence-test-{tmp_path.name}", f"cd {where} && {command}", width, height)


def assert_clean_history(pane: Pane, width: int) -> str:
    """One final frame in the whole history, no line wrapped by the terminal; returns it."""
    history = pane.screen(history=True)
    assert history.count(" canonical-22 · symmetric · seed 7") == 1, history
    assert pane.screen(history=True, join=True).count("\n") == history.count("\n"), "a line wrapped"
    assert all(len(line) <= width for line in history.splitlines())
    return history


def test_live_run_shows_the_final_frame_after_a_resize(terminal: type[Pane], tmp_path: Path) -> None:
    run = tmp_path / "run"
    pane = open_pane(tmp_path, ["run", str(CANONICAL), "--live", "--speed", "0.1", "--out", str(run)])
    pane.wait_for("─ merge tree")
    assert pane.flag("alternate_on") == "1"
    pane.wait_for("▶ quads")
    pane.resize(100, 30)
    pane.wait_for("EXIT=")
    assert pane.flag("alternate_on") == "0"
    history = assert_clean_history(pane, 100)
    assert "EXIT=0" in history
    summary = json.loads((run / "summary.json").read_text())
    for text in ("─ phases", "─ merge tree", "✓ full", "─ consensus over time", "─ agents"):
        assert text in history, text
    assert f"consensus  {summary['consensus']:.3f} / 0.98" in history
    assert f"recorded in {run}" in history.replace("\n", " ")
    assert "level-4   16:.97  bye" in history


def test_c14_256_agents_shrunk_to_60_columns(terminal: type[Pane], tmp_path: Path) -> None:
    args = ["run", str(CANONICAL), "--set", "agents.count=256", "--live", "--speed", "0.2", "--out", "run"]
    pane = open_pane(tmp_path, args)
    pane.wait_for("▶ pairs")
    pane.resize(60, 24)
    pane.wait_for("EXIT=")
    history = assert_clean_history(pane, 60)
    assert "N=256" in history
    closing = history[history.index("consensus 0.") :]
    assert "recorded in run" in closing.replace("\n", " ")  # the closing summary is whole


def test_ctrl_c_in_a_live_run_restores_the_terminal(terminal: type[Pane], tmp_path: Path) -> None:
    pane = open_pane(tmp_path, ["run", str(CANONICAL), "--live", "--speed", "0.005", "--out", "run"])
    pane.wait_for("▶ pairs")
    pane.tmux("send-keys", "-t", "t", "C-c")
    history = pane.wait_for("EXIT=")
    assert "EXIT=130" in history
    assert pane.flag("alternate_on") == "0"
    assert pane.flag("cursor_flag") == "1"
    assert "INTERRUPTED" in history
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["interrupted"] is True
    events = [json.loads(line) for line in (tmp_path / "run" / "events.jsonl").read_text().splitlines()]
    assert not [e for e in events if e["event"] == "phase_end" and e["name"] == "full"]


NOISY = """
import logging, sys
from rich.console import Console
from convergence.dashboard.live import LiveDashboard
from convergence.engine import simulate
from convergence.loader import load_scenario

logging.basicConfig(format="%(levelname)s %(message)s")
log = logging.getLogger("agent")

def noisy(event):
    if event["event"] == "phase_end":
        print("callback", event["name"])
        log.warning("warned %s", event["name"])
        sys.stderr.write(f"dependency {event['name']}\\n")

with LiveDashboard(Console(), speed=0.2) as dashboard:
    simulate(load_scenario(sys.argv[1]), subscribers=[dashboard, noisy])
"""


def test_c13_lines_printed_during_a_live_run_appear_once_above_it(
    terminal: type[Pane], tmp_path: Path
) -> None:
    script = tmp_path / "noisy.py"
    script.write_text(NOISY)
    command = shlex.join([sys.executable, str(script), str(CANONICAL)])
    pane = Pane(f"convergence-test-{tmp_path.name}", command, 80, 30)
    pane.wait_for("EXIT=")
    history = pane.screen(history=True)
    frame_top = history.index(" canonical-22 · symmetric")
    lines = history.splitlines()
    for name in ("init", "pairs", "quads", "octads", "level-4", "level-5", "full"):
        for line in (f"callback {name}", f"WARNING warned {name}", f"dependency {name}"):
            assert lines.count(line) == 1, line
            assert history.index(line + "\n") < frame_top
    assert history.count("─ merge tree") == 1
