"""Rich renderings for the command line: the run summary table and the plan tree."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from convergence.plan import SymmetricPlan

__all__ = [
    "fault_lines",
    "format_members",
    "plan_tree",
    "quality_lines",
    "summary_table",
    "validation_table",
]


def _num(value: Any, digits: int = 4) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def summary_table(summary: dict[str, Any]) -> Group:
    """Per-phase table and a totals line for one run's summary."""
    title = (
        f"{summary['scenario']}  protocol={summary['protocol']}  N={summary['n_agents']}  "
        f"seed={summary['seed']}"
    )
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("phase")
    table.add_column("lvl", justify="right")
    table.add_column("groups", justify="right")
    table.add_column("msgs", justify="right")
    table.add_column("lost", justify="right")
    table.add_column("consensus", justify="right")
    table.add_column("dispersion", justify="right")
    table.add_column("t end (s)", justify="right")
    for phase in summary["phases"]:
        table.add_row(
            phase["name"],
            str(phase["level"]),
            _num(phase["groups"]),
            str(phase["messages"]),
            str(phase.get("dropped", 0)),
            _num(phase["consensus"]),
            _num(phase["dispersion"], 6),
            _num(phase["t_end_s"], 6),
        )
    ttc = summary["time_to_consensus_s"]
    head = Text()
    head.append(f"consensus {_num(summary['consensus'])}", style="bold")
    head.append(f" (D0 {_num(summary.get('d0'), 4)})")
    target = summary["target"]
    head.append(
        f"   target {target} reached at {ttc:.6f}s" if ttc is not None else f"   target {target} not reached"
    )
    traffic = Text(f"messages {summary['messages_sent']} sent, {summary['messages_dropped']} dropped")
    traffic.append(f"   virtual {_num(summary['t_end_s'], 6)}s")
    if "wall_time_s" in summary:
        traffic.append(f"   wall {summary['wall_time_s'] * 1e3:.1f}ms")
    totals: list[Text] = [head, traffic]
    if summary.get("error") is not None:
        ratio = summary.get("error_ratio")
        totals.append(Text(f"error {_num(summary['error'])} (x{_num(ratio, 3)} of the initial crowd's)"))
    if summary.get("accuracy") is not None:
        totals.append(
            Text(f"{summary['accuracy']:.0%} on the correct option (decision {summary['decision']})")
        )
    if summary.get("clusters") is not None:
        totals.append(Text(f"{summary['clusters']} opinion cluster(s)"))
    if summary.get("interrupted"):
        totals.append(
            Text("INTERRUPTED: the run was stopped; numbers cover what it recorded", style="bold red")
        )
    parts: list[Any] = [table, *totals, *quality_lines(summary)]
    parts += fault_lines(summary)
    if summary.get("validation") is not None:
        parts.append(validation_table(summary["validation"]))
    return Group(*parts)


def quality_lines(summary: dict[str, Any]) -> list[Text]:
    """The SPS / CQI line and the RER line."""
    line = Text()
    sps = summary.get("sps")
    line.append(f"SPS {sps:.1f}" if sps is not None else "SPS -", style="bold")
    line.append(f"   CQI {_num(summary.get('cqi'), 4)}", style="bold")
    if summary.get("m_used") == 0:
        line.append(" (no merge messages were needed)")
    elif summary.get("m_used") is not None:
        efficiency = _num(summary.get("efficiency"), 3)
        line.append(f" (efficiency {efficiency} = min(1, {summary.get('m_min')}/{summary['m_used']}))")
    rer = summary.get("rer") or []
    shown = [_num(v, 3) for v in rer]
    if len(shown) > 8:
        # Iterative protocols have one level per round: show the first and last few.
        shown = [*shown[:4], f"... {len(shown) - 7} more", *shown[-3:]]
    rer_line = Text("RER by level [" + ", ".join(shown) + "]")
    first = (summary.get("rer_levels") or [{}])[0]
    if first.get("level") == 1 and first.get("e") == 0:
        rer_line.append(" (undefined: level 1 removed no dispersion, e_1 = 0)")
    return [line, rer_line]


