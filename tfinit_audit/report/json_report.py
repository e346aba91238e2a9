"""report.json: ``Report.to_json_dict()`` serialised strictly (no NaN, UTF-8), and read back.

Two forms (docs/report-json.md, "Forms"): ``full`` has every provenance hop inline, as
schema_version 1 always had; ``compact`` (the default) stores each distinct hop once in the
top-level ``hops`` table and refers to it by index from ``provenance`` and ``name_hops``. The
answers (statuses, weights, initializers, shapes, facts) are inline in both. ``expand`` turns a
compact document into the full one; ``load_report`` reads either into the report model.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from tfinit_audit.analysis.model import (
    Dims,
    Hop,
    Initializer,
    Location,
    Member,
    NamespaceListing,
    RuntimeAdjustment,
    SuppliedArgument,
    SymbolResult,
    Weight,
)
from tfinit_audit.errors import UsageError
from tfinit_audit.live.model import LiveRun, LiveSymbol, LiveWeight
from tfinit_audit.report.diff import Change
from tfinit_audit.report.model import FORMS, Report, VersionReport
from tfinit_audit.sources.base import FetchStats, PackageFile


def render_json(report: Report, form: str = "compact",
                changes: list[Change] | None = None) -> str:
    """report.json text. The full form is indented (as it always was); the compact form is
    written without indentation, one document line, for size. ``changes``: the report's
    change list (``diff_versions``), if already computed."""
    doc = report.to_json_dict(form=form, changes=changes)
    if form == "full":
        return json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    return json.dumps(doc, ensure_ascii=False, allow_nan=False, separators=(",", ":")) + "\n"


# --------------------------------------------------------------------------------------------
# Reading a report.json back
# --------------------------------------------------------------------------------------------
def expand(doc: dict[str, Any]) -> dict[str, Any]:
    """The full form of a report.json document (a copy; a full document is returned as is).

    Every integer in ``provenance`` and ``name_hops`` is replaced by its entry of ``hops``;
    ``form`` becomes ``"full"`` and ``hops`` goes. Raises ``ValueError`` on a reference that is
    not in the table."""
    if doc.get("form", "full") == "full":
        return doc
    if doc.get("form") != "compact":
        raise ValueError(f"unknown report.json form {doc.get('form')!r}")
    table = doc.get("hops")
    if not isinstance(table, list):
        raise ValueError("compact report.json without a 'hops' table")
    out = {k: v for k, v in doc.items() if k not in ("hops", "built")}
    out["form"] = "full"
    out["versions"] = copy.deepcopy(doc.get("versions", []))

    def hops(refs: Any) -> list[Any]:
        if not isinstance(refs, list):
            raise ValueError(f"hop references must be a list, not {refs!r}")
        try:
            return [copy.deepcopy(table[i]) if isinstance(i, int) and i >= 0 else _bad(i)
                    for i in refs]
        except IndexError:
            raise ValueError(f"hop reference out of range (table of {len(table)})") from None

    built = doc.get("built")
    for v in out["versions"]:
        for s in v.get("symbols", []):
            if "built" in s:  # what it was built with, kept once in the "built" table
                ref = s.pop("built")
                if not isinstance(built, list) or not isinstance(ref, int) \
                        or not 0 <= ref < len(built):
                    raise ValueError(f"built reference {ref!r} not in the table")
                s.update(copy.deepcopy(built[ref]))
            if "name_hops" in s:
                s["name_hops"] = hops(s["name_hops"])
            for w in s.get("weights", []):
                w["provenance"] = hops(w.get("provenance", []))
    return out


def _bad(ref: Any) -> Any:
    raise ValueError(f"hop reference must be an index >= 0, not {ref!r}")


def load_report(doc: dict[str, Any]) -> Report:
    """The report model of a report.json document (either form). Live samples, evidence and the
    change list are taken as written (changes are recomputed from the releases when rendered).
    Raises ``UsageError`` when the document is not a tfinit-audit report.json."""
    if not isinstance(doc, dict) or doc.get("schema_version") != 1 or "versions" not in doc:
        raise UsageError("not a tfinit-audit report.json (schema_version 1)")
    if doc.get("form", "full") not in FORMS:
        raise UsageError(f"unknown report.json form {doc.get('form')!r}")
    try:
        full = expand(doc)
        tool = full.get("tool") or {}
        return Report(
            tool_name=str(tool.get("name", "tfinit-audit")),
            tool_version=str(tool.get("version", "")),
            dims=_dims(full.get("dims") or {}),
            versions=[_version(v) for v in full["versions"]],
            live=[_live(r) for r in full.get("live") or []],
            generated_at=str(full.get("generated_at", "")),
            command=str(full.get("command", "")),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise UsageError(f"malformed report.json: {type(exc).__name__}: {exc}") from None


def _dims(d: dict[str, Any]) -> Dims:
    known = {k: v for k, v in d.items() if k in Dims.__dataclass_fields__ and k != "recorded"}
    if isinstance(d.get("arguments"), dict):  # the table that run built with, as recorded
        known["recorded"] = d["arguments"]
    if isinstance(known.get("conv_kernel"), list):
        known["conv_kernel"] = tuple(known["conv_kernel"])
    return Dims(**known)


def _version(v: dict[str, Any]) -> VersionReport:
    f = v.get("fetch") or {}
    rec = VersionReport(
        requested=v["requested"], tensorflow=v.get("tensorflow"), source=v["source"],
        packages=[PackageFile(p["name"], p["version"], p["file"], p.get("sha256"), p.get("url"),
                              p.get("size")) for p in v.get("packages", [])],
        status=v.get("status", "ok"), error=v.get("error"),
        fetch=FetchStats(**{k: f[k] for k in FetchStats.__dataclass_fields__ if k in f}),
        symbols=[_symbol(s) for s in v.get("symbols", [])],
        analysis_seconds=float(v.get("analysis_seconds", 0.0)),
        warnings=[str(w) for w in v.get("warnings") or []],
    )
    rec.namespaces = [_namespace(n) for n in v.get("namespaces") or []]
    return rec


def _hop(h: dict[str, Any]) -> Hop:
    return Hop(h["package"], h["path"], h["line"], h["code"], h["note"])


def _initializer(i: dict[str, Any]) -> Initializer:
    params = dict(i.get("params") or {})
    if i["kind"] == "composite" and isinstance(params.get("parts"), list):
        params["parts"] = [
            {**p, "initializer": _initializer(p["initializer"])}
            if isinstance(p, dict) and isinstance(p.get("initializer"), dict) else p
            for p in params["parts"]
        ]
    return Initializer(i["kind"], params, i.get("limit"), i.get("stddev"))


def _weight(w: dict[str, Any]) -> Weight:
    return Weight(
        name=w["name"], shape=w.get("shape"), shape_expr=w.get("shape_expr", ""),
        initializer=_initializer(w["initializer"]), fallback=bool(w.get("fallback")),
        provenance=[_hop(h) for h in w.get("provenance", [])], condition=w.get("condition"),
        runtime_adjustments=[
            RuntimeAdjustment(a["kind"], a.get("value"), a.get("applies_to", ""), a["path"],
                              a["line"], a.get("package", ""))
            for a in w.get("runtime_adjustments", [])
        ],
        dtype=w.get("dtype"),
    )


def _symbol(s: dict[str, Any]) -> SymbolResult:
    d = s.get("defined_in")
    return SymbolResult(
        symbol=s["symbol"], status=s["status"], message=s.get("message"),
        defined_in=Location(d["package"], d["path"], d["line"], d["qualname"]) if d else None,
        weights=[_weight(w) for w in s.get("weights", [])], facts=dict(s.get("facts") or {}),
        name_hops=[_hop(h) for h in s.get("name_hops", [])], twin=s.get("twin"),
        kind=s.get("kind"),
        arguments=[SuppliedArgument(a["name"], a.get("value"), a.get("source", ""))
                   for a in s.get("arguments") or []],
        missing_arguments=[str(a) for a in s.get("missing_arguments") or []],
        input_shape=s.get("input_shape"), input_note=s.get("input_note"),
        input_count=int(s.get("input_count") or 1), build_input=s.get("build_input"),
        input_parts=s.get("input_parts"),
    )


def _namespace(n: dict[str, Any]) -> NamespaceListing:
    return NamespaceListing(
        pattern=n["pattern"], namespaces=int(n.get("namespaces") or 0), error=n.get("error"),
        members=[Member(m["symbol"], bool(m["kept"]), m.get("reason", ""),
                        m.get("kind", "other"), list(m.get("aliases") or []),
                        _hop(m["where"]) if m.get("where") else None)
                 for m in n.get("members") or []])


def _live(r: dict[str, Any]) -> LiveRun:
    compared = r.get("compared") or {}
    return LiveRun(
        python=r["python"], python_version=r.get("python_version", ""),
        tensorflow=r.get("tensorflow"), keras=r.get("keras"), error=r.get("error"),
        seconds=float(r.get("seconds", 0.0)),
        static_source=str(compared.get("static_source", "installed")),
        static_release=compared.get("static_release"),
        requested=bool(compared.get("requested", False)),
        version_index=compared.get("version_index"),
        symbols=[
            LiveSymbol(
                s["symbol"], s["status"], s.get("message"), s.get("runtime_file"),
                s.get("static_file"), s.get("file_agrees"),
                [LiveWeight(w["name"], w.get("shape"), w["verdict"], dict(w.get("evidence") or {}),
                            w.get("samples")) for w in s.get("weights", [])],
            )
            for s in r.get("symbols", [])
        ],
    )
