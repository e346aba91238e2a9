"""The report reorganised for reading: matrix rows × releases, per-row sections, live cards.

Every renderer (HTML, Markdown, terminal) reads this one view, so they show the same facts.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from tfinit_audit.analysis import arguments as argtable
from tfinit_audit.analysis.model import (
    Dims,
    Hop,
    Initializer,
    NamespaceListing,
    SymbolResult,
    Weight,
)
from tfinit_audit.live.model import LiveRun, LiveSymbol, LiveWeight
from tfinit_audit.port.model import TARGET_TITLES, TARGETS, PortError
from tfinit_audit.report import charts, fmt
from tfinit_audit.report.diff import Change
from tfinit_audit.report.links import SourceLink, source_link
from tfinit_audit.report.model import Report, VersionReport, diff_versions


@dataclass
class Cell:
    version_index: int
    symbol: SymbolResult | None  # None: this release did not analyse the row / errored
    status: str  # resolved | partial | needs-args | unavailable | absent | error | missing
    lines: list[str] = field(default_factory=list)  # one per weight, short form
    concrete_name: str | None = None  # set when the release used another name than the row key
    changed: bool = False  # initializer/shape/availability... changed vs previous release
    facts_changed: bool = False  # a porting fact changed (not the starting values)
    trace_changed: bool = False  # only the chain / defining file changed
    gap: bool = False  # only differences with an unknown side ('?', unresolved)
    changes: list[Change] = field(default_factory=list)
    anchor: str = ""
    message: str | None = None
    key: tuple[Any, ...] = ()  # the answer: cells with equal keys show the same thing

    @property
    def text(self) -> str:
        return " · ".join(self.lines)


@dataclass
class Row:
    key: str
    slug: str
    cells: list[Cell]

    @property
    def changed(self) -> bool:
        return any(c.changed or c.facts_changed or c.trace_changed for c in self.cells)

    def traced_within(self, members: list[int]) -> list[int]:
        """Releases after the first of ``members`` where only this row's code path changed."""
        return [i for i in members[1:] if self.cells[i].trace_changed]


@dataclass
class HopView:
    hop: Hop
    link: SourceLink


@dataclass
class WeightView:
    weight: Weight
    short: str
    params: str
    numbers: str
    hops: list[HopView]
    adjustments: list[tuple[str, SourceLink]]


@dataclass
class PortView:
    """One target's port snippet for one symbol in one release (or why there is none)."""

    target: str
    title: str
    builds: str
    equivalent: bool
    code: str | None
    error: str | None
    anchor: str


@dataclass
class VersionDetail:
    version: VersionReport
    index: int
    label: str
    cell: Cell
    symbol: SymbolResult | None
    defined_link: SourceLink | None = None
    name_hops: list[HopView] = field(default_factory=list)
    weights: list[WeightView] = field(default_factory=list)
    facts: list[tuple[str, str]] = field(default_factory=list)
    arguments: str = ""  # what the symbol was built with, and from where
    input: str = ""  # the input shape it was built on, and why that rank
    ports: list[PortView] = field(default_factory=list)


@dataclass
class Variant:
    """Consecutive releases of one row whose analysis results are identical (the same symbol
    result: weights, provenance, facts): shown once, for the first of them."""

    detail: VersionDetail  # the first release's; the others only have anchors
    members: list[int]  # release indexes, consecutive in the report
    labels: list[str]
    anchors: list[str]  # cell anchors of the members after the first
    lazy: int | None = None  # index of its body in the page's lazy data (large reports)

    @property
    def label(self) -> str:
        return span_label(self.labels)


@dataclass
class Span:
    """Consecutive releases of one row with the same answer (equal ``Cell.key``)."""

    cell: Cell  # the first release's cell
    variants: list[Variant]
    labels: list[str]

    @property
    def size(self) -> int:
        return len(self.labels)

    @property
    def label(self) -> str:
        return span_label(self.labels)


@dataclass
class Section:
    row: Row
    details: list[VersionDetail]  # each release's detail that is shown (first of its variant)
    spans: list[Span] = field(default_factory=list)


