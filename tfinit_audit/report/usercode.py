"""``scan`` output: the terminal listing grouped by file, the JSON document, and the view the
HTML report's "Your code" section reads."""

from __future__ import annotations

import json
from dataclasses import dataclass

from rich.console import Console
from rich.text import Text

from tfinit_audit.usercode.model import CallSite, ScanResult, SiteChange


@dataclass
class FileGroup:
    path: str
    sites: list[CallSite]


def group_by_file(result: ScanResult, show_all: bool = False) -> list[FileGroup]:
    """Call sites per file, in file order; only the ones with something to say unless
    ``show_all``."""
    groups: dict[str, list[CallSite]] = {}
    for s in result.sites:
        if show_all or s.changes or s.unavailable_in:
            groups.setdefault(s.call.path, []).append(s)
    return [FileGroup(p, sites) for p, sites in groups.items()]


def summary_line(result: ScanResult) -> str:
    n = result.summary
    files = n["files"]
    parts = [f"{files} file{'s' if files != 1 else ''}",
             f"{n['call_sites']} layer call{'s' if n['call_sites'] != 1 else ''}",
             f"{n['relying_on_changed_defaults']} rely on defaults that change",
             f"{n['unavailable']} unavailable"]
    if n["unpinnable"]:
        parts.append(f"{n['unpinnable']} with changes no argument can pin")
    if n["ignored"]:
        parts.append(f"{n['ignored']} ignored")
    if n["skipped_files"]:
        parts.append(f"{n['skipped_files']} file{'s' if n['skipped_files'] != 1 else ''} "
                     "skipped")
    return ", ".join(parts)


def unknown_line(result: ScanResult, most: int = 6) -> str:
    """The names called that neither release is known to have (absent, unavailable, or a name
    the analysis could not follow, e.g. one a star import of a dependency may bind): not known
    to be layers; most called first."""
    ranked = sorted(result.unknown.items(), key=lambda kv: (-kv[1], kv[0]))
    shown = ", ".join(f"{k} ×{v}" if v > 1 else k for k, v in ranked[:most])
    more = f" and {len(ranked) - most} more (see --format json)" if len(ranked) > most else ""
    calls = sum(result.unknown.values())
    return (f"{calls} call(s) of {len(ranked)} name(s) neither release is known to have (absent, "
            f"or not followed), not counted: {shown}{more}")


def change_text(ch: SiteChange) -> str:
    what = f"{ch.kind} " if ch.kind in ("shape", "weights", "adjustment") else ""
    return f"{what}{ch.before} → {ch.after}"


def pin_text(ch: SiteChange) -> str:
    if ch.pin is not None:
        return f"pin {ch.pin.param}={ch.pin.code}"
    return f"cannot pin: {ch.reason}"


def render_scan_terminal(result: ScanResult, console: Console, show_all: bool = False) -> None:
    """Grouped by file: each call with its changes (before → after, the pin or why none), the
    releases it is unavailable in; then one summary line."""
    head = Text(f"TensorFlow {result.from_release} → {result.to_release}", style="bold")
    if result.pin_release:
        head.append(f"   (pins keep {result.pin_release})", style="dim")
    console.print(head)
    for group in group_by_file(result, show_all):
        console.print(Text(group.path, style="bold underline"))
        for s in group.sites:
            _site(console, s)
    if result.unknown:
        console.print(Text(unknown_line(result), style="dim"), soft_wrap=True)
    console.print(Text(summary_line(result)), soft_wrap=True)


def _site(console: Console, s: CallSite) -> None:
    c = s.call
    where = (f"cell {c.cell}:" if c.cell is not None else "") + f"{c.line}:{c.column}"
    line = Text(f"  {where:<9} ")
    line.append(c.code)
    if c.written != c.symbol:
        line.append(f"   (= {c.symbol})", style="dim")
    if c.via in ("super", "subclass"):
        line.append(f"   via {c.via_name}", style="dim")
    if c.ignored:
        line.append("   ignored", style="dim")
    console.print(line, soft_wrap=True)
    width = max((len(ch.subject) for ch in s.changes), default=0)
    for ch in s.changes:
        t = Text(f"      {ch.subject:<{width}}  ")
        t.append(change_text(ch), style="yellow")
        t.append("   ")
        t.append(pin_text(ch), style="green" if ch.pin is not None else "red")
        console.print(t, soft_wrap=True)
    for label in s.unavailable_in:
        view = next((r for r in s.releases if r.release == label), None)
        msg = f": {view.name_message}" if view is not None and view.name_message else ""
        console.print(Text(f"      unavailable in {label}{msg}", style="red"), soft_wrap=True)
    for note in s.notes:
        console.print(Text(f"      note: {note}", style="dim"), soft_wrap=True)


def render_scan_json(result: ScanResult) -> str:
    return json.dumps(result.to_json_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
