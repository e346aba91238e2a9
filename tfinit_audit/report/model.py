"""The report model: everything a renderer needs, assembled from the earlier stages.

``VersionReport`` is also the record the pipeline carries for one requested release from
resolution to the report (``pipeline.py``). ``Report.to_json_dict()`` is the ``report.json``
contract (DESIGN.md §4, docs/report.schema.json).
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from typing import Any

from tfinit_audit.analysis import arguments as argtable
from tfinit_audit.analysis.model import Dims, NamespaceListing, SymbolResult
from tfinit_audit.errors import AuditError, one_line
from tfinit_audit.live.model import LiveRun
from tfinit_audit.report import fmt
from tfinit_audit.report.diff import Change, diff_pair, known_values
from tfinit_audit.sources.base import FetchStats, PackageFile, SourceTree
from tfinit_audit.usercode.model import ScanResult

SCHEMA_VERSION = 1
# report.json forms (docs/report-json.md, "Forms"): "compact" stores each distinct provenance hop
# once in a top-level "hops" table and refers to it by index; "full" has every hop inline.
FORMS = ("compact", "full")
# what a symbol was built with: the compact form keeps each distinct set of these fields once
# in a top-level "built" table and gives each symbol its index ("built": i)
BUILT_FIELDS = ("kind", "arguments", "missing_arguments", "input_shape", "input_note",
                "input_count", "input_parts", "build_input")
DEFAULT_FORM = "compact"


@dataclass
class VersionReport:
    """One requested release, from resolution to the report.

    The pipeline creates it when it resolves a version spec (``requested``, ``tensorflow``,
    ``source``), the fetch stage attaches the release's ``tree`` or fails it with the error that
    stopped it, and the analysis fills ``symbols``, ``packages`` and ``fetch``. ``tree`` and
    ``exception`` are working state for the stages and the caller, not part of report.json.
    """

    requested: str  # what the user asked for: "1.8", "2.x", "installed", ...
    tensorflow: str | None  # concrete release, e.g. "1.8.0"
    source: str  # pypi | github | dir | wheel | installed
    packages: list[PackageFile] = field(default_factory=list)
    status: str = "ok"  # ok | error
    error: str | None = None  # one line, when status is "error"
    fetch: FetchStats = field(default_factory=FetchStats)
    symbols: list[SymbolResult] = field(default_factory=list)
    namespaces: list[NamespaceListing] = field(default_factory=list)  # patterns' listings
    analysis_seconds: float = 0.0
    # files of the tree read without their text or definitions (unreadable, not UTF-8, a
    # syntax error), one line each; the analysis went on without them
    warnings: list[str] = field(default_factory=list)
    tree: SourceTree | None = field(default=None, repr=False, compare=False)
    exception: AuditError | None = field(default=None, repr=False, compare=False)

    def fail(self, exc: AuditError) -> None:
        """Mark this release failed by ``exc`` (its first line becomes ``error``)."""
        self.status, self.error, self.exception = "error", one_line(exc), exc

    @property
    def label(self) -> str:
        """The concrete release (``1.8.0``), or what was asked for if it never resolved."""
        return self.tensorflow or self.requested


@dataclass
class Report:
    tool_name: str
    tool_version: str
    dims: Dims
    versions: list[VersionReport] = field(default_factory=list)
    live: list[LiveRun] = field(default_factory=list)
    generated_at: str = ""  # ISO 8601 UTC
    command: str = ""
    usercode: ScanResult | None = field(default=None, repr=False)  # scan: "Your code" section
    # symbols asked for that no release has (typos), one line each with the closest names;
    # the CLI prints them and exits 2
    unknown_symbols: list[str] = field(default_factory=list)

    def to_json_dict(self, form: str = DEFAULT_FORM,
                     changes: list[Change] | None = None) -> dict[str, Any]:
        """The report.json document (DESIGN.md §4; docs/report.schema.json; docs/report-json.md).

        ``form="compact"`` (the default, what the CLI writes) lists each distinct provenance hop
        once in ``hops`` and gives ``provenance`` / ``name_hops`` as indexes into it;
        ``form="full"`` has every hop inline. ``json_report.expand`` turns the one into the
        other. ``changes``: ``diff_versions(self)``, if already computed."""
        if form not in FORMS:
            raise ValueError(f"unknown report.json form {form!r}: use one of {', '.join(FORMS)}")
        doc: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "form": form,
            "tool": {"name": self.tool_name, "version": self.tool_version},
            "generated_at": self.generated_at,
            "command": self.command,
            "dims": _dims(self.dims),
            "versions": [_version(v) for v in self.versions],
            "live": [_live(r) for r in self.live],
            "changes": [c.to_json() for c in (diff_versions(self) if changes is None
                                              else changes)],
        }
        if form == "compact":
            doc["hops"] = _share_hops(doc["versions"])
            doc["built"] = _share_built(doc["versions"])
        return doc


def diff_versions(report: Report) -> list[Change]:
    """The report's change list: each release against the previous one that analysed fine
    (releases with status "error" are skipped), in report order. A difference with an unknown
    side is a gap; an initializer or shape known again after a gap is compared with the last
    release that knew it, so a change hidden behind a gap is still reported (from that
    release)."""
    changes: list[Change] = []
    prev: tuple[int, VersionReport] | None = None
    known: dict[tuple[str, str, str], tuple[int, str, str, str]] = {}  # last known values
    for idx, v in enumerate(report.versions):
        if v.status == "error":
            continue
        if prev is not None:
            i, p = prev
            pair = diff_pair(p.symbols, v.symbols, p.label, v.label, i, idx)
            changes.extend(pair)
            changes.extend(_across_gaps(pair, v, idx, known))
        for s in v.symbols:
            for (weight, kind), (ident, text) in known_values(s).items():
                known[(fmt.row_key(s), weight, kind)] = (idx, v.label, ident, text)
        prev = (idx, v)
    return changes


def _share_hops(versions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Replace every hop of ``provenance`` and ``name_hops`` by its index in a table of the
    distinct hops (in order of first appearance); returns the table."""
    table: list[dict[str, Any]] = []
    index: dict[tuple[Any, ...], int] = {}

    def ref(hop: dict[str, Any]) -> int:
        key = (hop["package"], hop["path"], hop["line"], hop["code"], hop["note"])
        i = index.get(key)
        if i is None:
            i = index[key] = len(table)
            table.append(hop)
        return i

    for v in versions:
        for s in v["symbols"]:
            s["name_hops"] = [ref(h) for h in s["name_hops"]]
            for w in s["weights"]:
                w["provenance"] = [ref(h) for h in w["provenance"]]
    return table


