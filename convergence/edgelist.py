"""Reading an undirected graph from an edge-list file: one `a b` pair of node ids a line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["EdgeList", "read_edge_list"]


@dataclass(frozen=True)
class EdgeList:
    """The edges of a file (as read, self-loops and repeats dropped) and its node count."""

    edges: tuple[tuple[int, int], ...]
    nodes: int


def read_edge_list(path: Path) -> EdgeList:
    """Read `path`: 0-based integer ids, blank lines and `#` comments ignored.

    Raises:
        ValueError: naming the file and line of the first bad line, or an unreadable file.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"cannot read edge-list file {path}: {exc.strerror}") from None
    edges: set[tuple[int, int]] = set()
    largest = -1
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        if len(fields) < 2 or not all(f.isdigit() for f in fields[:2]):
            raise ValueError(f"{path}:{number}: expected two node ids (integers >= 0), got {line.strip()!r}")
        a, b = int(fields[0]), int(fields[1])
        largest = max(largest, a, b)
        if a != b:
            edges.add((min(a, b), max(a, b)))
    if largest < 0:
        raise ValueError(f"edge-list file {path} has no edges")
    return EdgeList(edges=tuple(sorted(edges)), nodes=largest + 1)
