"""Terminal views (rich): the summary table printed in every run, and the diff listing.

All report text goes in as ``rich.text.Text`` so that ``[brackets]`` in symbol specs or source
lines are never read as console markup.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from tfinit_audit.report import fmt
from tfinit_audit.report.diff import Change
from tfinit_audit.report.model import Report, VersionReport
from tfinit_audit.report.ranges import Segment, row_ranges
from tfinit_audit.report.view import ReportView, build_view

WARNINGS_SHOWN = 5  # per release in the terminal; report.json has them all
STATUS_STYLE = {
    "partial": ("◐ partial", "yellow"),
    "needs-args": ("⋯ needs args", "yellow"),
    "unavailable": ("⚠ unavailable", "red"),
    "absent": ("∅ absent", "dim"),
    "error": ("✖ error", "bold red"),
    "missing": ("— not analysed", "dim"),
}


def render_terminal(report: Report, console: Console, view: ReportView | None = None) -> None:
    """The summary: the matrix (symbols × releases) when it fits the console's width, else each
    row's weights as ranges of releases with the same answer; then the totals, what fetching
    cost (per release next to the matrix, summed next to ranges), live verdicts. ``view``: the
    report's view, if already built."""
    v = view or build_view(report, sections_wanted=False)  # no per-symbol details here
    if report.versions:
        say(console, Text(f"Releases: {fmt.releases_line(report.versions, fmt.RELEASES_LISTED)}",
                          style="bold"))
    table = _matrix(report, v) if v.rows else None
    ranges = table is not None and not fits(table, console)
    if table is None:
        console.print(Text("No symbols analysed.", style="dim"))
    elif ranges:
        _print_ranges(v, console)
    else:
        console.print(table)
    tot = v.totals
    line = Text(
        f"{tot['versions']} releases · {tot['rows']} symbols · {tot['changes']} value changes · "
        f"{tot['fact_changes']} porting-fact changes · {tot['trace_changes']} chain/location "
        f"changes · {tot['gaps']} gaps (one side unknown)"
    )
    say(console, line)
    if ranges:
        _print_fetch_totals(report, console)
    else:
        for i, ver in enumerate(report.versions):
            console.print(_fetch_line(f"TF {v.labels[i]}", ver))
            _print_warnings(ver, console)
    _print_arguments(report, v, console)
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


def _print_arguments(report: Report, v: ReportView, console: Console) -> None:
    """The --dim entries the run used, and what each pattern listed (counts, reasons)."""
    if report.dims.given:
        say(console, Text("  built with the argument table and --dim " + ", ".join(
            f"{k}={val}" for k, val in v.dims[2:]), style="dim"))
    for ns in v.namespaces:
        t = Text(f"  TF {ns.label} {ns.pattern}: ")
        if ns.error:
            t.append(ns.error, style="yellow")
        else:
            t.append(f"{ns.listed} public names in {ns.namespaces} namespace(s), "
                     f"{len(ns.kept)} reported")
            if ns.skipped:
                t.append("; skipped: " + "; ".join(
                    f"{len(names)} {reason}" for reason, names in ns.skipped[:4])
                    + (" ..." if len(ns.skipped) > 4 else ""))
        say(console, t)


def fits(table: Table, console: Console) -> bool:
    """Whether the matrix fits the console's width with every cell unwrapped."""
    wide = console.options.update(width=1 << 20)  # measure the table's own width, unclamped
    return Measurement.get(console, wide, table).maximum <= console.width


def _matrix(report: Report, v: ReportView) -> Table:
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
    return table


def _fetch_line(head: str, ver: VersionReport) -> Text:
    f = ver.fetch
    t = Text(f"  {head} ({ver.source}): ")
    if ver.status == "error":
        t.append(f"error: {ver.error}", style="red")
    else:
        ahead = (f" (read ahead {fmt.human_bytes(f.prefetch_bytes)}, "
                 f"{100 * (f.prefetch_accuracy or 0):.0f}% used)" if f.prefetch_bytes else "")
        t.append(
            f"{f.requests} requests, {fmt.human_bytes(f.bytes)}{ahead}, "
            f"{fmt.num(f.seconds)} s fetch, {f.from_cache} from cache, analysis "
            f"{fmt.num(ver.analysis_seconds)} s"
        )
    return t


def _print_fetch_totals(report: Report, console: Console) -> None:
    ok = [ver for ver in report.versions if ver.status != "error"]
    if ok:
        say(console, Text(
            f"Fetched: {sum(v.fetch.requests for v in ok)} requests, "
            f"{fmt.human_bytes(sum(v.fetch.bytes for v in ok))}, "
            f"{sum(v.fetch.from_cache for v in ok)} files from cache; analysis "
            f"{fmt.num(sum(v.analysis_seconds for v in ok))} s summed over {len(ok)} releases "
            "(per release: report.json, or the HTML report's Sources)"
        ))
    for ver in report.versions:
        if ver.status == "error":
            console.print(_fetch_line(f"TF {ver.label}", ver))
        elif ver.warnings:
            console.print(Text(f"  TF {ver.label}:"))
        _print_warnings(ver, console)


