"""Terminal views (rich): the summary table printed in every run, and the diff listing.

All report text goes in as ``rich.text.Text`` so that ``[brackets]`` in symbol specs or source
lines are never read as console markup.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from tfinit_audit.report import fmt
from tfinit_audit.report.diff import Change
from tfinit_audit.report.model import Report
from tfinit_audit.report.view import build_view

WARNINGS_SHOWN = 5  # per release in the terminal; report.json has them all
STATUS_STYLE = {
    "partial": ("◐ partial", "yellow"),
    "needs-args": ("⋯ needs args", "yellow"),
    "unavailable": ("⚠ unavailable", "red"),
    "absent": ("∅ absent", "dim"),
    "error": ("✖ error", "bold red"),
    "missing": ("— not analysed", "dim"),
}


def render_terminal(report: Report, console: Console) -> None:
    """Summary matrix (symbols × releases), change count, live verdicts, sources in brief."""
    v = build_view(report)
    if report.versions:
        console.print(Text(f"Releases: {fmt.releases_line(report.versions)}", style="bold"))
    if not v.rows:
        console.print(Text("No symbols analysed.", style="dim"))
    else:
        table = Table(
            title="Default initializers by TensorFlow release", show_lines=True, expand=False
        )
        table.add_column("Symbol", style="bold", overflow="fold")
        for i, label in enumerate(v.labels):
            ver = report.versions[i]
            head = Text(f"TF {label}")
            if ver.status == "error":
                head.append(" ✖ error", style="bold red")
            table.add_column(head, overflow="fold")
        for row in v.rows:
            cells: list[Text] = [Text(row.key)]
            for cell in row.cells:
                t = Text()
                if cell.changed:
                    t.append("▲ changed\n", style="bold yellow")
                elif cell.facts_changed:
                    t.append("◆ facts changed\n", style="cyan")
                elif cell.trace_changed:
                    t.append("↻ chain changed\n", style="magenta")
                elif cell.gap:
                    t.append("◌ gap\n", style="dim")
                if cell.status in STATUS_STYLE:
                    label, style = STATUS_STYLE[cell.status]
                    t.append(label + "\n", style=style)
                if cell.concrete_name:
                    t.append(f"as {cell.concrete_name}\n", style="dim")
                t.append("\n".join(cell.lines))
                if not cell.lines and cell.message and cell.status in ("absent", "unavailable"):
                    t.append(cell.message, style="dim")
                cells.append(Text(t.plain.rstrip("\n")) if not t.spans else _rstrip(t))
            table.add_row(*cells)
        console.print(table)
    tot = v.totals
    line = Text(
        f"{tot['versions']} releases · {tot['rows']} symbols · {tot['changes']} value changes · "
        f"{tot['fact_changes']} porting-fact changes · {tot['trace_changes']} chain/location "
        f"changes · {tot['gaps']} gaps (one side unknown)"
    )
    console.print(line)
    for i, ver in enumerate(report.versions):
        f = ver.fetch
        t = Text(f"  TF {v.labels[i]} ({ver.source}): ")
        if ver.status == "error":
            t.append(f"error: {ver.error}", style="red")
        else:
            t.append(
                f"{f.requests} requests, {fmt.human_bytes(f.bytes)}, {fmt.num(f.seconds)} s fetch, "
                f"{f.from_cache} from cache, analysis {fmt.num(ver.analysis_seconds)} s"
            )
        console.print(t)
        for warning in ver.warnings[:WARNINGS_SHOWN]:
            console.print(Text(f"    warning: {warning}", style="yellow"))
        if len(ver.warnings) > WARNINGS_SHOWN:
            console.print(Text(f"    … and {len(ver.warnings) - WARNINGS_SHOWN} more warnings "
                               "(report.json: versions[].warnings)", style="yellow"))
    if report.dims.given:
        console.print(Text("  built with the argument table and --dim " + ", ".join(
            f"{k}={val}" for k, val in v.dims[2:]), style="dim"))
    for ns in v.namespaces:
        t = Text(f"  TF {ns.label} {ns.pattern}: ")
        if ns.error:
            t.append(ns.error, style="yellow")
        else:
            t.append(f"{ns.listed} public names in {ns.namespaces} namespace(s), "
                     f"{len(ns.kept)} reported; skipped: " + "; ".join(
                         f"{len(names)} {reason}" for reason, names in ns.skipped[:4])
                     + (" ..." if len(ns.skipped) > 4 else ""))
        console.print(t)
    for lv in v.live:
        r = lv.run
        s = r.summary
        t = Text(f"Live Python {r.python_version} TF {r.tensorflow or '?'}: ")
        t.append(f"✔ {s.get('agree', 0)} agree  ", style="green")
        t.append(f"✖ {s.get('disagree', 0)} disagree  ", style="red" if s.get("disagree") else "")
        t.append(f"? {s.get('inconclusive', 0)} inconclusive", style="blue")
        if r.error:
            t.append(f"  error: {r.error}", style="red")
        console.print(t)
        console.print(Text(f"  {fmt.live_compared(r, report.versions)}", style="dim"))


def _rstrip(t: Text) -> Text:
    t.rstrip()
    return t


def render_diff_terminal(changes: Sequence[Change], console: Console) -> None:
    """Per release pair: changes of starting values first, in full; then what only moved
    (defining file, public name, provenance chain), one short line each."""
    if not changes:
        console.print(Text("No differences between consecutive releases.", style="green"))
        return
    pairs = list(dict.fromkeys((c.from_version, c.to_version) for c in changes))
    for pair in pairs:
        here = [c for c in changes if (c.from_version, c.to_version) == pair]
        values = [c for c in here if c.affects_values]
        facts = [c for c in here if c.category == "facts"]
        moved = [c for c in here if c.category == "trace"]
        gaps = [c for c in here if c.is_gap]
        console.print(Text(f"\nTF {pair[0]} → TF {pair[1]}", style="bold"))
        console.print(Text(f"  ▲ {len(values)} change(s) of starting values (initializers, "
                           "shapes, weights, adjustments)" + ("" if values else " (none)"),
                           style="bold yellow"))
        for c in values:
            _print_full(console, c)
        if facts:
            console.print(Text(f"  ◆ {len(facts)} change(s) of porting facts (same starting "
                               "values)", style="cyan"))
        for c in facts:
            _print_full(console, c)
        if moved:
            console.print(Text(f"  ↻ {len(moved)} change(s) of code path only (same values)",
                               style="magenta"))
        for c in moved:
            t = Text("    ")
            t.append(c.row, style="bold")
            t.append(f"  {c.subject}: ")
            t.append(_short_move(c), style="dim")
            console.print(t)
        if gaps:
            console.print(Text(f"  ◌ {len(gaps)} gap(s): one side unknown to the analysis, "
                               "not a change", style="dim"))
        for c in gaps:
            t = Text("    ")
            t.append(c.row, style="bold")
            t.append(f"  {c.subject}: {c.before} → {c.after}", style="dim")
            console.print(t)


def _print_full(console: Console, c: Change) -> None:
    t = Text("    ")
    t.append(c.row, style="bold")
    t.append(f"  {c.subject}: ")
    t.append(c.before, style="dim")
    t.append(" → ")
    t.append(c.after, style="bold")
    console.print(t)


def _short_move(c: Change) -> str:
    """A chain change as 'N → M hops, now ends at file:line'; others as before → after."""
    if c.kind == "chain":
        hops_before = c.before.count("→") + 1 if c.before else 0
        hops_after = c.after.count("→") + 1 if c.after else 0
        last = c.after.split("→")[-1].strip() if c.after else "—"
        return f"{hops_before} → {hops_after} hops, now ends at {last}"
    return f"{c.before} → {c.after}"