def _share_built(versions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Move each symbol's ``BUILT_FIELDS`` into a table of the distinct sets of them (in order
    of first appearance), leaving ``"built": index``; returns the table."""
    table: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for v in versions:
        for s in v["symbols"]:
            entry = {k: s.pop(k) for k in BUILT_FIELDS if k in s}
            key = json.dumps(entry, sort_keys=True, default=str)
            i = index.get(key)
            if i is None:
                i = index[key] = len(table)
                table.append(entry)
            s["built"] = i
    return table


def _across_gaps(pair: list[Change], v: VersionReport, idx: int,
                 known: dict[tuple[str, str, str], tuple[int, str, str, str]]) -> list[Change]:
    """For each gap whose later side is known again: a change from the last release that
    knew the value, if the value is not the same."""
    now = {(fmt.row_key(s), w, k): val for s in v.symbols
           for (w, k), val in known_values(s).items()}
    out = []
    for c in pair:
        if not c.is_gap or c.weight is None:
            continue
        # a weight back after a gap: its initializer and shape against the last known ones
        kinds = ("initializer", "shape") if c.kind == "weights" else (c.kind,)
        for kind in kinds:
            key = (c.row, c.weight, kind)
            if key not in now or key not in known:
                continue
            ident, text = now[key]
            i0, label0, ident0, text0 = known[key]
            if ident0 != ident and i0 != c.from_index:
                out.append(Change(c.row, label0, v.label, kind, text0, text, c.weight, i0, idx,
                                  "value"))
    return out


def _plain(obj: Any) -> Any:
    """JSON-ready copy: dataclasses to dicts, tuples to lists, numpy scalars/arrays to Python,
    non-finite floats to None (strict JSON has no NaN/Infinity)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [_plain(v) for v in obj]
    if isinstance(obj, bool) or obj is None or isinstance(obj, (int, str)):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if hasattr(obj, "tolist"):  # numpy scalar or array
        return _plain(obj.tolist())
    return str(obj)


