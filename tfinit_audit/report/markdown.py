"""report.md: the summary matrix, the change list and the live verdicts, for a PR comment or a
CI job summary (GitHub-flavoured Markdown; every untrusted string escaped)."""

from __future__ import annotations

import html
import re

from tfinit_audit.report import fmt
from tfinit_audit.report.model import Report
from tfinit_audit.report.view import Cell, ReportView, build_view

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


def render_markdown(report: Report) -> str:
    """The whole report.md: heading, summary matrix, changes, live verdicts, sources."""
    v = build_view(report)
    out: list[str] = []
    out += _heading(report, v)
    out += _matrix(report, v)
    out += _changes(v)
    out += _built_with(v)
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


def _matrix(report: Report, v: ReportView) -> list[str]:
    """The summary matrix: one row per symbol, one column per release."""
    out = ["### Summary", ""]
    if not v.rows:
        return [*out, "_No symbols were analysed._", ""]
    head = ["Symbol"] + [
        f"TF {esc(lbl)}" + (" ✖ error" if report.versions[i].status == "error" else "")
        for i, lbl in enumerate(v.labels)
    ]
    out.append("| " + " | ".join(head) + " |")
    out.append("|" + "---|" * len(head))
    for row in v.rows:
        cells = [code(row.key)] + [_matrix_cell(cell) for cell in row.cells]
        out.append("| " + " | ".join(cells) + " |")
    out.append("")
    out.append(
        "▲ changed: starting values differ from the previous release (initializer, shape, "
        "weights, runtime adjustment) · ◆ facts changed: a porting fact differs (gate order, "
        "activation...), same starting values · ↻ chain changed: same values, different code "
        "path · ◌ gap: one side unknown to the analysis (`?`, unresolved), not a change · "
        "`+forget_bias=1.0`: added at run time in `call()`"
    )
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


def _built_with(v: ReportView) -> list[str]:
    """Per symbol and release: the arguments it was built with and the input shape."""
    lines = []
    for sec in v.sections:
        for d in sec.details:
            if d.arguments or d.input:
                what = f"built with {code(d.arguments)}" if d.arguments else "built"
                on = f" on {code(d.input)}" if d.input else ""
                lines.append(f"- {code(sec.row.key)} TF {esc(d.label)}: {what}{on}")
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
