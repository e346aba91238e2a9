"""The differences between two analyses of one call site, with the parameter that decides each.

Compared per weight: initializer (kind and parameters), shape, presence, runtime adjustments
(``forget_bias`` added in ``call()``); and the porting facts (``gate_order``, ``activation``,
``recurrent_activation``, ``reset_after``, ``forget_bias``; ``unit_forget_bias`` and the others
of ``PORTING`` from the constructor's signature default when the analysis states no fact for
them). A weight's initializer is decided by the constructor parameter whose default its
provenance passes through (a ``default P=...`` hop inside an ``__init__`` of the class's MRO); a
fact by the parameter of its name. An initializer the analysis leaves unresolved in either
release is not compared (the call site says so in a note instead).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from tfinit_audit.analysis.model import Initializer, SymbolResult, Weight
from tfinit_audit.report import fmt
from tfinit_audit.usercode.catalog import Entry

PORTING = ("activation", "recurrent_activation", "reset_after", "unit_forget_bias",
           "forget_bias")
FACT_KEYS = ("gate_order", *PORTING)
_LOCATION = {"path", "line", "package"}


@dataclass
class Raw:
    """One difference: ``before``/``after`` as text (from -> to), the raw values of the
    reference side for pinning, and the parameter that decides it (None: unknown yet)."""

    kind: str  # initializer | shape | weights | adjustment | facts
    subject: str
    before: str
    after: str
    param: str | None = None
    ref_value: Any = None  # the pinned release's fact value or Initializer

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.subject)


def differences(a: SymbolResult, b: SymbolResult, ea: Entry, eb: Entry, ref: int) -> list[Raw]:
    """What differs from ``a`` (the --from release) to ``b`` (--to); ``ref`` (0 or 1) says
    whose values a pin keeps."""
    out: list[Raw] = []
    wa = {w.name: w for w in a.weights}
    wb = {w.name: w for w in b.weights}
    for name in [w.name for w in a.weights if w.name not in wb]:
        out.append(Raw("weights", name, "present", "gone"))
    for name in [w.name for w in b.weights if w.name not in wa]:
        out.append(Raw("weights", name, "absent", f"new: {fmt.weight_short(wb[name])}"))
    for w_b in b.weights:
        w_a = wa.get(w_b.name)
        if w_a is not None:
            out.extend(_weight(w_a, w_b, (ea, eb), ref))
    fa, fb = facts(a, ea), facts(b, eb)
    for key in FACT_KEYS:
        if key not in fa and key not in fb:
            continue
        va, vb = fa.get(key, "—"), fb.get(key, "—")
        if not same_value(va, vb):
            param = key if key in PORTING else None
            out.append(Raw("facts", key, _text(va), _text(vb), param, (va, vb)[ref]))
    return out


def _weight(a: Weight, b: Weight, entries: tuple[Entry, Entry], ref: int) -> list[Raw]:
    out: list[Raw] = []
    if not same_init(a.initializer, b.initializer) and not unresolved(a.initializer) \
            and not unresolved(b.initializer):
        param = governing(a, entries[0]) or governing(b, entries[1])
        out.append(Raw("initializer", a.name, fmt.init_params(a.initializer),
                       fmt.init_params(b.initializer), param,
                       (a.initializer, b.initializer)[ref]))
    if a.shape != b.shape:
        out.append(Raw("shape", a.name, fmt.shape_text(a.shape), fmt.shape_text(b.shape)))
    adj_a = [fmt.adjustment_long(x) for x in a.runtime_adjustments]
    adj_b = [fmt.adjustment_long(x) for x in b.runtime_adjustments]
    if adj_a != adj_b:
        out.append(Raw("adjustment", a.name, "; ".join(adj_a) or "none",
                       "; ".join(adj_b) or "none"))
    return out


def unresolved(i: Initializer) -> bool:
    """The analysis could not decide it (a difference would say nothing about the release)."""
    if i.kind == "unresolved":
        return True
    parts = i.params.get("parts") if i.kind == "composite" else None
    return any(isinstance(p, dict) and isinstance(p.get("initializer"), Initializer)
               and unresolved(p["initializer"]) for p in parts or [])


def governing(w: Weight, entry: Entry) -> str | None:
    """The constructor parameter whose default this weight's initializer comes from."""
    if entry.kind == "variable":
        return "initializer"
    for hop in w.provenance:
        if not hop.note.startswith("default ") or "=" not in hop.note:
            continue
        if any(hop.path == p and first <= hop.line <= last for p, first, last in entry.inits):
            return hop.note[len("default "):].split("=", 1)[0]
    return None


def facts(s: SymbolResult, entry: Entry) -> dict[str, Any]:
    """The porting facts of one analysis; a ``PORTING`` parameter the analysis states nothing
    about is taken from the constructor's signature default when that is a literal."""
    out = {k: fmt.fact_value(v) for k, v in s.facts.items() if k in FACT_KEYS}
    if s.status in ("absent", "unavailable"):
        return out
    defaults = entry.constructor.defaults
    for key in PORTING:
        if key in out or key not in defaults:
            continue
        try:
            out[key] = ast.literal_eval(defaults[key])
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
    return out


def same_value(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return bool(a == b)


def same_init(a: Initializer, b: Initializer) -> bool:
    """Same kind and defining parameters (numbers compared by value: 0 == 0.0)."""
    return _norm(a) == _norm(b)


def _norm(i: Initializer) -> Any:
    params: dict[str, Any] = {}
    for k, v in i.params.items():
        if k in _LOCATION:
            continue
        if k == "parts":
            parts = []
            for p in v if isinstance(v, list) else []:
                init = p.get("initializer") if isinstance(p, dict) else None
                inner = _norm(init) if isinstance(init, Initializer) else str(init)
                parts.append((p.get("start"), p.get("stop"), inner) if isinstance(p, dict)
                             else str(p))
            params[k] = parts
        else:
            params[k] = v if isinstance(v, int | float | str | bool | type(None)) else str(v)
    return (i.kind, sorted(params.items(), key=lambda kv: kv[0]))


def _text(v: Any) -> str:
    if isinstance(v, list | tuple) and all(isinstance(x, str) for x in v):
        return ", ".join(v)
    return fmt.value(v)
