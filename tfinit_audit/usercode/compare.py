"""Per call site: what changes between the two releases that the call leaves to a default, and
the arguments that pin the pinned release's behaviour.

1. Each release's catalog says what the call's name is there (a layer, a variable function, a
   layer function, or absent/unavailable with the release's message; an absent ``tf.X`` is
   analysed as its ``tf.compat.v1.X`` twin when the release has one).
2. The call's arguments are bound to that release's signature; its literal arguments go to the
   analysis (``SymbolSpec``), one analysis per distinct configuration and release.
3. The two analyses are compared (``diffs.py``); a difference decided by a parameter the call
   sets is the user's choice and dropped.
4. Pins are tried cumulatively on the other release (``pins.py``): after each pin is added the
   release is analysed again, and the differences that disappear are attributed to that pin. A
   parameter the call sets with a non-literal value is tried first with the pinned release's
   value, only to attribute what it decides (e.g. a GRU bias shape to ``reset_after``). What no
   pin fixes keeps the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tfinit_audit.analysis.arguments import kind_of
from tfinit_audit.analysis.model import SymbolResult
from tfinit_audit.analysis.symbols import SymbolSpec
from tfinit_audit.usercode import pins as P
from tfinit_audit.usercode.bind import (
    Binding,
    bind,
    call_param,
    constructor_params,
    literal_args,
    spec_for,
    spec_key,
)
from tfinit_audit.usercode.catalog import Catalog, Entry
from tfinit_audit.usercode.diffs import Raw, differences, facts, unresolved
from tfinit_audit.usercode.model import CallSite, FileScan, FoundCall, ReleaseView, SiteChange

# release index, specs -> {spec_key: result}
AnalyseFn = Callable[[int, list[SymbolSpec]], dict[str, SymbolResult]]
ANALYSABLE = ("resolved", "partial")
MAX_PINS = 8


@dataclass
class _Side:
    """One release's view of one call."""

    label: str
    entry: Entry  # the name as the user wrote it
    used: Entry | None = None  # what is analysed: the entry, or its compat.v1 twin
    binding: Binding = field(default_factory=Binding)
    args: tuple = ()
    spec: SymbolSpec | None = None
    result: SymbolResult | None = None


@dataclass
class _Work:
    site: CallSite
    sides: list[_Side]
    scan: FileScan | None
    raws: list[Raw] = field(default_factory=list)
    cands: list[P.Candidate] = field(default_factory=list)
    owner: dict[tuple[str, str], int] = field(default_factory=dict)  # change key -> candidate