def _dims(d: Dims) -> dict[str, Any]:
    """``units``, ``input_dim`` (the input feature/channel size), ``arguments`` (every entry
    of the argument table for this run), ``given`` (the ``--dim`` entries), and the sizes
    schema 1 has always carried, now read from the table."""
    args = d.arguments
    k = args.get("kernel_size")
    return {
        "units": d.units,
        "input_dim": d.input_dim,
        "embedding_input_dim": args.get("input_dim"),
        "embedding_output_dim": args.get("output_dim"),
        "conv_filters": args.get("filters"),
        "conv_kernel": _plain(list(k) if isinstance(k, tuple | list) else [k, k]),
        "conv_channels": d.input_dim,
        "batchnorm_features": d.input_dim,
        "arguments": {n: _plain(argtable.plain(v)) for n, v in args.items()},
        "given": {n: _plain(argtable.plain(v)) for n, v in d.given.items()},
    }


def _version(v: VersionReport) -> dict[str, Any]:
    return {
        "requested": v.requested,
        "tensorflow": v.tensorflow,
        "source": v.source,
        "packages": [
            {
                "name": p.name,
                "version": p.version,
                "file": p.file,
                "sha256": p.sha256,
                "url": p.url,
                "size": p.size,
            }
            for p in v.packages
        ],
        "status": v.status,
        "error": v.error,
        "fetch": {
            "requests": v.fetch.requests,
            "bytes": v.fetch.bytes,
            "seconds": round(v.fetch.seconds, 3),
            "from_cache": v.fetch.from_cache,
            "files": v.fetch.files,
            "prefetched": v.fetch.prefetched,
            "prefetch_used": v.fetch.prefetch_used,
            "prefetch_bytes": v.fetch.prefetch_bytes,
            "prefetch_used_bytes": v.fetch.prefetch_used_bytes,
            "plan_from": v.fetch.plan_from,
        },
        "analysis_seconds": round(v.analysis_seconds, 3),
        "warnings": list(v.warnings),
        "symbols": [_symbol(s) for s in v.symbols],
        "namespaces": [_plain(n) for n in v.namespaces],
    }


def _symbol(s: SymbolResult) -> dict[str, Any]:
    """A symbol's entry; ``input_parts`` only for a cell called on a tuple, ``build_input``
    only for a layer whose build was run (documents written before the fields existed read
    back unchanged)."""
    d = _plain(s)
    for optional in ("input_parts", "build_input"):
        if d.get(optional) is None:
            d.pop(optional, None)
    return d


def _live(r: LiveRun) -> dict[str, Any]:
    return {
        "python": r.python,
        "python_version": r.python_version,
        "tensorflow": r.tensorflow,
        "keras": r.keras,
        "error": r.error,
        "seconds": round(r.seconds, 3),
        "compared": {
            "static_source": r.static_source,
            "static_release": r.static_release,
            "requested": r.requested,
            "version_index": r.version_index,
        },
        "symbols": [
            {
                "symbol": s.symbol,
                "status": s.status,
                "message": s.message,
                "runtime_file": s.runtime_file,
                "static_file": s.static_file,
                "file_agrees": s.file_agrees,
                "weights": [
                    {
                        "name": w.name,
                        "shape": _plain(w.shape),
                        "verdict": w.verdict,
                        "evidence": _plain(w.evidence),
                        "samples": _plain(w.samples),
                    }
                    for w in s.weights
                ],
            }
            for s in r.symbols
        ],
        "summary": _plain(r.summary),
    }
