"""Report stage: the report model and its renderers (HTML, JSON, Markdown, terminal, diff).

API for the CLI::

    write_reports(report, out_dir, {"html", "json", "md"}, json_form="compact")
        -> {"html": out_dir/"index.html", ...}
    render_terminal(report, console)
    diff_versions(report) -> list[Change]
    render_diff_terminal(changes, console)
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from tfinit_audit.errors import UsageError
from tfinit_audit.report.diff import Change
from tfinit_audit.report.html import render_html
from tfinit_audit.report.json_report import expand, load_report, render_json
from tfinit_audit.report.markdown import render_markdown
from tfinit_audit.report.model import DEFAULT_FORM, FORMS, Report, VersionReport, diff_versions
from tfinit_audit.report.terminal import render_diff_terminal, render_terminal
from tfinit_audit.report.view import ReportView, build_view

FORMATS = {"html": "index.html", "json": "report.json", "md": "report.md"}

__all__ = [
    "FORMATS",
    "Change",
    "DEFAULT_FORM",
    "FORMS",
    "Report",
    "ReportView",
    "VersionReport",
    "build_view",
    "diff_versions",
    "expand",
    "load_report",
    "render_diff_terminal",
    "render_html",
    "render_json",
    "render_markdown",
    "render_terminal",
    "write_reports",
]


def write_reports(
    report: Report, out_dir: Path, formats: set[str], json_form: str = DEFAULT_FORM,
    view: ReportView | None = None,
) -> dict[str, Path]:
    """Write the requested formats into ``out_dir`` (created if needed); each file is written to
    a temporary sibling and renamed, so a reader never sees a half-written report.
    ``json_form`` is report.json's form: "compact" (each distinct hop once) or "full". The
    renderers share one view of the report (``view``, or one built here)."""
    if json_form not in FORMS:
        raise UsageError(f"unknown report.json form {json_form!r}: use compact or full")
    unknown = set(formats) - FORMATS.keys()
    if unknown:
        raise UsageError(
            f"unknown report format(s) {', '.join(sorted(unknown))}; choose from html, json, md"
        )
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"cannot create report directory {out_dir}: {e.strerror or e}") from None
    if view is None or ("html" in formats and not view.has_sections):
        view = build_view(report, sections_wanted="html" in formats)
    shared = view
    renderers = {"html": lambda r: render_html(r, shared),
                 "json": lambda r: render_json(r, json_form, shared.changes),
                 "md": lambda r: render_markdown(r, shared)}
    written: dict[str, Path] = {}
    for fmt_name in ("json", "md", "html"):
        if fmt_name in formats:
            path = out_dir / FORMATS[fmt_name]
            _atomic_write(path, renderers[fmt_name](report))
            written[fmt_name] = path
    return written


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