class Comparison:
    """Compares every call between releases ``labels[0]`` (--from) and ``labels[1]`` (--to);
    ``ref`` (0 or 1) is the release whose behaviour pins keep."""

    def __init__(self, catalogs: list[Catalog], labels: list[str], analyse: AnalyseFn,
                 ref: int = 0) -> None:
        self.catalogs, self.labels, self.analyse, self.ref = catalogs, labels, analyse, ref
        self.unknown: dict[str, int] = {}  # names no release is known to have: not layers
        self.analysed: list[dict[str, SymbolResult]] = [{} for _ in catalogs]  # base analyses

    def run(self, calls: list[FoundCall], scans: dict[str, FileScan]) -> list[CallSite]:
        work = [w for w in (self._work(c, scans.get(c.path)) for c in calls) if w is not None]
        self._analyse(work)
        for w in work:
            self._differences(w)
        self._pin(work)
        return [self._finish(w) for w in work]

    # ---------------------------------------------------------------- sides
    def _work(self, call: FoundCall, scan: FileScan | None) -> _Work | None:
        sides = [self._side(i, call) for i in range(len(self.catalogs))]
        kinds = [s.used.kind for s in sides if s.used is not None and s.used.is_construction]
        kinds += [s.entry.kind for s in sides if s.entry.is_construction]
        if not kinds:
            if all(s.entry.status not in ("found", "module") for s in sides):
                self.unknown[call.symbol] = self.unknown.get(call.symbol, 0) + 1
            return None
        site = CallSite(call, kinds[0])
        site.unavailable_in = [s.label for s in sides if s.entry.status in
                               ("absent", "unavailable")]
        return _Work(site, sides, scan)

    def _side(self, i: int, call: FoundCall) -> _Side:
        cat = self.catalogs[i]
        entry = cat.entry(call.symbol)
        side = _Side(self.labels[i], entry)
        used: Entry | None = entry
        if entry.status in ("absent", "unavailable"):
            used = None
            twin = compat_twin(call.symbol)
            if twin is not None:
                t = cat.entry(twin)
                used = t if t.status == "found" and t.is_construction else None
        if used is None or not used.is_construction:
            side.used = used if used is not None and used.is_construction else None
            return side
        side.used = used
        side.binding = bind(call.args, used.signature)
        params = constructor_params(side.binding, used)
        side.args = literal_args(params, used.constructor)
        side.spec = spec_for(used, side.args)
        return side

    def _analyse(self, work: list[_Work]) -> None:
        for i in range(len(self.catalogs)):
            specs = {spec_key(s.spec): s.spec for w in work for s in [w.sides[i]]
                     if s.spec is not None}
            results = self.analyse(i, list(specs.values())) if specs else {}
            self.analysed[i] = dict(results)
            for w in work:
                s = w.sides[i]
                if s.spec is not None:
                    s.result = results.get(spec_key(s.spec))

    # ---------------------------------------------------------------- differences
    def user_set(self, w: _Work) -> set[str]:
        out: set[str] = set()
        for s in w.sides:
            if s.used is not None:
                out |= set(constructor_params(s.binding, s.used))
        return out

    def _differences(self, w: _Work) -> None:
        a, b = w.sides
        if a.result is None or b.result is None or a.used is None or b.used is None:
            return
        if a.result.status not in ANALYSABLE or b.result.status not in ANALYSABLE:
            return
        mine = self.user_set(w)
        if _inner_from_table(a.result, mine) or _inner_from_table(b.result, mine):
            # the call passes its own layer/cell (``RNN(cell)``): the analysis built the
            # table's, whose weights and facts say nothing about the user's
            return
        raws = differences(a.result, b.result, a.used, b.used, self.ref)
        w.raws = [r for r in raws if r.param is None or r.param not in mine]
        ref = w.sides[self.ref]
        assert ref.result is not None and ref.used is not None
        ref_facts = facts(ref.result, ref.used)
        for r in raws:  # set by the user with an unknown value: try it, to attribute
            if r.kind == "facts" and r.param in mine and r.param not in dict(ref.args):
                c = P.fact_candidate(r.param, ref_facts.get(r.param))
                if c is not None:
                    c.attribution_only = True
                    w.cands.append(c)
        target = w.sides[1 - self.ref].used
        assert target is not None
        for r in w.raws:
            c = None
            if r.kind == "facts" and r.param and self._accepted(w, r.param):
                c = P.fact_candidate(r.param, r.ref_value)
            elif r.kind == "initializer" and r.param and self._accepted(w, r.param):
                c = P.string_candidate(r.param, r.ref_value)
            if c is not None and all(x.param != c.param for x in w.cands):
                w.cands.append(c)
        del w.cands[MAX_PINS:]

    def _accepted(self, w: _Work, param: str) -> bool:
        return all(s.used is None or param in s.used.constructor.accepts
                   or s.used.constructor.varkw for s in w.sides)

    # ---------------------------------------------------------------- pins
    def _pin(self, work: list[_Work]) -> None:
        """Add the candidates one by one, analysing the other release after each."""
        t = 1 - self.ref
        for k in range(1, MAX_PINS + 1):
            todo = [w for w in work if len(w.cands) >= k and w.sides[t].used is not None]
            specs: dict[str, SymbolSpec] = {}
            staged: list[tuple[_Work, SymbolSpec]] = []
            for w in todo:
                side = w.sides[t]
                assert side.used is not None
                extra = tuple((c.param, c.literal) for c in w.cands[:k])
                spec = spec_for(side.used, side.args, extra)
                if spec is not None:
                    specs[spec_key(spec)] = spec
                    staged.append((w, spec))
            if not staged:
                return
            results = self.analyse(t, list(specs.values()))
            for w, spec in staged:
                res = results.get(spec_key(spec))
                if res is not None:
                    self._attribute(w, k - 1, res)

    def _attribute(self, w: _Work, k: int, res: SymbolResult) -> None:
        sides = list(w.sides)
        t = 1 - self.ref
        if sides[self.ref].result is None or res.status not in ANALYSABLE:
            return
        a_res = res if t == 0 else sides[0].result
        b_res = res if t == 1 else sides[1].result
        assert a_res is not None and b_res is not None
        assert sides[0].used is not None and sides[1].used is not None
        left = {r.key for r in differences(a_res, b_res, sides[0].used, sides[1].used,
                                           self.ref)}
        for r in w.raws:
            if r.key not in left and r.key not in w.owner:
                w.owner[r.key] = k

    # ---------------------------------------------------------------- result
    def _finish(self, w: _Work) -> CallSite:
        site = w.site
        site.set_by_user = sorted(self.user_set(w))
        site.releases = [_view(s) for s in w.sides]
        for s in w.sides:
            if s.used is not None and s.used is not s.entry:
                site.notes.append(f"{s.label}: analysed as its twin {s.used.name}")
            elif s.used is not None and s.used.analyse_as is None and s.entry.message:
                site.notes.append(f"{s.label}: not analysed: {s.entry.message}")
            if s.binding.problem:
                site.notes.append(f"{s.label}: {s.binding.problem}")
            for wt in s.result.weights if s.result is not None else []:
                if unresolved(wt.initializer):
                    site.notes.append(f"{s.label}: the analysis leaves the initializer of "
                                      f"{wt.name} unresolved; it is not compared")
        starstar = any(s.binding.starstar for s in w.sides)
        if starstar:
            site.notes.append("the call unpacks **kwargs, which may set any parameter; "
                              "its changes are listed but not pinned")
        for r in w.raws:
            ch = self._change(w, r, starstar)
            if ch is not None:
                site.changes.append(ch)
        return site

    def _change(self, w: _Work, r: Raw, starstar: bool) -> SiteChange | None:
        ch = SiteChange(r.kind, r.subject, r.before, r.after, r.param)
        k = w.owner.get(r.key)
        cand = w.cands[k] if k is not None else None
        if cand is not None and cand.attribution_only:
            return None  # decided by a parameter the call sets
        tgt = self.labels[1 - self.ref]
        entry = w.sides[1 - self.ref].used or w.sides[self.ref].used
        assert entry is not None
        tried = next((c for c in w.cands if r.param and c.param == r.param), None)
        if cand is None and r.kind == "initializer" and r.param:
            cand, why = P.class_candidate(r.param, r.ref_value, w.scan, w.site.call.symbol,
                                          list(self.catalogs))
            if cand is None:
                ch.reason = f"{r.param}: {why}"
        if cand is not None:
            cp = call_param(entry, cand.param)
            if starstar:
                ch.reason = f"the call unpacks **kwargs, which may already set {cand.param}"
            elif cp is None:
                ch.reason = (f"{w.site.call.symbol} does not pass {cand.param} on to "
                             f"{entry.analyse_as}")
            else:
                ch.param = cand.param
                ch.pin = P.to_pin(cand, cp)
        elif ch.reason is None:
            ch.reason = _reason(r, entry, tgt, tried, self._accepted(w, r.param or ""))
        return ch


