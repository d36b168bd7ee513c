"""Loading scenarios: YAML files (with `extends:`) or plain data -> validated `Scenario`.

Dotted overrides (`agents.count=176`) are applied to the raw data before validation, so
they are checked exactly like the file, and an error in one names `--set PATH=VALUE`.
"""

from __future__ import annotations

import io
import os
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML

from convergence.diagnostic import flag_problems, reading_order, validation_problems
from convergence.document import Document, Key, Place, parse_yaml, read_yaml
from convergence.errors import Problem, ScenarioError
from convergence.initial import read_initial_csv
from convergence.scenario import Scenario

__all__ = [
    "MAX_EXTENDS",
    "apply_overrides",
    "load_scenario",
    "parse_override",
    "resolve_initial",
    "scenario_json_schema",
    "scenario_yaml",
    "validate_scenario",
    "with_changes",
]

MAX_EXTENDS = 16
"""How long a chain of `extends:` may be."""


def load_scenario(
    source: str | Path | Mapping[str, Any],
    overrides: Iterable[str] = (),
    *,
    behaviours: Collection[str] | None = None,
) -> Scenario:
    """Load and validate a scenario from a YAML file path or from plain data.

    A relative `task.initial` CSV path is taken from the scenario file's folder (from the
    working directory for plain data), made absolute, and its contents checked now. Given
    `behaviours` (the names registered here), `agents.behaviour` must be one of them;
    without it the name is checked when a run starts (plugins may register it in a worker).

    Raises:
        ScenarioError: with every problem found, each naming the file, line and field.
    """
    if isinstance(source, Mapping):
        file = "<dict>"
        doc = Document(_deep_copy(source))
        base = Path.cwd()
    else:
        file = str(source)
        doc = _resolve(Path(source), file, ())
        base = Path(source).parent
    doc = apply_document_overrides(doc, overrides)
    return resolve_initial(_validate(doc, file, base, behaviours), base)


def resolve_initial(scenario: Scenario, base: Path) -> Scenario:
    """Make `task.initial` absolute (relative to `base`) and check the CSV it names."""
    task = scenario.task
    if task.initial is None:
        return scenario
    path = Path(task.initial)
    if not path.is_absolute():
        path = (base / path).resolve()
    read_initial_csv(path, rows=scenario.agents.count, columns=task.dimensions, kind=task.kind)
    return scenario.model_copy(update={"task": task.model_copy(update={"initial": str(path)})})


def validate_scenario(
    data: Mapping[str, Any], *, file: str = "<dict>", base_dir: Path | None = None
) -> Scenario:
    """Validate raw data as a `Scenario`, turning pydantic errors into a `ScenarioError`.

    `base_dir` is where relative paths in the scenario (edge-list files) start from; for a
    file it is the file's folder (the top file's, when it `extends` another).
    """
    return _validate(Document(_deep_copy(data)), file, base_dir)


def scenario_yaml(scenario: Scenario) -> str:
    """The resolved scenario as YAML text (durations with units) that loads back to an equal one."""
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]  # keep field order
    buffer = io.StringIO()
    yaml.dump(scenario.to_yaml_dict(), buffer)
    return buffer.getvalue()


def scenario_json_schema() -> dict[str, Any]:
    """JSON Schema of scenario files, for editors: the models plus the loader's `extends` key."""
    schema = Scenario.model_json_schema()
    extends = {
        "type": "string",
        "title": "Extends",
        "description": "Path of a scenario this one builds on, relative to this file; keys here override it.",
    }
    schema["properties"] = {"extends": extends, **schema["properties"]}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def with_changes(scenario: Scenario, changes: Mapping[str, Any]) -> Scenario:
    """A copy of `scenario` with dotted fields changed, validated like a scenario file."""
    data = scenario.model_dump()
    for dotted, value in changes.items():
        path = dotted.split(".")
        node = data
        for depth, part in enumerate(path):
            if not part:
                message = f"a field path must look like a.b.c, got {dotted!r}"
                raise ScenarioError([Problem(message, file="with_()")])
            if depth == len(path) - 1:
                node[part] = _deep_copy(value)
                break
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                where = ".".join(path[: depth + 1])
                message = f"cannot set {dotted}: {where} is not a mapping"
                raise ScenarioError([Problem(message, field=where, file="with_()")])
            node = child
    return validate_scenario(data, file="with_()")


def parse_override(text: str) -> tuple[list[str], Any]:
    """Split `a.b.c=value` into a path and a YAML 1.2 value (`5ms`, `0.1`, `[1, 2]`, `no`)."""
    key, sep, raw = text.partition("=")
    path = key.strip().split(".")
    if not sep or not all(path):
        message = f"an override must look like key.path=value, got {text!r}"
        raise ScenarioError([Problem(message, file=_override_file(text))])
    if not raw.strip():
        return path, ""
    return path, parse_yaml(raw, file=_override_file(text)).data


def apply_overrides(data: Mapping[str, Any], overrides: Iterable[str]) -> dict[str, Any]:
    """Return a copy of `data` with each dotted override set."""
    result: dict[str, Any] = apply_document_overrides(Document(_deep_copy(data)), overrides).data
    return result