@dataclass
class ColumnGroup:
    """Consecutive releases whose cells are equal in every row: one matrix column that expands
    into one column per release."""

    number: int
    members: list[int]  # release indexes
    labels: list[str]

    @property
    def first(self) -> int:
        return self.members[0]

    @property
    def size(self) -> int:
        return len(self.members)

    @property
    def label(self) -> str:
        return span_label(self.labels)


@dataclass
class LiveWeightView:
    weight: LiveWeight
    evidence: list[tuple[str, str]]
    chart: charts.Chart | None
    static: str | None  # the static answer compared against, short form
    checks: list[tuple[str, str, str]] = field(default_factory=list)  # (status, name, detail)


@dataclass
class LiveSymbolView:
    symbol: LiveSymbol
    weights: list[LiveWeightView]


@dataclass
class LiveView:
    run: LiveRun
    slug: str
    static_version: str | None  # label of the analysed release matched to this interpreter
    symbols: list[LiveSymbolView]
    compared: str = ""  # what the check compared (fmt.live_compared)


@dataclass
class ReportView:
    report: Report
    labels: list[str]  # one per release column
    rows: list[Row]
    sections: list[Section]
    changes: list[Change]
    change_groups: list[tuple[str, str, list[Change]]]  # (from, to, changes)
    live: list[LiveView]
    dims: list[tuple[str, str]]
    totals: dict[str, int]
    slugs: dict[str, str]  # row key -> anchor slug
    groups: list[ColumnGroup] = field(default_factory=list)
    lazy: bool = False  # per-release details are rendered when opened (large reports)
    releases: str = ""  # what each requested spec resolved to (fmt.releases_line)
    releases_short: str = ""  # the same, many releases as count, first … last
    has_sections: bool = True  # False: built without the per-symbol sections
    namespaces: list[NamespaceView] = field(default_factory=list)


@dataclass
class NamespaceView:
    """What a pattern listed in one release: counts, the names kept and the names skipped
    with their reasons (grouped by reason)."""

    label: str  # the release
    pattern: str
    namespaces: int
    listed: int
    kept: list[str]
    skipped: list[tuple[str, list[str]]]  # (reason, names)
    error: str | None


# Over this many shown per-release details, the HTML report keeps their bodies as data and
# renders one when it is opened: the page stays small to parse (see report.html.j2).
LAZY_DETAILS = 200


def span_label(labels: list[str]) -> str:
    """``1.5.0`` for one release, ``1.5.0 – 1.10.1`` for consecutive releases of the report."""
    if not labels:
        return ""
    return labels[0] if len(labels) == 1 else f"{labels[0]} – {labels[-1]}"


