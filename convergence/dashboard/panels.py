"""The dashboard's panels: pure functions from a `DashboardState` and a size to Rich text.

Every line is built as a `Text` with `no_wrap` and cropped to the width it is given, so a
panel never wraps a cell onto the next line; what does not fit is aggregated (many agents
or groups per cell) or windowed (the rows around the current phase).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np
from rich.color import Color
from rich.style import Style
from rich.text import Text

from convergence.dashboard.state import AgentMark, DashboardState, PhaseView, mark_for

__all__ = [
    "agents_lines",
    "agreement_style",
    "chart_lines",
    "crop",
    "events_lines",
    "header_line",
    "metrics_lines",
    "phases_lines",
    "tree_lines",
]

_RED, _YELLOW, _GREEN = (220, 50, 47), (230, 190, 40), (40, 190, 90)
_PENDING = Style(color="bright_black")
_MARKS = {
    AgentMark.CRASHED: ("x", Style(color="red", bold=True)),
    AgentMark.QUARANTINED: ("Q", Style(color="magenta", bold=True)),
    AgentMark.FLAGGED: ("!", Style(color="yellow", bold=True)),
    AgentMark.BYZANTINE: ("B", Style(color="magenta")),
}
_BLOCKS = " ▁▂▃▄▅▆▇█"
# Colour steps between disagreement and agreement (styles are cached per step).
_SHADES = 100


def agreement_style(score: float) -> Style:
    """Red for disagreement (0), through yellow, to green for agreement (1)."""
    score = min(1.0, max(0.0, score)) if math.isfinite(score) else 0.0
    return _agreement_style(round(score * _SHADES))


@cache
def _agreement_style(shade: int) -> Style:
    score = shade / _SHADES
    low, high, f = (_RED, _YELLOW, score * 2) if score < 0.5 else (_YELLOW, _GREEN, score * 2 - 1)
    r, g, b = (round(a + (z - a) * f) for a, z in zip(low, high, strict=True))
    return Style(color=Color.from_rgb(r, g, b))


def crop(text: Text, width: int) -> Text:
    """`text` cut to `width` cells (slicing a Text is costly, so only when it is too long)."""
    return text if text.cell_len <= width else text[:width]


def _line(*parts: tuple[str, Style | str] | str, width: int) -> Text:
    text = Text(no_wrap=True, overflow="crop", end="")
    for part in parts:
        text.append(part) if isinstance(part, str) else text.append(part[0], part[1])
    text.truncate(width, overflow="ellipsis")
    return text


def _fmt(value: Any, digits: int = 3) -> str:
    """A number with `digits` decimals, or `-` for anything that is not a finite number."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return "-"
    return f"{value:.{digits}f}"


