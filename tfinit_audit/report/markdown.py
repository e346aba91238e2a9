"""report.md: the summary matrix, the change list and the live verdicts, for a PR comment or a
CI job summary (GitHub-flavoured Markdown; every untrusted string escaped)."""

from __future__ import annotations

import html
import re

from tfinit_audit.report import fmt
from tfinit_audit.report.model import Report
from tfinit_audit.report.view import Cell, ReportView, build_view, span_label

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~#])")


def esc(text: object) -> str:
    """Plain text safe in a Markdown table cell: no HTML, no emphasis, no broken columns."""
    s = " ".join(str(text).split())
    s = html.escape(s, quote=False)
    return _MD_SPECIAL.sub(r"\\\1", s)


def code(text: object) -> str:
    """Inline code (shown verbatim by renderers, HTML included); pipes escaped for tables."""
    s = " ".join(str(text).split())
    if "`" in s or not s:
        return esc(s)
    return "`" + s.replace("|", "\\|") + "`"


STATUS = {
    "resolved": "",
    "partial": "◐ partial",
    "needs-args": "⋯ needs args",
    "unavailable": "⚠ unavailable",
    "absent": "∅ absent",
    "error": "✖ error",
    "missing": "— not analysed",
}
VERDICT = {"agree": "✔ agree", "disagree": "✖ disagree", "inconclusive": "? inconclusive"}


def render_markdown(report: Report, view: ReportView | None = None) -> str:
    """The whole report.md: heading, summary matrix, changes, live verdicts, sources.
    ``view``: the report's view, if already built."""
    v = view or build_view(report, sections_wanted=False)  # no per-symbol details here
    out: list[str] = []
    out += _heading(report, v)
    out += _matrix(report, v)
    out += _changes(v)
    out += _built_with(report, v)
    out += _namespaces(v)
    out += _live(v)
    out += _sources(report, v)
    return "\n".join(out).rstrip() + "\n"


def _heading(report: Report, v: ReportView) -> list[str]:
    out = [f"## {esc(report.tool_name)} — default initializers by TensorFlow release", ""]
    meta = [f"{esc(report.tool_name)} {esc(report.tool_version)}"]
    if report.generated_at:
        meta.append(f"generated {esc(report.generated_at)}")
    if report.command:
        meta.append(f"command {code(report.command)}")
    out.append(" · ".join(meta))
    out.append("")
    out.append("Releases: " + esc(fmt.releases_line(report.versions)))
    out.append("")
    out.append("Shapes for " + ", ".join(code(f"{k}={val}") for k, val in v.dims))
    out.append("")
    t = v.totals
    summary = (
        f"**{t['versions']}** releases · **{t['rows']}** symbols · "
        f"**{t['changes']}** value changes · {t['fact_changes']} porting-fact changes · "
        f"{t['trace_changes']} chain/location changes · {t['gaps']} gaps"
    )
    if report.live:
        summary += (
            f" · live: ✔ {t['agree']} agree, ✖ {t['disagree']} disagree, "
            f"? {t['inconclusive']} inconclusive"
        )
    return [*out, summary, ""]


# More releases than this and the matrix gets a column per run of consecutive releases with the
# same answers in every row (the HTML report's column groups), listed under the table.
MD_COLUMNS = 12


def _matrix(report: Report, v: ReportView) -> list[str]:
    """The summary matrix: one row per symbol, one column per release (per run of releases with
    the same answers, when there are many)."""
    out = ["### Summary", ""]
    if not v.rows:
        return [*out, "_No symbols were analysed._", ""]
    grouped = len(v.labels) > MD_COLUMNS and len(v.groups) < len(v.labels)
    columns = [g.members for g in v.groups] if grouped else [[i] for i in range(len(v.labels))]
    head = ["Symbol"]
    for members in columns:
        i = members[0]
        text = f"TF {esc(v.labels[i])}"
        if len(members) > 1:
            text = f"TF {esc(v.labels[i])} – {esc(v.labels[members[-1]])} ({len(members)})"
        head.append(text + (" ✖ error" if report.versions[i].status == "error" else ""))
    out.append("| " + " | ".join(head) + " |")
    out.append("|" + "---|" * len(head))
    for row in v.rows:
        cells = [code(row.key)] + [_matrix_cell(row.cells[m[0]]) for m in columns]
        out.append("| " + " | ".join(cells) + " |")
    out.append("")
    out.append(
        "▲ changed: starting values differ from the previous release (initializer, shape, "
        "weights, runtime adjustment) · ◆ facts changed: a porting fact differs (gate order, "
        "activation...), same starting values · ↻ chain changed: same values, different code "
        "path · ◌ gap: one side unknown to the analysis (`?`, unresolved), not a change · "
        "`+forget_bias=1.0`: added at run time in `call()`"
    )
    if grouped:
        out.append("")
        out.append("A column _a – b (n)_ is n consecutive releases with the same answers in every "
                   "row: " + "; ".join(
                       f"{esc(v.labels[m[0]])} – {esc(v.labels[m[-1]])}: "
                       + ", ".join(esc(v.labels[i]) for i in m)
                       for m in columns if len(m) > 1) + ".")
    out.append("")
    return out


MARKS = {"value": "▲", "facts": "◆", "trace": "↻", "gap": "◌"}


def _matrix_cell(cell: Cell) -> str:
    bits = []
    if cell.changed:
        bits.append("**▲ changed**")
    elif cell.facts_changed:
        bits.append("◆ facts changed")
    elif cell.trace_changed:
        bits.append("↻ chain changed")
    elif cell.gap:
        bits.append("◌ gap")
    if cell.status != "resolved":
        bits.append(STATUS.get(cell.status, esc(cell.status)))
    if cell.concrete_name:
        bits.append("as " + code(cell.concrete_name))
    if cell.lines:
        bits.append("<br>".join(code(line) for line in cell.lines))
    elif cell.status in ("absent", "unavailable") and cell.message:
        bits.append(esc(cell.message))
    return " ".join(bits) or "—"


