"""The HTML report: one self-contained file (inline CSS/JS/SVG), Jinja2 with autoescape on."""

from __future__ import annotations

import base64
import gzip
import json
from functools import lru_cache

import jinja2

from tfinit_audit.report import fmt
from tfinit_audit.report.model import Report
from tfinit_audit.report.usercode import change_text, group_by_file, summary_line
from tfinit_audit.report.view import ReportView, build_view

STATUS_BADGE = {
    # status: (symbol, label) -- text and icon, colour is never the only signal
    "resolved": ("✓", "resolved"),
    "partial": ("◐", "partial"),
    "needs-args": ("⋯", "needs args"),
    "skipped": ("⋯", "not built"),
    "unavailable": ("⚠", "unavailable"),
    "absent": ("∅", "absent"),
    "error": ("✖", "error"),
    "missing": ("—", "not analysed"),
    "ok": ("✓", "ok"),
    "agree": ("✔", "agree"),
    "disagree": ("✖", "disagree"),
    "inconclusive": ("?", "inconclusive"),
}


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("tfinit_audit.report", "templates"),
        autoescape=True,  # every template, whatever its extension
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["badge_info"] = lambda s: STATUS_BADGE.get(s, ("•", s))
    env.globals["init_short"] = fmt.init_short
    env.globals["adjustment_short"] = fmt.adjustment_short
    env.globals["adjustment_long"] = fmt.adjustment_long
    env.globals["scan_groups"] = group_by_file
    env.globals["scan_summary"] = summary_line
    env.globals["change_text"] = change_text
    env.filters["num"] = fmt.num
    env.filters["shape"] = fmt.shape_text
    env.filters["bytes"] = fmt.human_bytes
    env.filters["basename"] = fmt.basename
    return env


def render_html(report: Report, view: ReportView | None = None) -> str:
    """The whole report as one HTML document (no external resources). ``view``: the report's
    view with its sections, if already built."""
    if view is None or not view.has_sections:
        view = build_view(report)
    return environment().get_template("report.html.j2").render(
        v=view, r=report, lazy_data=lazy_details(view) if view.lazy else ""
    )


def lazy_details(view: ReportView) -> str:
    """A large report's per-release detail bodies: a JSON array of HTML strings (``data-lazy``
    of a details element is its index), gzipped and base64-encoded; the page unpacks it
    (DecompressionStream) when a details element is first opened. The strings are the same
    escaped markup the report has in place. Base64 has no ``<``: the data cannot end its
    script element."""
    macro = environment().get_template("_detail.html.j2").module.detail_body  # type: ignore[attr-defined]
    bodies: list[str] = []
    for sec in view.sections:
        for span in sec.spans:
            for var in span.variants:
                assert var.lazy == len(bodies)
                bodies.append(str(macro(var.detail, sec.row.key)))
    text = json.dumps(bodies, ensure_ascii=False, separators=(",", ":"))
    return base64.b64encode(gzip.compress(text.encode("utf-8"), 9, mtime=0)).decode("ascii")