def fault_lines(summary: dict[str, Any]) -> list[Text]:
    """Faulty agents, crashes with their exceptions, invalid messages, and a stall."""
    lines: list[Text] = []
    by_kind: dict[str, list[str]] = {}
    for fault in summary.get("faults") or []:
        label = str(fault["agent"]) + (f" ({fault['strategy']})" if "strategy" in fault else "")
        by_kind.setdefault(fault["kind"], []).append(label)
    if by_kind:
        lines.append(Text("faults: " + "; ".join(f"{k} {', '.join(v)}" for k, v in by_kind.items())))
    if summary.get("faults_never_started"):
        names = ", ".join(summary["faults_never_started"])
        lines.append(
            Text(f"no level of phase {names} ever started: faults waiting for it never began", style="yellow")
        )
    for error in summary.get("errors") or []:
        lines.append(
            Text(
                f"agent {error['agent']} crashed at {error['t']:.6f}s: {error['type']}: {error['message']}",
                style="red",
            )
        )
    counts = [
        f"{summary[key]} {label}"
        for key, label in (
            ("messages_invalid", "invalid (non-finite) rejected"),
            ("messages_quarantined", "from quarantined senders skipped"),
            ("messages_duplicated", "duplicated"),
            ("messages_cut", "cut by partitions"),
        )
        if summary.get(key)
    ]
    if counts:
        lines.append(Text("messages: " + ", ".join(counts)))
    stalled = summary.get("stalled")
    if stalled:
        waiting = ", ".join(
            f"{w['agent']} (level {w['level']}, {w['received']}/{w['expected']})" for w in stalled["waiting"]
        )
        lines.append(
            Text(
                f"watchdog ended the run at {stalled['t']:.6f}s: {stalled['reason']}; "
                f"waiting: {waiting or 'none'}",
                style="bold red",
            )
        )
    return lines


def validation_table(validation: dict[str, Any]) -> Group:
    """Which agents were flagged at which level by which check, and detection quality."""
    table = Table(title="recursive validation (observers' failed checks)", title_justify="left")
    for column in ("level", "check", "suspects", "groups", "observers"):
        table.add_column(column, justify="right" if column == "level" else "left")
    rows: dict[tuple[int, str], dict[str, set[int]]] = {}
    for failure in validation["failures"]:
        row = rows.setdefault(
            (failure["level"], failure["check"]), {"suspects": set(), "groups": set(), "observers": set()}
        )
        row["suspects"].update(failure["suspects"])
        row["groups"].add(failure["group"])
        row["observers"].update(failure["observers"])
    for (level, check), row in sorted(rows.items()):
        table.add_row(
            str(level),
            check,
            format_members(sorted(row["suspects"])) or "-",
            format_members(sorted(row["groups"])),
            format_members(sorted(row["observers"])),
        )
    line = Text()
    line.append(f"flagged {validation['flagged']}   truly faulty (byzantine) {validation['faulty']}   ")
    line.append(
        f"precision {_num(validation['precision'], 3)}   recall {_num(validation['recall'], 3)}", style="bold"
    )
    if not rows:
        return Group(
            Text(f"recursive validation: no check failed ({validation['levels_checked']} level audits)"), line
        )
    return Group(table, line)


def format_members(members: list[int], limit: int = 8) -> str:
    """`0,1,2,...` shortened: consecutive runs as ranges, long lists elided."""
    if not members:
        return ""
    runs: list[str] = []
    start = prev = members[0]
    for value in members[1:]:
        if value == prev + 1:
            prev = value
            continue
        runs.append(str(start) if start == prev else f"{start}-{prev}")
        start = prev = value
    runs.append(str(start) if start == prev else f"{start}-{prev}")
    if len(runs) > limit:
        runs = [*runs[: limit - 1], "...", runs[-1]]
    return ",".join(runs)


def plan_tree(plan: SymmetricPlan, *, max_groups: int = 16) -> Tree:
    """The plan as a tree: one branch per level, its groups (byes marked), the observers."""
    root = Tree(
        f"[bold]symmetric plan[/bold]  N={plan.n}  levels={len(plan.levels)}  "
        f"planned exchanges={plan.n_messages}"
    )
    root.add(f"init: coordinator broadcasts the task to {plan.n} agent{'s' if plan.n != 1 else ''}")
    if len(plan.observers):
        root.add(f"observers: agents {format_members(plan.observers.tolist())} (set aside after pairs)")
    elif plan.n >= 2:
        root.add("observers: none (too few agents)" if plan.n < 6 else "observers: none")
    byes_total = 0
    for level in plan.levels:
        sizes = level.sizes
        branch = root.add(
            f"[bold]{level.name}[/bold] (level {level.index}, phase {level.phase}): "
            f"{level.n_groups} group(s), sizes {sorted(set(sizes.tolist()))}, "
            f"{level.n_exchanges} exchanges"
        )
        byes = set(level.byes.tolist())
        byes_total += len(byes)
        for group in range(min(level.n_groups, max_groups)):
            mark = "  [yellow]bye[/yellow]" if group in byes else ""
            branch.add(f"g{group} [{sizes[group]}]: {format_members(level.members(group).tolist())}{mark}")
        if level.n_groups > max_groups:
            branch.add(f"... {level.n_groups - max_groups} more groups")
    if byes_total:
        root.add(f"[yellow]{byes_total} bye(s): groups that carried forward without merging[/yellow]")
    return root
