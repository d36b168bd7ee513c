"""Rich rendering of a protocol comparison: one row per protocol, and the speed-up lines."""

from __future__ import annotations

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from convergence.comparison import BASELINE, Comparison, ProtocolStats
from convergence.stats import Interval

__all__ = ["comparison_view", "protocol_table", "speedup_lines"]

_ACCURACY_TITLE = {"error": "crowd error", "accuracy": "accuracy", "clusters": "clusters"}


def _fmt(value: float | None, scale: float = 1.0) -> str:
    """Three significant digits below 1000, whole numbers with separators above."""
    if value is None:
        return "-"
    scaled = value * scale
    if abs(scaled) >= 1000:
        return f"{scaled:,.0f}"
    if scaled == 0:
        return "0"
    return f"{scaled:#.3g}".rstrip(".")


def _interval(interval: Interval | None, scale: float = 1.0) -> str:
    if interval is None or interval.estimate is None:
        return "-"
    text = _fmt(interval.estimate, scale)
    if interval.low is not None and interval.high is not None:
        text += f" [{_fmt(interval.low, scale)}, {_fmt(interval.high, scale)}]"
    return text


_ROWS = (
    ("time to target (ms)", "time_to_consensus_s", 1e3),
    ("messages to target", "messages_to_consensus", 1.0),
    ("messages sent", "messages_sent", 1.0),
    ("final consensus", "consensus", 1.0),
    ("SPS (%)", "sps", 1.0),
    ("CQI", "cqi", 1.0),
)


def protocol_table(comparison: Comparison, stats: ProtocolStats) -> Table:
    """One protocol's table: each metric's mean [95% CI] and its ratio to symmetric."""
    ran = stats.replicates - stats.failed
    title = (
        f"[bold]{stats.protocol}[/bold]: reached the target in {ran - stats.never_reached}/{stats.replicates}"
    )
    if stats.failed:
        title += f" ({stats.failed} runs failed)"
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("metric")
    table.add_column("mean [95% CI]", justify="right")
    table.add_column(f"x {BASELINE} [95% CI]", justify="right")
    accuracy = (_ACCURACY_TITLE[comparison.accuracy_metric], comparison.accuracy_metric, 1.0)
    for label, metric, scale in (*_ROWS, accuracy):
        ratio = stats.ratios.get(metric)
        table.add_row(label, _interval(stats.means[metric], scale), _interval(ratio) if ratio else "")
    return table


def speedup_lines(comparison: Comparison) -> Text:
    """For each protocol: its time to the target as a multiple of symmetric's, and what that saves."""
    text = Text()
    for stats in comparison.stats:
        ratio = stats.ratios.get("time_to_consensus_s")
        if stats.protocol == BASELINE or ratio is None or ratio.estimate is None or ratio.estimate <= 0:
            continue
        r, low, high = ratio.estimate, ratio.low, ratio.high
        known = low is not None and high is not None and low > 0
        if low is not None and high is not None and 0 < low <= 1 <= high:
            text.append(
                f"{stats.protocol} vs {BASELINE}: no detectable difference in time "
                f"(x{_fmt(r)} [{_fmt(low)}, {_fmt(high)}], {ratio.n} paired seeds)\n"
            )
            continue
        line = f"{stats.protocol} needs x{_fmt(r)}"
        line += f" [{_fmt(low)}, {_fmt(high)}]" if known else ""
        line += f" the time {BASELINE} needs: {BASELINE} "
        if r >= 1:
            line += f"saves {1 - 1 / r:.0%}"
            line += f" [{1 - 1 / low:.0%}, {1 - 1 / high:.0%}]" if known else ""  # type: ignore[operator]
        else:
            line += f"needs {1 / r - 1:.0%}"
            line += f" [{1 / high - 1:.0%}, {1 / low - 1:.0%}]" if known else ""  # type: ignore[operator]
            line += " more"
        text.append(f"{line} ({ratio.n} paired seeds)\n")
    if not text:
        text.append(f"no time ratio to {BASELINE}: it was not compared, or nothing reached the target\n")
    return text


def comparison_view(comparison: Comparison) -> Group:
    """A table per protocol, then the time ratios to symmetric in words."""
    scenario = comparison.scenario
    header = Text(
        f"{scenario.name}: {len(comparison.protocols)} protocols x {len(comparison.seeds)} seeds "
        f"(the same seeds for each), N={scenario.agents.count}, task={scenario.task.kind}, "
        f"target {scenario.protocol.target}\n"
        "means with t-based 95% CIs (clipped to the metric's range); ratios to symmetric are ratios of "
        "means over the seeds where both "
        "reached the target, with 95% paired bootstrap CIs; times and messages to target count only "
        "replicates that reached it\n",
        style="dim",
    )
    tables = [protocol_table(comparison, stats) for stats in comparison.stats]
    return Group(header, *tables, speedup_lines(comparison))
