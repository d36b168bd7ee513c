"""Strict YAML reading: text -> plain data plus the file position of every node.

ruamel.yaml's round-trip loader does the parsing: it follows YAML 1.2 (`1e3` is a number,
`no` is a string), rejects duplicate keys, and records each node's line and column. This
module adds only what a scenario file needs on top: a size limit, a budget on nodes reached
through aliases (billion laughs), no tags beyond `!!str`, and conversion to plain Python
values indexed by path, so a validation error can be mapped back to its line.
"""

from __future__ import annotations

import datetime
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.scalarbool import ScalarBoolean

from convergence.errors import Problem, ScenarioError

__all__ = ["MAX_ALIAS_NODES", "MAX_BYTES", "MAX_DEPTH", "Document", "Key", "Place", "parse_yaml", "read_yaml"]

MAX_BYTES = 1 << 20
"""Scenario files larger than this (1 MiB) are refused unread."""
MAX_ALIAS_NODES = 100_000
"""At most this many nodes may be reached through aliases: ordinary anchors stay far below."""
MAX_DEPTH = 64
"""Mappings and lists nest at most this deep."""

Key = str | int
_STR_TAG = "tag:yaml.org,2002:str"
_ALLOWED_CONTAINER_TAGS = {None, "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


@dataclass(frozen=True)
class Place:
    """Where something was written: a file (or `--set ...`) and, when known, line and column."""

    file: str
    line: int | None = None
    column: int | None = None


@dataclass
class Document:
    """Plain data read from YAML, with the place of each node's value and (in mappings) key."""

    data: Any
    values: dict[tuple[Key, ...], Place] = field(default_factory=dict)
    keys: dict[tuple[Key, ...], Place] = field(default_factory=dict)


def read_yaml(path: Path, *, shown: str | None = None) -> Document:
    """Read a scenario file strictly; `shown` is how the file is named in messages.

    Raises:
        ScenarioError: the file is missing, too big, not UTF-8, not YAML, or unsafe.
    """
    file = str(path) if shown is None else shown
    try:
        with path.open("rb") as stream:
            raw = stream.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ScenarioError([Problem(f"cannot read file: {exc.strerror or exc}", file=file)]) from None
    if len(raw) > MAX_BYTES:
        limit = f"{MAX_BYTES // (1 << 20)} MiB"
        raise ScenarioError(
            [Problem(f"file is larger than {limit}; scenario files are limited to {limit}", file=file)]
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ScenarioError(
            [
                Problem(
                    f"file is not UTF-8 text (byte {raw[exc.start]:#04x}); save it as UTF-8",
                    file=file,
                    line=line,
                )
            ]
        ) from None
    return parse_yaml(text, file=file)


def parse_yaml(text: str, *, file: str) -> Document:
    """Parse one YAML document from text; an empty document gives `data=None`.

    Raises:
        ScenarioError: with every problem found (syntax, tabs, duplicate keys, tags, aliases).
    """
    try:
        node = YAML(typ="rt", pure=True).load(io.StringIO(text))
    except YAMLError as exc:
        raise ScenarioError(_syntax_problems(exc, text, file)) from None
    except RecursionError:
        raise ScenarioError([Problem(f"nesting is deeper than {MAX_DEPTH} levels", file=file)]) from None
    _check_alias_expansion(node, file)
    walker = _Walker(file)
    data = walker.walk(node, (), _own_place(node, file))
    if walker.problems:
        raise ScenarioError(walker.problems)
    return Document(data, walker.values, walker.keys)


def _syntax_problems(exc: YAMLError, text: str, file: str) -> list[Problem]:
    tabs = list(_tab_indented_lines(text))
    if tabs:
        message = "tab character in indentation; YAML indents with spaces only"
        fields = _fields_by_line(text)
        return [
            Problem(message, field=fields.get(line, _key_on(text, line)), file=file, line=line, column=column)
            for line, column in tabs
        ]
    if not isinstance(exc, MarkedYAMLError) or exc.problem_mark is None:
        return [Problem(f"invalid YAML: {' '.join(str(exc).split())}", file=file)]
    mark = exc.problem_mark
    problem = str(exc.problem)
    duplicate = re.match(r'found duplicate key "(.*)" with value', problem)
    if duplicate is not None:
        where = f" in the mapping starting on line {exc.context_mark.line + 1}" if exc.context_mark else ""
        message = f"duplicate key '{duplicate.group(1)}'{where}; keep only one"
        return [
            Problem(message, field=duplicate.group(1), file=file, line=mark.line + 1, column=mark.column + 1)
        ]
    context = f"{exc.context}, " if exc.context else ""
    return [
        Problem(f"invalid YAML: {context}{problem}", file=file, line=mark.line + 1, column=mark.column + 1)
    ]


def _tab_indented_lines(text: str) -> Iterator[tuple[int, int]]:
    for number, line in enumerate(text.splitlines(), start=1):
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in indent:
            yield number, indent.index("\t") + 1


def _check_alias_expansion(root: Any, file: str) -> None:
    """Refuse a document whose aliases would expand past the budget, before expanding any.

    Sizes are memoised per container, so this costs one visit per distinct node however
    large the expansion (nine levels of nine aliases is 387 million nodes, counted in microseconds).
    """
    sizes: dict[int, int] = {}
    distinct = 0

    def size(node: Any, depth: int) -> int:
        nonlocal distinct
        if not isinstance(node, CommentedMap | CommentedSeq) or depth > MAX_DEPTH:
            return 1
        if id(node) not in sizes:
            children = node.values() if isinstance(node, CommentedMap) else node
            distinct += 1 + sum(1 for child in children if not isinstance(child, CommentedMap | CommentedSeq))
            sizes[id(node)] = 1 + sum(size(child, depth + 1) for child in children)
        return sizes[id(node)]

    if not isinstance(root, CommentedMap):
        return
    total = 1
    for key, value in root.items():
        total += size(value, 1)
        if total - distinct > MAX_ALIAS_NODES:
            position = root.lc.data.get(key)
            line = position[0] + 1 if position is not None else None
            message = f"aliases expand to more than {MAX_ALIAS_NODES} nodes (an alias bomb?); refused"
            raise ScenarioError([Problem(message, field=str(key), file=file, line=line)])


def _fields_by_line(text: str) -> dict[int, str]:
    """Guess which field each line holds by reading the text with each indenting tab as two spaces.

    Only names the field in a tab message; if the guess does not parse, the caller falls back
    to the bare key written on the line.
    """
    lines = [
        line.replace("\t", "  ") if "\t" in line[: len(line) - len(line.lstrip(" \t"))] else line
        for line in text.splitlines()
    ]
    try:
        doc = parse_yaml("\n".join(lines), file="")
    except ScenarioError:
        return {}
    return {
        place.line: ".".join(str(part) for part in path) for path, place in doc.keys.items() if place.line
    }


def _key_on(text: str, line: int) -> str:
    match = re.match(r"\s*(?:-\s+)?([\w.-]+)\s*:(\s|$)", text.splitlines()[line - 1])
    return match.group(1) if match else ""


def _own_place(node: Any, file: str) -> Place:
    lc = getattr(node, "lc", None)
    if lc is None or lc.line is None:
        return Place(file, 1, 1)
    return Place(file, lc.line + 1, lc.col + 1)


class _Walker:
    """Converts ruamel nodes to plain values, recording places and refusing what is unsafe."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []
        self.values: dict[tuple[Key, ...], Place] = {}
        self.keys: dict[tuple[Key, ...], Place] = {}

    def walk(self, node: Any, path: tuple[Key, ...], place: Place) -> Any:
        self.values[path] = place
        if isinstance(node, CommentedMap | CommentedSeq):
            if len(path) >= MAX_DEPTH:
                self._problem(path, place, f"nesting is deeper than {MAX_DEPTH} levels")
                return None
            if not self._tag_allowed(node, path, place):
                return None
            if isinstance(node, CommentedMap):
                return self._mapping(node, path, place)
            return [
                self.walk(item, (*path, index), self._item_place(node, index, place))
                for index, item in enumerate(node)
            ]
        return self._scalar(node, path, place)

    def _mapping(self, node: CommentedMap, path: tuple[Key, ...], place: Place) -> Any:
        result: dict[Key, Any] = {}
        for raw_key, value in node.items():
            key = self._scalar(raw_key, path, place)
            if not isinstance(key, str | int) or isinstance(key, bool):
                self._problem(path, place, f"mapping keys must be names, got {raw_key!r}")
                continue
            key_place, value_place = place, place
            position = node.lc.data.get(raw_key)
            if position is not None:  # keys pulled in by a `<<` merge have no position of their own
                key_place = Place(self.file, position[0] + 1, position[1] + 1)
                value_place = Place(self.file, position[2] + 1, position[3] + 1)
            self.keys[(*path, key)] = key_place
            result[key] = self.walk(value, (*path, key), value_place)
        return result

    def _item_place(self, node: CommentedSeq, index: int, place: Place) -> Place:
        position = node.lc.data.get(index)
        if position is None:
            return place
        return Place(self.file, position[0] + 1, position[1] + 1)

    def _scalar(self, node: Any, path: tuple[Key, ...], place: Place) -> Any:
        if isinstance(node, TaggedScalar):
            if node.tag.value == _STR_TAG:
                return str(node.value)
            self._tag_allowed(node, path, place)
            return None
        if node is None or isinstance(node, bool | int | float | str):
            return _plain(node)
        if isinstance(node, datetime.date):
            return node.isoformat()
        kind = type(node).__name__.removeprefix("Commented").lower()
        self._problem(path, place, f"a {kind} value is not allowed in a scenario; use a plain value or list")
        return None

    def _tag_allowed(self, node: Any, path: tuple[Key, ...], place: Place) -> bool:
        tag = getattr(getattr(node, "tag", None), "value", None)
        if tag in _ALLOWED_CONTAINER_TAGS:
            return True
        shown = str(tag).replace("tag:yaml.org,2002:", "!!")
        self._problem(path, place, f"tag '{shown}' is not allowed; scenario files hold plain values only")
        return False

    def _problem(self, path: tuple[Key, ...], place: Place, message: str) -> None:
        field = ".".join(str(part) for part in path)
        self.problems.append(
            Problem(message, field=field, file=place.file, line=place.line, column=place.column)
        )


def _plain(value: Any) -> Any:
    """Drop ruamel's scalar subclasses (ScalarFloat, ScalarBoolean, ...) for the builtin type."""
    if isinstance(value, bool | ScalarBoolean):
        return bool(value)
    for kind in (int, float, str):
        if isinstance(value, kind):
            return kind(value)
    return value
