"""The dashboard's layout: panels placed for a given terminal size, as one exact frame.

`render_dashboard(state, width=, height=)` is pure: the same state and size give the same
frame. The frame never exceeds the size (so the terminal never wraps a line and a live
refresh always overwrites the previous frame exactly); sections shrink in a fixed order
when the terminal is small: events first, then the chart, the agents, the tree.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Console, ConsoleOptions, RenderResult
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

from convergence.dashboard.panels import (
    agents_lines,
    chart_lines,
    crop,
    events_lines,
    header_line,
    metrics_lines,
    phases_lines,
    tree_lines,
)
from convergence.dashboard.state import DashboardState

__all__ = ["Frame", "render_dashboard"]

# At this width and more the events sit beside the chart and metrics.
WIDE = 120
_RULE = Style(color="blue")
_SEPARATOR = Text("│", style=_RULE, end="")


@dataclass(frozen=True)
class Frame:
    """A rendered dashboard: exactly `lines`, none wider than `width` cells."""

    lines: tuple[Text, ...]
    width: int

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for line in self.lines:
            yield from crop(line, options.max_width).render(console, end="")
            yield Segment.line()

    def plain(self) -> str:
        """The frame as plain text, one line per row (for tests and captures)."""
        return "\n".join(line.plain for line in self.lines)


def _section(title: str, body: list[Text], width: int, rows: int) -> list[Text]:
    """A titled section: a rule with the title, then exactly `rows` body lines padded to width."""
    head = Text(no_wrap=True, end="")
    head.append("─ ", _RULE)
    head.append(title, "bold")
    head.append(" " + "─" * max(0, width - len(title) - 3), _RULE)
    lines = [crop(head, width)]
    for index in range(rows):
        line = crop(body[index], width) if index < len(body) else Text(end="")
        line = line.copy()
        line.pad_right(width - line.cell_len)
        lines.append(line)
    return lines


def _beside(*columns: list[Text]) -> list[Text]:
    """Sections placed side by side, separated by a thin rule."""
    rows = max(len(column) for column in columns)
    joined = []
    for index in range(rows):
        line = Text(no_wrap=True, end="")
        for number, column in enumerate(columns):
            if number:
                line.append_text(_SEPARATOR)
            line.append_text(column[index] if index < len(column) else Text(end=""))
        joined.append(line)
    return joined


def _split(total: int, *wants: tuple[int, int]) -> list[int]:
    """Share `total` rows among sections given as (minimum, wanted), in priority order.

    Every section first gets its minimum while rows last (earlier sections first), then
    the rest is handed out in order up to what each wants.
    """
    given = [0] * len(wants)
    left = total
    for index, (low, _) in enumerate(wants):
        given[index] = min(low, left)
        left -= given[index]
    for index, (low, want) in enumerate(wants):
        extra = min(max(0, want - low), left)
        given[index] += extra
        left -= extra
    return given


def _agents_wanted(n: int, width: int) -> int:
    return max(1, -(-n * 2 // max(1, width)))


def render_dashboard(
    state: DashboardState, *, width: int, height: int, wall_time: float | None = None
) -> Frame:
    """The whole dashboard for a `width` x `height` terminal (at most `height` lines)."""
    width, height = max(20, width), max(6, height)
    lines = [header_line(state, width, wall_time)]
    wide = width >= WIDE
    phase_rows = max(1, len(state.phases))
    tree_rows = sum(1 for p in state.phases.values() if p.groups and p.phase != "init")
    tree_rows += 1 if state.observers else 0
    metrics = metrics_lines(state, 999)
    rows = height - 1
    top, agents, bottom, events = _split(
        rows,
        (4, min(1 + max(phase_rows, tree_rows, 1), max(4, rows * 2 // 5))),
        (2, min(1 + _agents_wanted(state.n_agents, width), max(2, rows // 4))),
        (5, 1 + max(len(metrics), 14 if wide else 10)),
        (0 if wide else 3, 0 if wide else 9),
    )
    if events < 3:  # a titled section with less than two lines is noise: give them away
        bottom, events = bottom + events, 0
    left = min(48, max(28, width * 2 // 5))
    right = width - left - 1
    if top:
        body = top - 1
        lines += _beside(
            _section("phases", phases_lines(state, left, body), left, body),
            _section("merge tree", tree_lines(state, right, body), right, body),
        )
    if agents:
        grid, per_cell = agents_lines(state, width, agents - 1)
        title = "agents" + (f" (1 cell = {per_cell} agents)" if per_cell > 1 else "")
        title += " · colour: distance from the mean"
        lines += _section(title, grid, width, agents - 1)
    if bottom:
        body = bottom - 1
        metrics_width = min(40, max(34, width // 3))
        columns = [metrics_width]
        if wide:
            columns.append((width - metrics_width) * 3 // 5)
        chart_width = width - sum(columns) - len(columns)
        sections = [
            _section("consensus over time", chart_lines(state, chart_width, body), chart_width, body),
            _section("metrics", metrics_lines(state, metrics_width), metrics_width, body),
        ]
        if wide:
            sections.append(_section("last events", events_lines(state, columns[1], body), columns[1], body))
        lines += _beside(*sections)
    if events:
        lines += _section("last events", events_lines(state, width, events - 1), width, events - 1)
    return Frame(tuple(crop(line, width) for line in lines[:height]), width)