def slugify(text: str, taken: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower() or "x"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


def build_view(report: Report, sections_wanted: bool = True) -> ReportView:
    """The view of ``report``; ``sections_wanted=False`` leaves out the per-symbol sections (each
    release's details, with port snippets: most of the work), which only the HTML report
    shows."""
    labels = [v.label for v in report.versions]
    changes = diff_versions(report)
    keys: list[str] = []
    for v in report.versions:
        for s in v.symbols:
            k = fmt.row_key(s)
            if k not in keys:
                keys.append(k)
    taken: set[str] = set()
    rows = [Row(k, slugify(k, taken), []) for k in keys]
    for row in rows:
        for idx, v in enumerate(report.versions):
            row.cells.append(_cell(row, idx, v))
    by_cell: dict[tuple[str, int], list[Change]] = {}
    for ch in changes:
        by_cell.setdefault((ch.row, ch.to_index), []).append(ch)
    for row in rows:
        for cell in row.cells:
            cs = by_cell.get((row.key, cell.version_index), [])
            cell.changes = cs
            cell.changed = any(c.affects_values for c in cs)
            cell.facts_changed = any(c.category == "facts" for c in cs)
            cell.trace_changed = any(c.category == "trace" for c in cs)
            cell.gap = any(c.is_gap for c in cs)
    sections = [_section(report, row, labels) for row in rows] if sections_wanted else []
    lazy = sum(len(sec.details) for sec in sections) > LAZY_DETAILS
    if lazy:
        n = 0
        for sec in sections:
            for span in sec.spans:
                for var in span.variants:
                    var.lazy, n = n, n + 1
    groups: list[tuple[str, str, list[Change]]] = []
    for ch in changes:
        if not groups or groups[-1][0] != ch.from_version or groups[-1][1] != ch.to_version:
            groups.append((ch.from_version, ch.to_version, []))
        groups[-1][2].append(ch)
    live_taken: set[str] = set()
    live = [_live(report, run, live_taken) for run in report.live]
    d = report.dims
    dims = [("units", fmt.value(d.units)), ("input_dim", fmt.value(d.input_dim)),
            *((k, fmt.argument_value(argtable.plain(v))) for k, v in d.given.items())]
    totals = {
        "versions": len(report.versions),
        "rows": len(rows),
        "changes": sum(1 for c in changes if c.affects_values),
        "fact_changes": sum(1 for c in changes if c.category == "facts"),
        "trace_changes": sum(1 for c in changes if c.category == "trace"),
        "gaps": sum(1 for c in changes if c.is_gap),
        "errors": sum(1 for v in report.versions if v.status == "error"),
        "agree": sum(r.summary.get("agree", 0) for r in report.live),
        "disagree": sum(r.summary.get("disagree", 0) for r in report.live),
        "inconclusive": sum(r.summary.get("inconclusive", 0) for r in report.live),
    }
    slugs = {row.key: row.slug for row in rows}
    namespaces = [_namespace(v.label, lst) for v in report.versions for lst in v.namespaces]
    return ReportView(report, labels, rows, sections, changes, groups, live, dims, totals, slugs,
                      column_groups(rows, labels), lazy, fmt.releases_line(report.versions),
                      fmt.releases_line(report.versions, fmt.RELEASES_LISTED), sections_wanted,
                      namespaces)


def column_groups(rows: list[Row], labels: list[str]) -> list[ColumnGroup]:
    """Consecutive releases whose cells have equal keys in every row."""
    groups: list[ColumnGroup] = []
    prev: tuple[Any, ...] | None = None
    for i, label in enumerate(labels):
        key = tuple(row.cells[i].key for row in rows)
        if groups and key == prev:
            groups[-1].members.append(i)
            groups[-1].labels.append(label)
        else:
            groups.append(ColumnGroup(len(groups), [i], [label]))
        prev = key
    return groups


def answer_key(sym: SymbolResult | None, status: str, concrete: str | None,
               message: str | None) -> tuple[Any, ...]:
    """What a matrix cell says: status, the name used, and per weight everything that decides
    its starting values (initializer and parameters, shape, condition, runtime adjustments),
    and the porting facts' values. Two releases with equal keys have the same answer."""
    if sym is None or status in ("absent", "unavailable", "error", "missing"):
        return (status, concrete, message)
    weights = tuple(
        (w.name, fmt.init_signature(w.initializer), None if w.shape is None else tuple(w.shape),
         w.condition, tuple(fmt.adjustment_long(a) for a in w.runtime_adjustments))
        for w in sym.weights
    )
    facts = tuple(sorted(
        (k, json.dumps(fmt.fact_value(v), sort_keys=True, default=str))
        for k, v in sym.facts.items()
    ))
    return (status, concrete, weights, facts)


def _namespace(label: str, lst: NamespaceListing) -> NamespaceView:
    by_reason: dict[str, list[str]] = {}
    for m in lst.members:
        if not m.kept:
            by_reason.setdefault(_reason_group(m.reason), []).append(m.symbol)
    skipped = sorted(by_reason.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    return NamespaceView(label, lst.pattern, lst.namespaces, len(lst.members),
                         [m.symbol for m in lst.kept], skipped, lst.error)


def _reason_group(reason: str) -> str:
    """A skip reason without the member's own name, so alike reasons group together."""
    if reason.startswith("creates no weights"):
        return "creates no weights (its build makes none and no code of its own could)"
    if reason.startswith("module "):
        return "a namespace (module)"
    return re.sub(r"\s+", " ", reason)


def _cell(row: Row, idx: int, v: VersionReport) -> Cell:
    anchor = f"{row.slug}--v{idx}"
    if v.status == "error":
        return Cell(idx, None, "error", anchor=anchor, message=v.error,
                    key=answer_key(None, "error", None, v.error))
    sym = next((s for s in v.symbols if fmt.row_key(s) == row.key), None)
    if sym is None:
        return Cell(idx, None, "missing", anchor=anchor, key=("missing",))
    lines = (
        []
        if sym.status in ("absent", "unavailable")
        else [f"needs {', '.join(sym.missing_arguments)}"] if sym.status == "needs-args"
        else [fmt.weight_short(w) for w in sym.weights]
    )
    concrete = sym.symbol if sym.symbol != row.key else None
    return Cell(idx, sym, sym.status, lines, concrete, anchor=anchor, message=sym.message,
                key=answer_key(sym, sym.status, concrete, sym.message))


def _links(v: VersionReport, hops: list[Hop]) -> list[HopView]:
    return [
        HopView(h, source_link(h.package or None, h.path, h.line, v.packages, v.tensorflow))
        for h in hops
    ]


def _section(report: Report, row: Row, labels: list[str]) -> Section:
    """The row's releases as spans of equal answers, each span as variants of identical results;
    one detail is built per variant (the first release's)."""
    sec = Section(row, [])
    prev_sym: SymbolResult | None = None  # equal results (dataclass ==): identical details
    for cell in row.cells:
        i = cell.version_index
        if not sec.spans or sec.spans[-1].cell.key != cell.key:
            sec.spans.append(Span(cell, [], []))
            prev_sym = None
        span = sec.spans[-1]
        span.labels.append(labels[i])
        ident = cell.symbol
        if span.variants and ident is not None and ident == prev_sym:
            var = span.variants[-1]
            var.members.append(i)
            var.labels.append(labels[i])
            var.anchors.append(cell.anchor)
        else:
            d = _detail(report, cell)
            sec.details.append(d)
            span.variants.append(Variant(d, [i], [labels[i]], []))
        prev_sym = ident
    return sec


def _detail(report: Report, cell: Cell) -> VersionDetail:
    v = report.versions[cell.version_index]
    d = VersionDetail(v, cell.version_index, v.label, cell, cell.symbol)
    s = cell.symbol
    if s is None:
        return d
    if s.defined_in is not None:
        loc = s.defined_in
        d.defined_link = source_link(loc.package or None, loc.path, loc.line, v.packages,
                                     v.tensorflow)
    d.name_hops = _links(v, s.name_hops)
    for w in s.weights:
        adjs = [
            (
                fmt.adjustment_long(a),
                source_link(a.package or None, a.path, a.line, v.packages, v.tensorflow),
            )
            for a in w.runtime_adjustments
        ]
        d.weights.append(
            WeightView(
                w,
                fmt.init_short(w.initializer),
                fmt.init_params(w.initializer),
                fmt.init_numbers(w.initializer),
                _links(v, w.provenance),
                adjs,
            )
        )
    d.facts = [(k, _fact(val)) for k, val in s.facts.items()]
    d.arguments = fmt.arguments_text(s)
    d.input = fmt.input_text(s)
    d.ports = _ports(report.dims, v.label, s, cell.anchor)
    return d


def _ports(dims: Dims, release: str, s: SymbolResult, anchor: str) -> list[PortView]:
    """Each target's snippet (the code ``explain`` prints), or why there is none."""
    from tfinit_audit.port.generate import snippet  # the port tables: only for the HTML report

    if s.status in ("absent", "unavailable") or not s.weights:
        return []
    out = []
    for target in TARGETS:
        try:
            p = snippet(s, target, dims, release)
        except PortError as exc:  # about the static answer, so the same for every target
            return [PortView("", "no port", "", False, None, str(exc), f"{anchor}-port")]
        out.append(PortView(target, TARGET_TITLES[target], p.builds, p.equivalent, p.code, None,
                            f"{anchor}-port-{target}"))
    return out


def _fact(raw: Any) -> str:
    val = fmt.fact_value(raw)
    where = fmt.fact_where(raw)
    text = _fact_text(val)
    return f"{text} ({where})" if where else text


def _fact_text(val: Any) -> str:
    if isinstance(val, str):
        return val
    if isinstance(val, (list, tuple)) and all(isinstance(x, str) for x in val):
        return ", ".join(val)
    return fmt.value(val)


def _live(report: Report, run: LiveRun, taken: set[str]) -> LiveView:
    slug = slugify(f"live-{run.python_version}-{run.tensorflow}", taken)
    match = _matching_version(report, run)
    syms = []
    for ls in run.symbols:
        static_sym = _static_symbol(match, ls.symbol) if match else None
        views = []
        for lw in ls.weights:
            sw = _static_weight(static_sym, lw.name) if static_sym else None
            if sw is None:
                sw = _weight_from_evidence(lw)
            pred = charts.predicted(sw.initializer, lw.shape or sw.shape) if sw else None
            chart = None
            if lw.samples:
                chart = charts.build_chart(
                    f"{ls.symbol} {lw.name}", lw.samples, pred, _evidence_bounds(lw.evidence)
                )
            views.append(
                LiveWeightView(
                    lw,
                    [
                        (k, _evidence_value(v))
                        for k, v in lw.evidence.items()
                        if k != "checks" and not (k == "static" and sw is not None)
                    ],
                    chart,
                    fmt.weight_short(sw) if sw else None,
                    _checks(lw.evidence.get("checks")),
                )
            )
        syms.append(LiveSymbolView(ls, views))
    return LiveView(run, slug, match.label if match else None, syms,
                    fmt.live_compared(run, report.versions))


def _matching_version(report: Report, run: LiveRun) -> VersionReport | None:
    cands = [
        v
        for v in report.versions
        if v.tensorflow and v.tensorflow == run.tensorflow and v.status == "ok"
    ]
    cands.sort(key=lambda v: v.source != "installed")
    return cands[0] if cands else None


def _static_symbol(v: VersionReport, name: str) -> SymbolResult | None:
    for s in v.symbols:
        if name in (s.symbol, s.twin):
            return s
    return None


def _static_weight(s: SymbolResult, name: str) -> Weight | None:
    base = name.split(":", 1)[0]
    for w in s.weights:
        if w.name in (name, base) or base.endswith("/" + w.name):
            return w
    return None


def _weight_from_evidence(lw: LiveWeight) -> Weight | None:
    """The static answer the live stage recorded in its evidence (``evidence["static"]``)."""
    st = lw.evidence.get("static")
    if not isinstance(st, dict) or not isinstance(st.get("kind"), str):
        return None
    raw = st.get("params")
    params: dict[str, Any] = dict(raw) if isinstance(raw, dict) else {}
    init = Initializer(st["kind"], params, _num(st.get("limit")), _num(st.get("stddev")))
    shape = st.get("shape") if isinstance(st.get("shape"), list) else lw.shape
    return Weight(lw.name, shape, "", init, bool(st.get("fallback")))


def _num(v: Any) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def _checks(raw: Any) -> list[tuple[str, str, str]]:
    out = []
    for c in raw if isinstance(raw, list) else []:
        if isinstance(c, dict):
            passed = c.get("passed")
            status = (
                "agree" if passed is True else "disagree" if passed is False else "inconclusive"
            )
            out.append((status, str(c.get("check", "")), str(c.get("detail", ""))))
    return out


def _evidence_bounds(ev: dict[str, Any]) -> list[float]:
    out = []
    for k in ("limit", "expected_limit"):
        v = ev.get(k)
        if isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0:
            out += [-float(v), float(v)]
            break
    return out


def _evidence_value(v: Any) -> str:
    if isinstance(v, (dict, list)):
        text = json.dumps(v, default=str, sort_keys=True)
        return text if len(text) <= 300 else text[:297] + "…"
    return fmt.value(v) if not isinstance(v, str) else v