def _changes(v: ReportView) -> list[str]:
    """The change list, grouped by consecutive release pair."""
    out = ["### Changes between consecutive releases", ""]
    if not v.change_groups:
        out += ["_No differences between consecutive releases._", ""]
    for frm, to, chs in v.change_groups:
        out.append(f"**TF {esc(frm)} → TF {esc(to)}** ({len(chs)})")
        out.append("")
        for c in chs:
            mark = MARKS[c.category]
            subj = esc(c.kind.replace("_", " ")) + (f" {code(c.weight)}" if c.weight else "")
            out.append(f"- {mark} {code(c.row)} — {subj}: {code(c.before)} → {code(c.after)}")
        out.append("")
    return out


def _built_with(report: Report, v: ReportView) -> list[str]:
    """Per symbol: the arguments it was built with and the input shape, one line per run of
    consecutive releases that built it alike (read from the results: report.md has no
    per-symbol sections)."""
    runs: dict[str, list[tuple[list[str], str]]] = {}
    for i, ver in enumerate(report.versions):
        for s in ver.symbols:
            args, shape = fmt.arguments_text(s), fmt.input_text(s)
            if not (args or shape):
                continue
            what = (f"built with {code(args)}" if args else "built") + (
                f" on {code(shape)}" if shape else "")
            row = runs.setdefault(fmt.row_key(s), [])
            if row and row[-1][1] == what and row[-1][0][-1] == v.labels[i - 1]:
                row[-1][0].append(v.labels[i])
            else:
                row.append(([v.labels[i]], what))
    lines = [f"- {code(key)} TF {esc(span_label(labels))}: {what}"
             for key, row in runs.items() for labels, what in row]
    if not lines:
        return []
    return ["### Built with", "",
            "Required arguments from the symbol, the argument table or `--dim`; the input "
            "rank the layer declares.", "", *lines, ""]


def _namespaces(v: ReportView) -> list[str]:
    """What each pattern listed, per release, and why names were skipped (grouped)."""
    if not v.namespaces:
        return []
    out = ["### Namespaces listed", ""]
    for ns in v.namespaces:
        if ns.error:
            out.append(f"- TF {esc(ns.label)} {code(ns.pattern)}: {esc(ns.error)}")
            continue
        out.append(f"- TF {esc(ns.label)} {code(ns.pattern)}: {ns.listed} public names in "
                   f"{ns.namespaces} namespace(s), {len(ns.kept)} reported")
        for reason, names in ns.skipped:
            out.append(f"  - {len(names)} skipped — {esc(reason)}")
    return [*out, ""]


def _live(v: ReportView) -> list[str]:
    """Live verdicts per interpreter, then every weight that did not agree."""
    if not v.live:
        return []
    out = ["### Live check", ""]
    out.append("| Python | TensorFlow | Keras | ✔ agree | ✖ disagree | ? inconclusive | note |")
    out.append("|---|---|---|---|---|---|---|")
    for lv in v.live:
        r = lv.run
        s = r.summary
        note = esc(r.error) if r.error else esc(fmt.live_compared(r, v.report.versions))
        counts = f"{s.get('agree', 0)} | {s.get('disagree', 0)} | {s.get('inconclusive', 0)}"
        out.append(
            f"| {esc(r.python_version)} | {esc(r.tensorflow or '—')} | {esc(r.keras or '—')} | "
            f"{counts} | {note} |"
        )
    out.append("")
    bad = [
        (lv, sv, wv)
        for lv in v.live
        for sv in lv.symbols
        for wv in sv.weights
        if wv.weight.verdict != "agree"
    ]
    if bad:
        out.append("Not agreeing:")
        out.append("")
        for lv, sv, wv in bad:
            ev = ", ".join(f"{k}={val}" for k, val in wv.evidence[:6])
            tf = esc(lv.run.tensorflow or "?")
            out.append(
                f"- {VERDICT.get(wv.weight.verdict, esc(wv.weight.verdict))} "
                f"TF {tf} {code(sv.symbol.symbol)} {code(wv.weight.name)}"
                + (f" (static {code(wv.static)})" if wv.static else "")
                + (f": {code(ev)}" if ev else "")
            )
        out.append("")
    return out


def _sources(report: Report, v: ReportView) -> list[str]:
    """Per release: source, status, the package files with sha256, and what fetching cost."""
    out = ["### Sources", ""]
    if not report.versions:
        return [*out, "_No release was analysed._", ""]
    out.append("| Release | Source | Status | Package file | sha256 | Fetch |")
    out.append("|---|---|---|---|---|---|")
    for i, ver in enumerate(report.versions):
        f = ver.fetch
        fetch = (
            f"{f.requests} req · {fmt.human_bytes(f.bytes)} · {fmt.num(f.seconds)} s"
            f" · {f.from_cache} cached"
        )
        status = "✓ ok" if ver.status == "ok" else f"✖ {esc(ver.error or 'error')}"
        pkgs = ver.packages or []
        if not pkgs:
            out.append(
                f"| TF {esc(v.labels[i])} | {esc(ver.source)} | {status} | — | — | {fetch} |"
            )
        for j, p in enumerate(pkgs):
            lead = (
                f"TF {esc(v.labels[i])} | {esc(ver.source)} | {status}" if j == 0 else " | | "
            )
            out.append(
                f"| {lead} | {code(p.name + ' ' + p.version)} {code(p.file)} | "
                f"{code(p.sha256 or 'not recorded')} | {fetch if j == 0 else ''} |"
            )
    out.append("")
    return out