def _print_warnings(ver: VersionReport, console: Console) -> None:
    for warning in ver.warnings[:WARNINGS_SHOWN]:
        console.print(Text(f"    warning: {warning}", style="yellow"), overflow="fold")
    if len(ver.warnings) > WARNINGS_SHOWN:
        console.print(Text(f"    … and {len(ver.warnings) - WARNINGS_SHOWN} more warnings "
                           "(report.json: versions[].warnings)", style="yellow"))


# --------------------------------------------------------------------------------------------
# Ranges: rows × weights, consecutive releases with the same answer
# --------------------------------------------------------------------------------------------
SEP = " · "
NAME_WIDTH = 24  # the name column; a longer weight name gets a line of its own
MIN_ROOM = 32  # narrower room for the answers than this: they go under the names
BREAKS = ",.[(/"  # where a word longer than a line may be cut
HANG = 2  # further lines of a wrapped answer are indented by this much more
STATUS_LINE = {"absent": ("∅ absent", "dim"), "unavailable": ("⚠ unavailable", "red"),
               "error": ("✖ error", "bold red"), "missing": ("— not analysed", "dim")}


def _print_ranges(v: ReportView, console: Console) -> None:
    labels = v.labels
    width = max(console.width, 40)
    head = Text("Default initializers by TensorFlow release", style="bold")
    head.append(f" — {len(labels)} releases, {labels[0]} … {labels[-1]}" if labels else "")
    say(console, head)
    say(console, Text(
        "Per symbol and weight, the releases with each answer; a–b: the releases of this run "
        "from a to b", style="dim"))
    for row in v.rows:
        rr = row_ranges(row)
        console.print()
        say(console, Text(rr.key, style="bold"))
        lines: list[tuple[Text, list[Text]]] = []
        if rr.names:  # the release was asked for another name (a twin) than the row's
            lines.append((Text("as", style="dim"),
                          [_segment(s, labels, "dim") for s in rr.names]))
        for status, segs in rr.statuses:
            label, style = STATUS_LINE.get(status, (status, ""))
            lines.append((Text(label, style=style),
                          [Text(s.label(labels), style=style) for s in segs]))
        for wr in rr.weights:
            if wr.name:
                lines.append((Text(wr.name, style="cyan"),
                              [_segment(s, labels) for s in wr.segments]))
            else:  # releases where the symbol creates no weight at all
                lines.append((Text("(no weights)", style="dim"),
                              [Text(s.label(labels)) if s.text == "no weights"
                               else _segment(s, labels, "dim") for s in wr.segments]))
        col = min(max((len(name) for name, _ in lines), default=0), NAME_WIDTH) + 4
        if col + MIN_ROOM > width:  # too narrow for a name column: answers under the names
            col = 4
        for name, parts in lines:
            longest = max((len(w) for p in parts for w in p.plain.split()), default=0)
            at = col if col + longest + HANG <= width else 4  # a long word: under the name
            lead = Text("  ").append_text(name)
            if len(lead) + 2 > at:
                say(console, lead)
                lead = Text("")
            lead.append(" " * (at - len(lead)))
            _answers(console, lead, parts, at, width)


def _segment(seg: Segment, labels: list[str], style: str = "bold") -> Text:
    t = Text(seg.label(labels))
    t.append(" ")
    t.append(seg.text, style="yellow" if seg.status == "partial" else style)
    return t


def _answers(console: Console, lead: Text, parts: list[Text], col: int, width: int) -> None:
    """``lead`` then the parts: on one line joined by `` · `` when they all fit, else one part
    a line at ``col``; a part longer than the room is wrapped at spaces, its further lines
    indented by two more."""
    room = width - col
    if sum(len(p) for p in parts) + len(SEP) * (len(parts) - 1) <= room:
        line = lead.copy()
        for k, part in enumerate(parts):
            if k:
                line.append(SEP, style="dim")
            line.append_text(part)
        _emit(console, line)
        return
    for k, part in enumerate(parts):
        first = lead.copy() if k == 0 else Text(" " * col)
        for n, piece in enumerate(wrap_words(part, room, room - HANG)):
            line = first if n == 0 else Text(" " * (col + HANG))
            line.append_text(piece)
            _emit(console, line)


def wrap_words(text: Text, first: int, rest: int) -> list[Text]:
    """``text`` cut at spaces into lines of at most ``first`` then ``rest`` cells; a word
    longer than a line is the only one cut, after its last ``,.[(/`` that fits (else where the
    line is full)."""
    out: list[Text] = []
    plain, start, room = text.plain, 0, first
    while len(plain) - start > room:
        cut = plain.rfind(" ", start, start + room + 1)
        if cut <= start:  # one word longer than the line: cut after a comma, dot, bracket
            end = max(plain.rfind(c, start, start + room) for c in BREAKS) + 1
            end = end if end > start else start + room
            out.append(text[start:end])
            start, room = end, rest
            continue
        out.append(text[start:cut])
        start, room = cut + 1, rest
        while start < len(plain) and plain[start] == " ":
            start += 1
    out.append(text[start:])
    return out


def say(console: Console, text: Text) -> None:
    """``text`` wrapped at spaces to the console's width, without trailing spaces."""
    for line in wrap_words(text, console.width, console.width):
        _emit(console, line)


def _emit(console: Console, line: Text) -> None:
    line.rstrip()
    console.print(line, overflow="ignore", crop=False, no_wrap=True)


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