def _reason(r: Raw, entry: Entry, tgt: str, tried: P.Candidate | None, accepted: bool) -> str:
    """Why no argument pins a difference."""
    if r.kind == "facts" and r.subject == "gate_order":
        return ("no argument sets the gate order (the layer's code does): reorder the weights' "
                "gate blocks when porting")
    if r.param and not accepted:
        return f"{r.param} is not an argument of {entry.analyse_as} in both releases"
    if tried is not None:
        return (f"{tried.param}={tried.code} does not give the pinned value in {tgt}: the "
                f"analysis with it still differs")
    if r.kind == "initializer":
        return f"no argument of {entry.analyse_as} decides the initializer of {r.subject}"
    if r.kind == "adjustment":
        return "applied inside call(), not decided by an argument"
    return f"no argument decides it: with every pin applied, {tgt} still differs"


def _view(s: _Side) -> ReleaseView:
    v = ReleaseView(s.label, s.entry.status, s.entry.message, s.entry.status,
                    s.entry.message)
    if s.used is not None and s.used.analyse_as is None:
        v.status, v.message = "unresolved", s.used.message or s.entry.message
    res = s.result
    if res is not None:
        v.status, v.message = res.status, res.message
        v.analysed_as = s.spec.display() if s.spec is not None else res.symbol
        v.row = res.twin or res.symbol
        d = res.defined_in
        v.defined_in = f"{d.package}:{d.path}:{d.line}" if d is not None else None
    return v


def compat_twin(symbol: str) -> str | None:
    """``tf.nn.rnn_cell.LSTMCell`` -> ``tf.compat.v1.nn.rnn_cell.LSTMCell`` (the name the
    default symbol set also asks a TF 2 release for)."""
    if symbol.startswith("tf.") and not symbol.startswith("tf.compat."):
        return "tf.compat.v1." + symbol[len("tf."):]
    return None


def _inner_from_table(result: SymbolResult, mine: set[str]) -> bool:
    """The analysis filled from the argument table an inner layer/cell the call sets itself."""
    return any(a.source == "table" and kind_of(a.name) == "inner" and a.name in mine
               for a in result.arguments)
