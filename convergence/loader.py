"""Loading scenarios: YAML text or plain data -> validated `Scenario`.

Dotted overrides (`agents.count=176`) are applied to the raw data before validation, so
they are checked exactly like the file.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from convergence.errors import Problem, ScenarioError
from convergence.scenario import Scenario

__all__ = ["apply_overrides", "load_scenario", "parse_override"]


def _yaml() -> YAML:
    return YAML(typ="safe", pure=True)


def load_scenario(
    source: str | Path | Mapping[str, Any], overrides: Iterable[str] = ()
) -> Scenario:
    """Load and validate a scenario from a YAML file path or from plain data.

    Raises:
        ScenarioError: with every problem found, each naming the file and field.
    """
    if isinstance(source, Mapping):
        data: Any = dict(source)
        file = "<dict>"
    else:
        path = Path(source)
        file = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ScenarioError([Problem(f"cannot read file: {exc.strerror}", file=file)]) from None
        try:
            data = _yaml().load(io.StringIO(text))
        except YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else None
            column = mark.column + 1 if mark is not None else None
            problem = getattr(exc, "problem", None) or str(exc)
            raise ScenarioError([Problem(str(problem), file=file, line=line, column=column)]) from None
        if data is None:
            raise ScenarioError([Problem("the file is empty", file=file)])
        if not isinstance(data, dict):
            raise ScenarioError([Problem("a scenario must be a mapping of keys", file=file)])
    data = apply_overrides(data, overrides, file=file)
    return validate_scenario(data, file=file)


def validate_scenario(data: Mapping[str, Any], *, file: str = "<dict>") -> Scenario:
    """Validate raw data as a `Scenario`, turning pydantic errors into a `ScenarioError`."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        problems = [
            Problem(
                error["msg"].removeprefix("Value error, "),
                field=".".join(str(part) for part in error["loc"]),
                file=file,
            )
            for error in exc.errors()
        ]
        raise ScenarioError(problems) from None


def parse_override(text: str) -> tuple[list[str], Any]:
    """Split `a.b.c=value` into a path and a YAML-typed value."""
    key, sep, raw = text.partition("=")
    path = key.strip().split(".")
    if not sep or not all(path):
        raise ScenarioError(
            [Problem(f"an override must look like key.path=value, got {text!r}", file="--set")]
        )
    try:
        value = _yaml().load(io.StringIO(raw)) if raw.strip() else ""
    except YAMLError:
        value = raw
    return path, value


def apply_overrides(
    data: Mapping[str, Any], overrides: Iterable[str], *, file: str = "<dict>"
) -> dict[str, Any]:
    """Return a copy of `data` with each dotted override set."""
    result = _deep_copy(data)
    for text in overrides:
        path, value = parse_override(text)
        node = result
        for depth, part in enumerate(path[:-1]):
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            if not isinstance(child, dict):
                where = ".".join(path[: depth + 1])
                raise ScenarioError(
                    [Problem(f"cannot set {text!r}: {where} is not a mapping", field=where, file="--set")]
                )
            node = child
        node[path[-1]] = value
    return result


def _deep_copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _deep_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_deep_copy(item) for item in value]
    return value
