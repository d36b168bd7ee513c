"""Turning pydantic validation errors into located, readable `Problem`s.

Generic over the models: a pydantic error location is walked through the data that was
validated (skipping union tags such as `lognormal` or `list[float]`), so any field added to
the scenario gets file, line and column for free, and unknown keys get "did you mean".
"""

from __future__ import annotations

import difflib
import math
import re
import types
from collections.abc import Iterator, Mapping
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from convergence.document import Document, Key, Place
from convergence.errors import Problem

__all__ = ["flag_problems", "reading_order", "validation_problems"]

_EXPECTED = {
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "string_type": "a string",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "tuple_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}
_COMPARISONS = {
    "greater_than": ("gt", ">"),
    "greater_than_equal": ("ge", ">="),
    "less_than": ("lt", "<"),
    "less_than_equal": ("le", "<="),
}
Path = tuple[Key, ...]
_ABSENT = object()


def validation_problems(
    exc: ValidationError, model: type[BaseModel], doc: Document, file: str, *, top_keys: tuple[str, ...] = ()
) -> list[Problem]:
    """Every error of `exc`, with the place it was written and a message that names a remedy.

    `top_keys` are names the loader accepts at the top besides the model's fields (`extends`).
    """
    located = [(_data_path(doc.data, error), error) for error in exc.errors()]
    branches = {
        id(error) for path, error in located if len(path) < len(error["loc"]) and error["type"] != "missing"
    }
    expected: dict[Path, list[str]] = {}
    for path, error in located:
        if error["type"] in _EXPECTED:
            expected.setdefault(path, []).append(_EXPECTED[error["type"]])
    # A union branch that merely had the wrong type yields to a branch that got further.
    further = {path[:depth] for path, _ in located for depth in range(len(path))}
    further |= {path for path, error in located if error["type"] not in _EXPECTED}
    problems: list[Problem] = []
    merged: set[Path] = set()
    for path, error in located:
        if error["type"] in _EXPECTED and id(error) in branches:
            if path in further or path in merged:
                continue
            merged.add(path)
            phrases = " or ".join(dict.fromkeys(expected[path]))
            message = f"expected {phrases}, got {_show(error['input'])}{_remedy(error)}"
        else:
            message = _message(error, model, top_keys)
            if error["type"] == "value_error":
                path, message = _blamed(doc.data, path, message)
        problems.append(_problem(message, path, doc, file, prefer_key=error["type"] == "extra_forbidden"))
    return sorted(problems, key=reading_order)


def flag_problems(value: Any, raw: Any, doc: Document, file: str, path: Path = ()) -> list[Problem]:
    """Booleans that pydantic's lax mode made from words (`no`, `on`) or numbers from booleans.

    YAML 1.2 reads `no` as the string "no"; a boolean field must not then quietly turn it back
    into False, and a count must not take `true` for 1.
    """
    if isinstance(value, BaseModel):
        if not isinstance(raw, Mapping):
            return []
        return [
            problem
            for name in type(value).model_fields
            if name in raw
            for problem in flag_problems(getattr(value, name), raw[name], doc, file, (*path, name))
        ]
    if isinstance(value, list | tuple) and isinstance(raw, list):
        return [
            p
            for i, (v, r) in enumerate(zip(value, raw, strict=False))
            for p in flag_problems(v, r, doc, file, (*path, i))
        ]
    if isinstance(value, Mapping) and isinstance(raw, Mapping):
        return [
            p
            for key in value
            if key in raw
            for p in flag_problems(value[key], raw[key], doc, file, (*path, key))
        ]
    if isinstance(value, bool) and not isinstance(raw, bool):
        message = f"expected true or false, got {_show(raw)}; write true or false"
        return [_problem(message, path, doc, file)]
    if isinstance(value, int | float) and not isinstance(value, bool) and isinstance(raw, bool):
        return [_problem(f"expected a number, got {_show(raw)}", path, doc, file)]
    return []


def reading_order(problem: Problem) -> tuple[bool, str, int, int]:
    """Files first and top to bottom, then `--set` overrides."""
    return (problem.file.startswith("--set"), problem.file, problem.line or 0, problem.column or 0)


def _data_path(data: Any, error: ErrorDetails) -> Path:
    """The error's location as a path in the data, without union tags."""
    loc = error["loc"]
    path: list[Key] = []
    node = data
    for index, part in enumerate(loc):
        child = _child(node, part)
        if child is not _ABSENT:
            node = child
            path.append(part)
        elif index == len(loc) - 1 and error["type"] == "missing":
            path.append(part)
    if error["type"] in {"union_tag_invalid", "union_tag_not_found"}:
        path.append(_discriminator(error))
    return tuple(path)


def _blamed(data: Any, path: Path, message: str) -> tuple[Path, str]:
    """A model validator's message may open with the dotted field it blames, relative to its model.

    `truth has 3 values but dimensions is 2` raised by the task model is then placed on
    `task.truth` and reads `task.truth: has 3 values ...`.
    """
    head, _, rest = message.partition(" ")
    parts = tuple(int(part) if part.isdigit() else part for part in head.split("."))
    if rest and all(parts) and _get(data, (*path, *parts)) is not None:
        return (*path, *parts), rest
    return path, message


def _discriminator(error: ErrorDetails) -> str:
    return str(error.get("ctx", {}).get("discriminator", "kind")).strip("'")


def _problem(message: str, path: Path, doc: Document, file: str, *, prefer_key: bool = False) -> Problem:
    place = _place(path, doc, file, prefer_key=prefer_key)
    field = ".".join(str(part) for part in path)
    return Problem(message, field=field, file=place.file, line=place.line, column=place.column)


def _place(path: Path, doc: Document, file: str, *, prefer_key: bool) -> Place:
    """Where `path` was written: a container or unknown key at its key, a missing key at its parent."""
    node = _get(doc.data, path)
    if (prefer_key or node is None or isinstance(node, Mapping | list)) and path in doc.keys:
        return doc.keys[path]
    while path and path not in doc.values:
        path = path[:-1]
        if path in doc.keys:
            return doc.keys[path]
    return doc.values.get(path, Place(file))


def _get(data: Any, path: Path) -> Any:
    for part in path:
        data = _child(data, part)
    return None if data is _ABSENT else data


def _child(node: Any, part: Key) -> Any:
    """`node[part]` if the data has it, else `_ABSENT` (a union tag, a missing key)."""
    if isinstance(node, Mapping):
        return node.get(part, _ABSENT)
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return _ABSENT


def _message(error: ErrorDetails, model: type[BaseModel], top_keys: tuple[str, ...]) -> str:
    kind, ctx, value = error["type"], error.get("ctx", {}), error["input"]
    if kind == "extra_forbidden":
        key = str(error["loc"][-1])
        fields = _fields_at(model, error["loc"][:-1]) + (list(top_keys) if len(error["loc"]) == 1 else [])
        return f"unknown field {key!r}{_suggest(key, sorted(fields))}"
    if kind == "missing":
        return "required field is missing"
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {_show(value)}{_remedy(error)}"
    if kind in _COMPARISONS:
        name, symbol = _COMPARISONS[kind]
        return f"must be {symbol} {ctx[name]:g}, got {_show(value)}"
    if kind == "finite_number":
        return f"must be a finite number, got {_show(value)}"
    if kind == "literal_error":
        options = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        hint = _suggest(value, options) if isinstance(value, str) else ""
        return f"must be {ctx['expected']}, got {_show(value)}{hint}"
    if kind == "union_tag_invalid":
        options = re.findall(r"'([^']*)'", str(ctx.get("expected_tags", "")))
        hint = _suggest(str(ctx["tag"]), options) or f"; expected one of {ctx['expected_tags']}"
        return f"unknown {_discriminator(error)} {ctx['tag']!r}{hint}"
    if kind == "union_tag_not_found":
        return f"required field is missing (it says which kind of {error['loc'][-1]} this is)"
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        return "must not be empty"
    if kind == "string_pattern_mismatch":
        return f"must match the pattern {ctx['pattern']}, got {_show(value)}"
    message = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    message = message[:1].lower() + message[1:]
    if not isinstance(value, Mapping | list) and "got" not in message and kind not in {"value_error"}:
        message += f", got {_show(value)}"
    return message


def _remedy(error: ErrorDetails) -> str:
    value = error["input"]
    if isinstance(value, str) and error["type"].startswith(("int", "float")) and _is_number(value):
        return "; remove the quotes"
    if isinstance(value, str) and error["type"].startswith("bool"):
        return "; write true or false"
    return ""


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _suggest(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if close:
        return f" (did you mean {close[0]!r}?)"
    return f"; expected one of: {', '.join(options)}" if options else ""


def _show(value: Any) -> str:
    """A value as the user would write it in YAML."""
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and not math.isfinite(value):
        return ".nan" if math.isnan(value) else ("-.inf" if value < 0 else ".inf")
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _fields_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    """Names a model accepts at `loc` (a pydantic location, union tags included)."""
    candidates: list[Any] = [model]
    for part in loc:
        stepped = [inner for tp in candidates for inner in _step(tp, part)]
        candidates = stepped or candidates  # a tag no member claims: stay where we are
    names = [
        name
        for tp in candidates
        for member in _members(tp)
        if _is_model(member)
        for name in member.model_fields
    ]
    return sorted(dict.fromkeys(names))


def _step(tp: Any, part: int | str) -> Iterator[Any]:
    for member in _members(tp):
        origin = get_origin(member)
        if _is_model(member):
            if isinstance(part, str) and part in member.model_fields:
                yield member.model_fields[part].annotation
            elif part == member.__name__ or part in _literal_values(member):
                yield member
        elif origin in (list, tuple, set, frozenset) and isinstance(part, int):
            yield from get_args(member)[:1]
        elif origin is dict:
            yield get_args(member)[-1]


def _members(tp: Any) -> list[Any]:
    """Unwrap Annotated and unions into the concrete types a value may have."""
    if get_origin(tp) is Annotated:
        return _members(get_args(tp)[0])
    if get_origin(tp) in (Union, types.UnionType):
        return [inner for arg in get_args(tp) for inner in _members(arg)]
    return [tp]


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _literal_values(model: type[BaseModel]) -> set[Any]:
    return {
        value
        for info in model.model_fields.values()
        if get_origin(info.annotation) is Literal
        for value in get_args(info.annotation)
    }