def apply_document_overrides(doc: Document, overrides: Iterable[str]) -> Document:
    """Set each override in a copy of `doc`; the overridden paths are placed at `--set ...`."""
    data = _deep_copy(doc.data)
    values, keys = dict(doc.values), dict(doc.keys)
    for text in overrides:
        path, value = parse_override(text)
        node = data
        for depth, part in enumerate(path[:-1]):
            child = node.get(part)
            if child is None:
                child = node[part] = {}
                values[tuple(path[: depth + 1])] = keys[tuple(path[: depth + 1])] = Place(
                    _override_file(text)
                )
            if not isinstance(child, dict):
                where = ".".join(path[: depth + 1])
                message = (
                    f"cannot set {'.'.join(path)}: {where} holds {_kind(child)}, not a mapping; "
                    f"set the whole value instead, e.g. --set '{where}=...'"
                )
                raise ScenarioError([Problem(message, field=where, file=_override_file(text))])
            node = child
        node[path[-1]] = value
        target = tuple(path)
        for places in (values, keys):
            for stale in [p for p in places if p[: len(target)] == target]:
                del places[stale]
        values[target] = keys[target] = Place(_override_file(text))
    return Document(data, values, keys)


def _override_file(text: str) -> str:
    return f"--set {text}"


def _validate(
    doc: Document, file: str, base_dir: Path | None = None, behaviours: Collection[str] | None = None
) -> Scenario:
    if not isinstance(doc.data, Mapping):
        place = doc.values.get((), Place(file))
        message = f"a scenario must be a mapping of keys, got {_kind(doc.data)}"
        raise ScenarioError([Problem(message, file=place.file, line=place.line, column=place.column)])
    try:
        context = {"base_dir": base_dir, "behaviours": behaviours}
        scenario = Scenario.model_validate(doc.data, context=context)
    except ValidationError as exc:
        raise ScenarioError(validation_problems(exc, Scenario, doc, file, top_keys=("extends",))) from None
    flags = flag_problems(scenario, doc.data, doc, file)
    if flags:
        raise ScenarioError(sorted(flags, key=reading_order))
    return scenario


def _resolve(path: Path, shown: str, chain: tuple[Path, ...]) -> Document:
    """Read `path` and, if it says `extends: base.yaml`, merge it over its base."""
    doc = read_yaml(path, shown=shown)
    if doc.data is None:
        raise ScenarioError(
            [Problem("the file is empty; a scenario is a mapping such as `name: demo`", file=shown)]
        )
    if not isinstance(doc.data, dict) or "extends" not in doc.data:
        return doc
    place = doc.keys[("extends",)]
    reference = doc.data.pop("extends")
    if not isinstance(reference, str) or not reference.strip():
        _fail(place, f"must be the path of another scenario file, got {reference!r}")
    base = path.parent / reference
    base_shown = os.path.normpath(Path(shown).parent / reference)
    here = path.resolve()
    if base.resolve() in (*chain, here):
        names = [*(_relative(p) for p in chain), _relative(here), _relative(base.resolve())]
        _fail(place, f"extends cycle: {' -> '.join(names)}; remove one of these extends")
    if len(chain) >= MAX_EXTENDS:
        _fail(place, f"more than {MAX_EXTENDS} files chained by extends")
    if not base.is_file():
        _fail(place, f"cannot read {base_shown}: no such file (paths are relative to {shown})")
    return _merge(_resolve(base, base_shown, (*chain, here)), _without(doc, ("extends",)))


def _fail(place: Place, message: str) -> Any:
    raise ScenarioError(
        [Problem(message, field="extends", file=place.file, line=place.line, column=place.column)]
    )


def _relative(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def _without(doc: Document, prefix: tuple[Key, ...]) -> Document:
    def keep(places: dict[tuple[Key, ...], Place]) -> dict[tuple[Key, ...], Place]:
        return {p: place for p, place in places.items() if p[: len(prefix)] != prefix}

    return Document(doc.data, keep(doc.values), keep(doc.keys))


def _merge(base: Document, child: Document) -> Document:
    """Deep-merge `child` over `base`: mappings merge key by key, anything else replaces."""
    data = _merged(base.data, child.data)
    values: dict[tuple[Key, ...], Place] = {}
    keys: dict[tuple[Key, ...], Place] = {}
    for path in _paths(data, ()):
        for places, base_places, child_places in (
            (values, base.values, child.values),
            (keys, base.keys, child.keys),
        ):
            place = child_places.get(path) or base_places.get(path)
            if place is not None:
                places[path] = place
    return Document(data, values, keys)


def _merged(base: Any, child: Any) -> Any:
    if isinstance(base, dict) and isinstance(child, dict):
        result = dict(base)
        for key, value in child.items():
            result[key] = _merged(base[key], value) if key in base else value
        return result
    return child


def _paths(value: Any, prefix: tuple[Key, ...]) -> Iterable[tuple[Key, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


def _kind(value: Any) -> str:
    return {list: "a list", str: "a string", int: "a number", float: "a number", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )


def _deep_copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _deep_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_deep_copy(item) for item in value]
    return value