def _window(count: int, focus: int, rows: int) -> range:
    """`rows` consecutive indices out of `count`, keeping `focus` inside."""
    if count <= rows:
        return range(count)
    start = min(max(0, focus - rows // 2), count - rows)
    return range(start, start + rows)


def _rate(value: float) -> str:
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= scale:
            return f"{value / scale:.1f}{suffix}"
    return f"{value:.0f}"


def header_line(state: DashboardState, width: int, wall_time: float | None) -> Text:
    """Scenario, protocol, seed, N, virtual time, wall time and the message rate."""
    h = state.header
    rate = state.messages / state.time if state.time > 0 else 0.0
    mark, style = ("✓", "bold green") if state.finished else ("▶", "bold cyan")
    parts: list[tuple[str, Style | str] | str] = [
        (" convergence ", "bold reverse") if width >= 100 else "",
        (f" {mark} {h.get('scenario', '?')}", style),
        f" · {h.get('protocol', '?')} · seed {h.get('seed', '?')} · N={h.get('n_agents', '?')}",
        f" │ t {state.time:.4f}s",
    ]
    if wall_time is not None:
        parts.append(f" · wall {wall_time:.1f}s")
    parts.append(f" · {_rate(rate)} msg/s")
    return _line(*parts, width=width)


def _bar(fraction: float, width: int, style: Style | str) -> Text:
    full = round(fraction * width)
    text = Text(no_wrap=True, end="")
    text.append("━" * full, style)
    text.append("─" * (width - full), _PENDING)
    return text


def phases_lines(state: DashboardState, width: int, rows: int) -> list[Text]:
    """One line per phase: status mark, name, progress bar, groups merged, consensus."""
    phases = list(state.phases.values())
    if not phases or rows <= 0:
        return [_line(("waiting for the run to start", _PENDING), width=width)]
    levels = [p.level for p in phases]
    focus = levels.index(state.current_level) if state.current_level in levels else len(phases) - 1
    count_width = 2 + 2 * len(str(max(p.groups for p in phases)))
    bar_width = max(3, width - 17 - count_width)
    lines = []
    for index in _window(len(phases), focus, rows):
        p = phases[index]
        lit = p.level == state.current_level
        mark = {"done": "✓", "running": "▶", "pending": "·"}[p.status]
        style: Style | str = "bold cyan" if lit else ("" if p.status == "done" else _PENDING)
        merging = max(0, p.groups - len(p.byes))
        count = f"{merging if p.status == 'done' else len(p.merged)}/{merging}"
        score = agreement_style(p.consensus) if p.consensus is not None else _PENDING
        line = _line((f"{mark} {p.name[:8]:<8} ", style), width=width)
        line.append_text(_bar(p.progress, bar_width, "cyan" if lit else "green"))
        line.append(f"{count:>{count_width}}", style)
        line.append(f" {_fmt(p.consensus)}", score)
        lines.append(line)
    return [crop(line, width) for line in lines]


def _group_ids(phase: PhaseView) -> list[int]:
    """The groups to draw: the plan's `0..groups-1`, or, for protocols whose merges are not
    numbered by a plan (gossip exchanges in a round), the merges that happened."""
    if any(group >= phase.groups for group in phase.merged):
        return sorted(phase.merged)
    return list(range(phase.groups))


def _group_cells(phase: PhaseView, ids: list[int], cell: int, per_cell: int) -> Text:
    """Cells for a level's groups: `per_cell` groups share a cell, coloured by consensus."""
    text = Text(no_wrap=True, end="")
    byes = set(phase.byes)
    for start in range(0, len(ids), per_cell):
        groups = ids[start : start + per_cell]
        merged = [phase.merged[g] for g in groups if g in phase.merged]
        if per_cell == 1 and groups[0] in byes:
            text.append(("bye" if cell >= 4 else "b").ljust(cell), "yellow")
        elif not merged:
            text.append("·".ljust(cell), _PENDING)
        elif cell >= 8:
            group = merged[0]
            label = f"{group.size}:{group.consensus:.2f}".replace(":0.", ":.")[: cell - 1]
            text.append(label.ljust(cell), agreement_style(group.consensus))
        else:
            score = float(np.mean([g.consensus for g in merged]))
            label = str(merged[0].size) if per_cell == 1 and cell == 3 else "█"
            text.append(label.rjust(max(1, cell - 1))[: max(1, cell - 1)].ljust(cell), agreement_style(score))
    return text


def tree_lines(state: DashboardState, width: int, rows: int) -> list[Text]:
    """The merge tree: one line per level, each group's size and consensus, byes marked."""
    levels = [p for p in state.phases.values() if p.groups > 0 and p.phase != "init"]
    lines: list[Text] = []
    if state.observers and rows > 1:
        names = ",".join(str(a) for a in state.observers[:8]) + ("…" if len(state.observers) > 8 else "")
        note = (f"{names} (audit, rejoin at full)", _PENDING)
        lines.append(_line(("observers ", "bold"), note, width=width))
    if not levels:
        return lines or [_line(("no merges yet", _PENDING), width=width)]
    current = state.current_level
    focus = next(
        (i for i, p in enumerate(levels) if current is not None and p.level >= current), len(levels) - 1
    )
    cells_width = max(4, width - 10)
    for index in _window(len(levels), focus, rows - len(lines)):
        p = levels[index]
        ids = _group_ids(p)
        cell = next((c for c in (8, 3, 2, 1) if len(ids) * c <= cells_width), 1)
        per_cell = math.ceil(len(ids) / cells_width) if len(ids) > cells_width else 1
        lit = "bold cyan" if p.level == state.current_level else "bold"
        line = _line((f"{p.name[:8]:<8}", lit), "  ", width=width)
        line.append_text(_group_cells(p, ids, cell, per_cell))
        lines.append(crop(line, width))
    return lines


def _agent_cell(state: DashboardState, agents: range, distances: Any, cell: int) -> tuple[str, Style]:
    marks = [m for m in (state.mark_of(a) for a in agents) if m is not None]
    if marks:
        char, style = _MARKS[min(marks, key=AgentMark.ORDER.index)]
        return char.ljust(cell), style
    known = [d for d in distances[agents.start : agents.stop] if not math.isnan(d)]
    if not known:
        return "·".ljust(cell), _PENDING
    glyph = "◆" if cell >= 2 and agents.start in state.observers and len(agents) == 1 else "█"
    return (glyph * max(1, cell - 1)).ljust(cell), agreement_style(1 - min(1.0, max(known)))


def agents_lines(state: DashboardState, width: int, rows: int) -> tuple[list[Text], int]:
    """The agents grid and how many agents share a cell (1 unless N does not fit)."""
    n = state.n_agents
    if n == 0 or rows <= 0:
        return [_line(("no agents yet", _PENDING), width=width)], 1
    cell = 2 if n * 2 <= width * rows else 1
    per_row = max(1, width // cell)
    per_cell = max(1, math.ceil(n / (per_row * rows)))
    distances = state.distances()
    cells = math.ceil(n / per_cell)
    lines = []
    for row_start in range(0, cells, per_row):
        line = Text(no_wrap=True, end="")
        for c in range(row_start, min(cells, row_start + per_row)):
            agents = range(c * per_cell, min(n, (c + 1) * per_cell))
            char, style = _agent_cell(state, agents, distances, cell)
            line.append(char, style)
        lines.append(crop(line, width))
    return lines[:rows], per_cell


def _column_values(samples: Sequence[tuple[float, float]], columns: int, t_max: float) -> list[float | None]:
    """The consensus at the end of each time bucket (a step function), None past the data."""
    values: list[float | None] = []
    index, last = 0, None
    t_end = samples[-1][0] if samples else 0.0
    for column in range(columns):
        edge = t_max * (column + 1) / columns
        while index < len(samples) and samples[index][0] <= edge + 1e-15:
            last = samples[index][1]
            index += 1
        values.append(last if edge <= t_end + t_max / columns else None)
    return values


def _axis_label(row: int, rows: int, target_row: int | None, target: float | None) -> str:
    if row == target_row and target is not None:
        return f"{target:.2f}".lstrip("0")[:3].rjust(3)
    if row == rows - 1:
        return "1.0"
    return "0.0" if row == 0 else "   "


def chart_lines(state: DashboardState, width: int, rows: int) -> list[Text]:
    """Consensus over virtual time as block columns, with the target as a dotted red line."""
    if rows <= 1:
        return []
    plot_rows = rows - 1
    plot_width = max(1, width - 4)
    values = _column_values(state.samples, plot_width, max(state.time, 1e-12))
    target = state.target
    target_row = None if target is None else min(plot_rows - 1, int(target * plot_rows))
    lines = []
    for row in range(plot_rows - 1, -1, -1):
        line = Text(_axis_label(row, plot_rows, target_row, target) + "┤", _PENDING, no_wrap=True, end="")
        for value in values:
            fill = 0.0 if value is None else min(1.0, max(0.0, value * plot_rows - row))
            if row == target_row and fill < 0.5:
                line.append("┄", "red")
            elif value is None:
                line.append(" ")
            else:
                line.append(_BLOCKS[round(fill * 8)], agreement_style(value))
        lines.append(crop(line, width))
    footer = f"virtual time 0 … {state.time:.4f}s"
    return [*lines, _line((footer.rjust(width), _PENDING), width=width)]


def metrics_lines(state: DashboardState, width: int) -> list[Text]:
    """Consensus, dispersion, accuracy, messages and the symmetry metrics when present."""
    target = state.target
    reached = state.consensus is not None and target is not None and state.consensus >= target
    score_style: Style | str = agreement_style(state.consensus) if state.consensus is not None else _PENDING
    rows: list[tuple[str, str, Style | str]] = [
        ("consensus", f"{_fmt(state.consensus)} / {_fmt(target, 2)}{' ✓' if reached else ''}", score_style),
        ("dispersion", f"{_fmt(state.dispersion, 4)} (D0 {_fmt(state.d0, 3)})", ""),
        ("error", _error_text(state), ""),
        ("messages", f"{state.messages:,} sent, {state.dropped:,} dropped", ""),
    ]
    sps, cqi = state.metrics.get("sps"), state.metrics.get("cqi")
    if sps is not None or cqi is not None:
        rows.append(("SPS / CQI", f"{_fmt(sps, 1)} / {_fmt(cqi, 3)}", "bold"))
    late = state.metrics.get("messages_late")
    if late:
        rows.append(("late", f"{late:.0f}", ""))
    return [_line((f"{label:<10} ", _PENDING), (value, style), width=width) for label, value, style in rows]


def _error_text(state: DashboardState) -> str:
    error = state.error()
    if error is None:
        return "-"
    if "error" not in state.metrics:
        return f"~{error:.4f} (estimate)"
    ratio = state.metrics.get("error_ratio")
    return f"{error:.4f}" + (f" (x{ratio:.3f})" if ratio is not None else "")


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _describe(name: str, fields: dict[str, Any]) -> str:
    if name in ("phase_start", "phase_end"):
        if name == "phase_end":
            return f"{fields.get('name', '?')} consensus {_fmt(fields.get('consensus'))}"
        raw = fields.get("byes")
        byes = ",".join(str(b) for b in raw) if isinstance(raw, list) else ""
        return f"{fields.get('name', '?')} {fields.get('groups', '?')} groups" + (
            f", bye {byes}" if byes else ""
        )
    if set(fields) == {"line"}:
        return str(fields["line"])
    if name == "run_start":
        return f"{fields.get('scenario')} N={fields.get('n_agents')} {fields.get('protocol')}"
    if name == "exchanges" and isinstance(fields.get("levels"), list):
        levels = [level for level in fields["levels"] if isinstance(level, dict)]
        used, planned = (sum(_count(level.get(key)) for level in levels) for key in ("used", "planned"))
        return f"{used}/{planned} planned exchanges used"
    if name == "run_end":
        return f"consensus {_fmt(fields.get('consensus'))} msgs {fields.get('messages_sent')}"
    parts = []
    for key, value in fields.items():
        shown = value
        if isinstance(value, list | tuple):
            shown = ",".join(str(v) for v in value[:4]) + ("…" if len(value) > 4 else "")
        elif isinstance(value, float):
            shown = f"{value:.4g}"
        elif isinstance(value, dict):
            shown = "{…}"
        parts.append(f"{key}={shown}")
    return " ".join(parts)


def events_lines(state: DashboardState, width: int, rows: int) -> list[Text]:
    """The newest events that fit, oldest first: phase changes, faults, flags."""
    if rows <= 0:
        return []
    lines = []
    for time, name, fields in list(state.feed)[-rows:]:
        alarm = _MARKS.get(str(mark_for(name)), ("", ""))[1] or ("cyan" if name.startswith("phase") else "")
        lines.append(
            _line((f"{time:8.4f} ", _PENDING), (f"{name} ", alarm), _describe(name, fields), width=width)
        )
    return lines
