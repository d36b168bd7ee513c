"""Recording a run to disk: a run directory with scenario.yaml, events.jsonl, summary.json.

Events are written as structlog JSON lines, one per event, flushed as they come, so an
interrupted run keeps everything it emitted.
"""

from __future__ import annotations

import json
import math
from collections.abc import MutableMapping
from pathlib import Path
from typing import IO, Any

import structlog

from convergence.errors import ConvergenceError
from convergence.loader import scenario_yaml
from convergence.scenario import Scenario

__all__ = ["RunRecorder", "allocate_run_dir", "json_safe", "prepare_run_dir"]


def json_safe(value: Any) -> Any:
    """Replace non-finite floats (not valid JSON) by None, recursively."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    return value


def allocate_run_dir(base: Path, name: str) -> Path:
    """A fresh directory `base/name`, or `name-2`, `name-3`, ... if taken; never reuses one."""
    _make_dirs(base)
    candidate, suffix = base / name, 1
    while True:
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            suffix += 1
            candidate = base / f"{name}-{suffix}"
        except OSError as exc:
            raise ConvergenceError(f"cannot create run directory {candidate}: {exc.strerror}") from None


def prepare_run_dir(out: Path | None, base: Path, name: str) -> Path:
    """The directory a run records into: `out` if new or empty, else a fresh one under `base`.

    Raises:
        ConvergenceError: `out` is a file, holds files already, or cannot be created.
    """
    if out is None:
        return allocate_run_dir(base, name)
    if out.exists() and not out.is_dir():
        raise ConvergenceError(f"--out {out} is a file, not a directory; choose another --out")
    if out.is_dir() and any(out.iterdir()):
        raise ConvergenceError(f"run directory {out} exists and is not empty; choose another --out")
    _make_dirs(out)
    return out


def _make_dirs(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConvergenceError(f"cannot create run directory {path}: {exc.strerror or exc}") from None


def _time_and_event_first(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> dict[str, Any]:
    ordered = {"t": event_dict.pop("t", None), "event": event_dict.pop("event")}
    ordered.update(event_dict)
    return json_safe(ordered)  # type: ignore[no-any-return]


class RunRecorder:
    """Writes one run's directory. Use as an event subscriber, then call `close`."""

    def __init__(self, directory: Path, scenario: Scenario) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        write_scenario(directory / "scenario.yaml", scenario)
        self._file: IO[str] = (directory / "events.jsonl").open("w", encoding="utf-8")
        self._log = structlog.wrap_logger(
            structlog.WriteLogger(self._file),
            processors=[_time_and_event_first, structlog.processors.JSONRenderer()],
            cache_logger_on_first_use=True,
        )

    def __call__(self, event: dict[str, Any]) -> None:
        fields = dict(event)
        name = fields.pop("event")
        self._log.msg(name, **fields)

    def write_summary(self, summary: dict[str, Any]) -> None:
        text = json.dumps(json_safe(summary), indent=2)
        (self.directory / "summary.json").write_text(text + "\n", encoding="utf-8")

    def close(self) -> None:
        self._file.close()


def write_scenario(path: Path, scenario: Scenario) -> None:
    """Write the resolved scenario as YAML (durations with units)."""
    path.write_text(scenario_yaml(scenario), encoding="utf-8")
