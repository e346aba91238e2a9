"""Changes between two analysed releases: what a reader of the report must notice.

This module compares analysis results (``SymbolResult`` lists) and knows nothing of the report
model; ``report.model.diff_versions`` walks a report's releases and calls ``diff_pair`` on each
consecutive pair that analysed fine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from tfinit_audit.analysis.model import Hop, SymbolResult, Weight
from tfinit_audit.report import fmt

# Kinds that change the starting values or what exists; the matrix highlights these.
VALUE_KINDS = (
    "availability",
    "initializer",
    "shape",
    "weights",
    "adjustment",
    "condition",
)
FACT_KINDS = ("facts",)  # porting facts (gate order, activations...): behaviour, not values
# Kinds that change only how the answer is reached (where the code lives, the hop chain).
TRACE_KINDS = ("symbol", "defined_in", "chain")
KIND_ORDER = {k: i for i, k in enumerate(VALUE_KINDS + FACT_KINDS + TRACE_KINDS)}
# Categories of a change: "value" (the starting values differ), "facts" (a porting fact
# differs), "trace" (only the code path moved), "gap" (one side is unknown -- '?', unresolved,
# an analysis that found no weights --: nothing is known to have changed).
CATEGORIES = ("value", "facts", "trace", "gap")


@dataclass
class Change:
    """One difference for one matrix row between two (non-error) releases: consecutive ones,
    or for a value an earlier release knew and the releases in between did not, the last one
    that knew it."""

    row: str  # matrix row key (TF1 name and compat.v1 twin share it)
    from_version: str  # concrete release label, e.g. "1.8.0"
    to_version: str
    kind: str  # availability | initializer | shape | weights | adjustment | condition | facts
    #            | symbol | defined_in | chain
    before: str
    after: str
    weight: str | None = None
    from_index: int = 0  # index into Report.versions
    to_index: int = 0
    category: str = ""  # value | facts | trace | gap; from ``kind`` when not given

    def __post_init__(self) -> None:
        if not self.category:
            self.category = ("value" if self.kind in VALUE_KINDS else
                             "facts" if self.kind in FACT_KINDS else "trace")

    @property
    def affects_values(self) -> bool:
        """The starting values differ (initializer, shape, weights, adjustments...)."""
        return self.category == "value"

    @property
    def is_gap(self) -> bool:
        return self.category == "gap"

    @property
    def subject(self) -> str:
        return f"{self.weight}: {self.kind}" if self.weight else self.kind

    def text(self) -> str:
        return f"{self.row} — {self.subject}: {self.before} → {self.after}"

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["affects_values"] = self.affects_values
        return d


def diff_pair(
    a: Sequence[SymbolResult], b: Sequence[SymbolResult], la: str, lb: str,
    ia: int = 0, ib: int = 1,
) -> list[Change]:
    """Every change from release ``la`` (symbols ``a``, index ``ia`` in the report) to ``lb``,
    row by row: availability, initializer, shape, weights, runtime adjustments, conditions,
    porting facts, the concrete name used, the defining file and the provenance chain. Where
    one side is unknown the difference is a gap (category "gap"), not a change."""
    rows_a = {fmt.row_key(s): s for s in a}
    out: list[Change] = []
    for sb in b:
        row = fmt.row_key(sb)
        sa = rows_a.get(row)
        if sa is None:
            continue  # not analysed in the earlier release: nothing to compare
        for kind, weight, before, after, cat in _diff_symbol(sa, sb):
            out.append(Change(row, la, lb, kind, before, after, weight, ia, ib, cat))
    out.sort(key=lambda c: (c.row, KIND_ORDER.get(c.kind, 99)))
    # keep rows in the order of the later release
    order = {fmt.row_key(s): i for i, s in enumerate(b)}
    out.sort(key=lambda c: order.get(c.row, 1 << 30))
    return out


_Diff = tuple[str, str | None, str, str, str]  # kind, weight, before, after, category


def _diff_symbol(a: SymbolResult, b: SymbolResult) -> list[_Diff]:
    out: list[_Diff] = []
    if a.symbol != b.symbol:
        out.append(("symbol", None, a.symbol, b.symbol, "trace"))
    if a.status != b.status:
        gap = {a.status, b.status} == {"resolved", "partial"}  # the analysis, not the layer
        out.append(("availability", None, _status(a), _status(b), "gap" if gap else "value"))
    if a.status in ("absent", "unavailable") or b.status in ("absent", "unavailable"):
        return out
    if _loc(a) != _loc(b):
        out.append(("defined_in", None, _loc_text(a), _loc_text(b), "trace"))
    wa = {w.name: w for w in a.weights}
    wb = {w.name: w for w in b.weights}
    unsure = "partial" in (a.status, b.status)  # a weight the analysis missed is no news
    for name in [n for n in wa if n not in wb]:  # in order: a set's order varies per process
        out.append(("weights", name, "present", "gone", "gap" if unsure else "value"))
    for name in [w.name for w in b.weights if w.name not in wa]:
        out.append(("weights", name, "absent", f"new: {fmt.weight_short(wb[name])}",
                    "gap" if unsure else "value"))
    for w_b in b.weights:
        w_a = wa.get(w_b.name)
        if w_a is not None:
            out.extend(_diff_weight(w_a, w_b))
    for key in sorted(set(a.facts) | set(b.facts)):
        before = fmt.fact_value(a.facts.get(key, "—"))
        after = fmt.fact_value(b.facts.get(key, "—"))
        # where the fact is stated may move, and one function may be spelled two ways
        # (an activation of None is 'linear'): only what it means counts
        if fmt.fact_meaning(key, before) != fmt.fact_meaning(key, after):
            out.append(("facts", key, fmt.value(before), fmt.value(after), "facts"))
    return out


def _diff_weight(a: Weight, b: Weight) -> list[_Diff]:
    out: list[_Diff] = []
    n = b.name
    if fmt.init_signature(a.initializer) != fmt.init_signature(b.initializer):
        gap = not (known_initializer(a) and known_initializer(b))
        out.append(("initializer", n, fmt.init_params(a.initializer),
                    fmt.init_params(b.initializer), "gap" if gap else "value"))
    if a.shape != b.shape:
        gap = a.shape is None or b.shape is None
        out.append(("shape", n, fmt.shape_text(a.shape), fmt.shape_text(b.shape),
                    "gap" if gap else "value"))
    if a.condition != b.condition:
        out.append(("condition", n, a.condition or "always", b.condition or "always", "value"))
    adj_a = [fmt.adjustment_long(x) for x in a.runtime_adjustments]
    adj_b = [fmt.adjustment_long(x) for x in b.runtime_adjustments]
    if adj_a != adj_b:
        out.append(("adjustment", n, "; ".join(adj_a) or "none", "; ".join(adj_b) or "none",
                    "value"))
    if _chain_sig(a) != _chain_sig(b):
        out.append(("chain", n, _chain_text(a), _chain_text(b), "trace"))
    return out


def known_initializer(w: Weight) -> bool:
    """False when the initializer (or a part of a composite) is unresolved."""
    i = w.initializer
    if i.kind == "unresolved":
        return False
    if i.kind == "composite":
        parts = i.params.get("parts") or []
        return not any(fmt.init_short(fmt.part_init(p)) == "unresolved" for p in parts
                       if isinstance(p, dict))
    return True


def known_values(s: SymbolResult) -> dict[tuple[str, str], tuple[str, str]]:
    """(weight, kind) -> (identity, text) of each initializer and shape ``s`` knows: what a
    later release is compared with when the releases in between did not know it."""
    out: dict[tuple[str, str], tuple[str, str]] = {}
    if s.status in ("absent", "unavailable"):
        return out
    for w in s.weights:
        if known_initializer(w):
            out[(w.name, "initializer")] = (fmt.init_signature(w.initializer),
                                            fmt.init_params(w.initializer))
        if w.shape is not None:
            out[(w.name, "shape")] = (fmt.shape_text(w.shape), fmt.shape_text(w.shape))
    return out


def _status(s: SymbolResult) -> str:
    return s.status + (f" ({s.message})" if s.message and s.status != "resolved" else "")


def _loc(s: SymbolResult) -> tuple[str, str, str] | None:
    d = s.defined_in
    return None if d is None else (d.package, fmt.norm_path(d.path), d.qualname)


def _loc_text(s: SymbolResult) -> str:
    d = s.defined_in
    return "unknown" if d is None else f"{d.qualname} in {d.package}:{d.path}:{d.line}"


def _hop_sig(h: Hop) -> tuple[str, str]:
    # file name + code, not the directory: a moved file is reported once, as ``defined_in``
    return (fmt.basename(h.path), " ".join(h.code.split()))


def _chain_sig(w: Weight) -> tuple[Any, ...]:
    return (w.fallback, tuple(_hop_sig(h) for h in w.provenance))


def _chain_text(w: Weight) -> str:
    hops = " → ".join(f"{fmt.basename(h.path)}:{h.line}" for h in w.provenance) or "no hops"
    return hops + (" (fallback)" if w.fallback else "")
