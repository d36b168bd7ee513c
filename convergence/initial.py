"""Initial states from a CSV file: one row per agent, one column per dimension (or option).

A first row whose cells are all non-numeric is a header. Blank lines and lines starting
with `#` are skipped. Every problem is reported with the file, the line and the field
`task.initial`, and the rules depend on the task: estimate values must be finite, opinions
lie in [0, 1], and a choice row is a vote vector (non-negative, summing to 1).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

from convergence.agent import FloatArray
from convergence.errors import Problem, ScenarioError

__all__ = ["read_initial_csv"]

_FIELD = "task.initial"
_SUM_TOLERANCE = 1e-9
_MAX_PROBLEMS = 20


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _row_problem(cells: list[str], columns: int, kind: str) -> str | None:
    if len(cells) != columns:
        unit = "options" if kind == "choice" else "dimensions"
        return f"expected {columns} values ({unit}), got {len(cells)}"
    try:
        values = [float(cell) for cell in cells]
    except ValueError:
        bad = next(cell for cell in cells if not _is_number(cell))
        return f"not a number: {bad.strip()!r}"
    if not all(math.isfinite(v) for v in values):
        return f"values must be finite, got {', '.join(c.strip() for c in cells)}"
    if kind == "opinion" and not all(0.0 <= v <= 1.0 for v in values):
        return f"opinions must lie in [0, 1], got {', '.join(c.strip() for c in cells)}"
    if kind == "choice":
        if any(v < 0 for v in values):
            return "a vote vector must be non-negative"
        if abs(sum(values) - 1.0) > _SUM_TOLERANCE:
            return f"a vote vector must sum to 1, got {sum(values):g}"
    return None


def read_initial_csv(path: str | Path, *, rows: int, columns: int, kind: str) -> FloatArray:
    """Read and check a CSV of initial states; return a `rows` x `columns` float array.

    Raises:
        ScenarioError: the file cannot be read, has the wrong number of rows or columns,
            or holds values that are non-finite or out of range for the task `kind`.
    """
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise ScenarioError(
            [Problem(f"cannot read initial states: {reason}", field=_FIELD, file=file)]
        ) from None
    problems: list[Problem] = []
    data: list[list[float]] = []
    seen_row = False
    for line_number, cells in enumerate(csv.reader(text.splitlines()), start=1):
        if not cells or not "".join(cells).strip() or cells[0].lstrip().startswith("#"):
            continue
        if not seen_row and not any(_is_number(cell) for cell in cells):
            seen_row = True
            continue
        seen_row = True
        problem = _row_problem(cells, columns, kind)
        if problem is not None:
            problems.append(Problem(problem, field=_FIELD, file=file, line=line_number))
            if len(problems) >= _MAX_PROBLEMS:
                break
            continue
        data.append([float(cell) for cell in cells])
    if problems:
        raise ScenarioError(problems)
    if len(data) != rows:
        raise ScenarioError(
            [
                Problem(
                    f"has {len(data)} rows of initial states but agents.count is {rows}",
                    field=_FIELD,
                    file=file,
                )
            ]
        )
    return np.array(data, dtype=np.float64).reshape(rows, columns)
