"""The analysis proper, for ``audit.analyze``: each spec a question to a fresh interpreter
over the release's shared sources, recorded (``results.RecordingTree``) so the answer can be
stored with everything it saw. Imported only when something is analysed (a run served from
stored answers never loads the engine).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import cast

from tfinit_audit.analysis.arguments import kind_of
from tfinit_audit.analysis.engine.base import ABSTRACT_BUDGET
from tfinit_audit.analysis.engine.frames import BudgetExceeded
from tfinit_audit.analysis.engine.interp import Interpreter
from tfinit_audit.analysis.engine.mro import class_key
from tfinit_audit.analysis.engine.source import Sources
from tfinit_audit.analysis.engine.summaries import ParseCache
from tfinit_audit.analysis.engine.values import ClassV, FunctionV
from tfinit_audit.analysis.layers import analyze_class, analyze_function
from tfinit_audit.analysis.listing import (
    creators_not_taken,
    expand,
    framework,
    weight_source,
)
from tfinit_audit.analysis.model import (
    Analysis,
    Dims,
    Location,
    Member,
    NamespaceListing,
    SymbolResult,
    Weight,
)
from tfinit_audit.analysis.names import PublicResolution, Resolver
from tfinit_audit.analysis.results import EXISTS, LIST, UNREADABLE, RecordingTree, Seen
from tfinit_audit.analysis.rules import ENGINE_RULES
from tfinit_audit.analysis.rules.inner_built import never_built
from tfinit_audit.analysis.symbols import SymbolSpec, twin_names
from tfinit_audit.errors import AuditError
from tfinit_audit.sources.base import SourceTree


def run_specs(
    tree: SourceTree,
    specs: list[SymbolSpec],
    dims: Dims,
    cache_dir: Path | None,
    progress: Callable[[str], None] | None,
    problems: list[str],
    budget: int | None = None,
) -> tuple[Analysis, Seen]:
    """Analyse each spec over ``tree`` (a pattern listed first): the answers and what the
    analysis saw of the tree. ``problems`` receives a line per file read that did not parse.
    ``budget``: interpreter steps per symbol (default ``ABSTRACT_BUDGET``)."""
    budget = ABSTRACT_BUDGET if budget is None else budget
    rec = RecordingTree(tree)  # everything the engine sees keys the stored answer
    tree = cast(SourceTree, rec)
    asts = ParseCache()
    sources = Sources(tree, cache_dir, asts)
    out = Analysis()
    lister: Interpreter | None = None
    if any(spec.is_pattern for spec in specs):
        # listing namespaces is one question of its own (a fresh interpreter), like each
        # symbol; it also decides, at the end, which listed layers create nothing
        lister = Interpreter(tree, ENGINE_RULES, sources=sources, abstract_budget=budget)
    todo = _todo(specs, lister, out.namespaces, progress)
    empty: list[tuple[SymbolResult, Member]] = []
    for i, (spec, member) in enumerate(todo, 1):
        # each symbol is a question to a fresh Python process: its own sys.modules, lazy
        # loaders and memos (only the parsed, immutable sources are shared), so its answer is
        # the same alone or in any batch
        engine = Interpreter(tree, ENGINE_RULES, sources=sources, abstract_budget=budget)
        resolver = Resolver(tree, engine=engine)
        chosen, res, first = _resolve(resolver, spec)
        if progress:
            progress(f"[{i}/{len(todo)}] {spec.display()}")
        result = _analyze_one(engine, resolver, spec, chosen, res, first, dims)
        out.symbols.append(result)
        if member is not None and _maybe_empty(result):
            empty.append((result, member))
    if lister is not None and empty:
        dropped = {id(r) for r, m in empty if _creates_nothing(lister, r, m)}
        out.symbols = [r for r in out.symbols if id(r) not in dropped]
    problems.extend(_parse_failures(asts, rec.reads))
    return out, rec.seen


def _todo(
    specs: list[SymbolSpec], lister: Interpreter | None, listings: list[NamespaceListing],
    progress: Callable[[str], None] | None,
) -> list[tuple[SymbolSpec, Member | None]]:
    """The symbols to analyse, in order, each once: the named ones, and each pattern's kept
    members (with the member, whose reason may change); ``listings`` receives each pattern's
    listing."""
    todo: list[tuple[SymbolSpec, Member | None]] = []
    seen: set[str] = set()
    for spec in specs:
        if not spec.is_pattern:
            if spec.display() not in seen:
                seen.add(spec.display())
                todo.append((spec, None))
            continue
        assert lister is not None
        if progress:
            progress(f"listing {spec.name}")
        listing = expand(lister, spec.name, progress)
        listings.append(listing)
        if progress:
            progress(f"listed {spec.name}: {len(listing.kept)} of {len(listing.members)} "
                     f"public names kept" + (f" ({listing.error})" if listing.error else ""))
        for m in listing.kept:
            if m.symbol not in seen:
                seen.add(m.symbol)
                todo.append((SymbolSpec(m.symbol, kind_hint=m.kind), m))
    return todo


NO_WEIGHTS_DECIDED = "creates no weights for the arguments given"


def _maybe_empty(result: SymbolResult) -> bool:
    return result.status in ("partial", "resolved") and not result.weights \
        and result.kind == "class" and result.defined_in is not None


def _creates_nothing(it: Interpreter, result: SymbolResult, member: Member) -> bool:
    """A listed layer whose build made no weight and whose own code has no line that could
    create one is dropped from the results (its member says why); one whose code could is
    kept, ``partial``, with that line in its message, and so is a wrapper (its inner layer's
    weights were not found)."""
    if result.status == "resolved":  # decided: every creating line is in a branch not taken
        member.kept = False
        member.reason = result.message or NO_WEIGHTS_DECIDED
        return True
    inner = [a.name for a in result.arguments if kind_of(a.name) == "inner"]
    if inner:
        result.message = (f"{result.message}; the weights of its {', '.join(inner)} were not "
                          "found")
        return False
    d = result.defined_in
    assert d is not None
    val = it.value_at(d.path, d.qualname)
    if not isinstance(val, ClassV):
        return False
    try:
        hit = weight_source(it, val)
    except (RecursionError, BudgetExceeded):
        return False
    if hit is not None:
        result.message = (f"{result.message}; its code can create weights at "
                          f"{hit.path}:{hit.line} ({hit.note})")
        return False
    member.kept = False
    member.reason = (f"creates no weights: built with no weight, and no method of "
                     f"{val.name} or of its bases below the Layer API calls "
                     "add_weight/add_variable/get_variable or builds a class that does")
    return True


def _parse_failures(asts: ParseCache, reads: dict[str, str | None]) -> list[str]:
    """The files read whose parse failed (the parse cache remembers the error by content):
    one line each, ``path:line: SyntaxError: message``."""
    out = []
    for path, sha in reads.items():
        if sha in (None, EXISTS, UNREADABLE) or path.startswith(LIST) or not asts.has(sha):
            continue
        try:
            asts.parse("", sha)  # the remembered outcome; nothing is parsed again
        except SyntaxError as exc:
            out.append(f"{path}:{exc.lineno or '?'}: SyntaxError: {exc.msg}; analysed without "
                       "this file's definitions")
        except Exception as exc:  # noqa: BLE001 - e.g. nesting too deep for the parser
            out.append(f"{path}: cannot parse ({type(exc).__name__}); analysed without this "
                       "file's definitions")
    return out


def _resolve(
    resolver: Resolver, spec: SymbolSpec
) -> tuple[str, PublicResolution, PublicResolution | None]:
    """The first candidate name the release has: the chosen name, its resolution, and the
    resolution of the first name when that one is absent (its message explains)."""
    first = None
    chosen = spec.name
    res = None
    for cand in spec.candidates():
        res = resolver.resolve_public(cand)
        chosen = cand
        if res.status != "absent":
            return chosen, res, first
        first = first or res
    assert res is not None and first is not None
    # absent under every name asked: say why for the name asked first, and where the release
    # has the class instead (a twin namespace that resolves in this release)
    for twin in twin_names(spec.name):
        if twin in spec.candidates():
            continue
        found = resolver.resolve_public(twin)
        if found.status == "found":
            first = replace(first, message=f"{first.message}; this release has {twin}")
            break
    return chosen, res, first


def _analyze_one(
    it: Interpreter, resolver: Resolver, spec: SymbolSpec, chosen: str, res: PublicResolution,
    first: PublicResolution | None, dims: Dims,
) -> SymbolResult:
    symbol = spec.display(chosen)
    if res.status == "absent":
        asked = first or res  # reported under the name asked first, with why it is missing
        return SymbolResult(symbol=spec.display(), status="absent", message=asked.message,
                            twin=spec.row, name_hops=asked.hops)
    if res.status == "unavailable" or res.definition is None:
        return SymbolResult(
            symbol=symbol,
            status="unavailable",
            message=res.message,
            twin=spec.row,
            name_hops=res.hops,
        )
    d = res.definition
    loc: Location | None = d.location
    result = SymbolResult(
        symbol=symbol, status="resolved", defined_in=loc, twin=spec.row, name_hops=res.hops
    )
    if loc is None:
        result.status = "partial"
        result.message = f"{chosen} resolves to {d.kind} {d.qualname} with no source location"
        return result
    if it.module_source(loc.path) is None:
        result.status = "partial"
        result.message = f"cannot read {loc.path}"
        return result
    val = it.value_at(loc.path, d.qualname, d.module)
    namespace = chosen.rpartition(".")[0]
    try:
        with it.question():
            if isinstance(val, ClassV):
                result.kind = "class"
                analyze_class(it, val, dict(spec.kwargs), dims, result, namespace,
                              lambda name: _inner_class(resolver, name))
            elif isinstance(val, FunctionV):
                result.kind = "function"
                analyze_function(it, val, dict(spec.kwargs), dims, result)
            elif d.kind == "unresolved":
                result.status = "partial"
                result.message = res.message or f"cannot follow {chosen}"
            else:
                result.status = "partial"
                result.message = f"{chosen} is {d.kind} {d.qualname}; nothing to evaluate"
    except RecursionError:
        result.status = "partial"
        result.message = "evaluation too deep"
    except BudgetExceeded as exc:
        result.status = "partial"
        result.message = str(exc)
    except AuditError:  # a file could not be fetched (a bound, the network): the release fails
        raise
    except Exception as exc:  # noqa: BLE001 - one symbol's failure must not sink the release
        result.status = "partial"
        result.message = f"analysis error: {type(exc).__name__}: {exc}"
    if result.status == "needs-args":
        return result
    if any(_unresolved(w) for w in result.weights):
        result.status = "partial"
    if not result.weights and result.status == "resolved" and isinstance(val, ClassV):
        decided = None if result.message else (
            creators_not_taken(it, val) or _inner_never_built(it, val, result))
        if decided is not None:  # stays resolved: no weight, for a reason the source gives
            result.message = f"{NO_WEIGHTS_DECIDED}: {decided}"
        else:
            result.status = "partial"
            result.message = result.message or _no_weights(it, val)
    elif not result.weights and result.status == "resolved" and isinstance(val, FunctionV):
        result.status = "partial"
        result.message = result.message or "the call created no variable the analysis saw"
    return result


def _inner_never_built(it: Interpreter, cls: ClassV, result: SymbolResult) -> str | None:
    """Why a wrapper built with an inner layer creates nothing: its own code never builds
    that layer (rules/inner_built.py); None when it does or may."""
    inner = [a.name for a in result.arguments if kind_of(a.name) == "inner"]
    if not inner:
        return None
    skip = framework(it, cls)
    own = [c for c in it.source_mro(cls) if class_key(c) not in skip]
    return never_built(it, cls, own, inner)


def _no_weights(it: Interpreter, cls: ClassV) -> str:
    """Why a layer has no weights: what its own code (its class or a base class) raised for
    the arguments given, if it did."""
    own = {c.path for c in it.source_mro(cls)}
    for path, line, what in it.raised:
        if path in own:
            return f"no weights created: the layer's code raises {what} ({path}:{line}) " \
                   "for the arguments given"
    return "no weight-creating call found in build() or the call"


def _inner_class(resolver: Resolver, name: str) -> ClassV | str:
    """The class a wrapper's inner layer name leads to in this release, or why not."""
    res = resolver.resolve_public(name)
    d = res.definition
    if res.status != "found" or d is None or d.location is None:
        return res.message or f"{name} is {res.status}"
    val = resolver.it.value_at(d.location.path, d.qualname, d.module)
    return val if isinstance(val, ClassV) else f"{name} is {d.kind} {d.qualname}, not a class"


def _unresolved(w: Weight) -> bool:
    i = w.initializer
    if i.kind == "unresolved":
        return True
    if i.kind == "composite":
        return any(p["initializer"].kind == "unresolved" for p in i.params.get("parts", []))
    return False
