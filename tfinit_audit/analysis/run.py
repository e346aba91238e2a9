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

from tfinit_audit.analysis.engine.base import ABSTRACT_BUDGET
from tfinit_audit.analysis.engine.frames import BudgetExceeded
from tfinit_audit.analysis.engine.interp import Interpreter
from tfinit_audit.analysis.engine.source import Sources
from tfinit_audit.analysis.engine.summaries import ParseCache
from tfinit_audit.analysis.engine.values import ClassV, FunctionV
from tfinit_audit.analysis.layers import analyze_class, analyze_function
from tfinit_audit.analysis.model import Dims, Location, SymbolResult, Weight
from tfinit_audit.analysis.names import PublicResolution, Resolver
from tfinit_audit.analysis.results import EXISTS, LIST, UNREADABLE, RecordingTree, Seen
from tfinit_audit.analysis.rules import ENGINE_RULES
from tfinit_audit.analysis.symbols import SymbolSpec, twin_names
from tfinit_audit.errors import AuditError
from tfinit_audit.sources.base import SourceTree


def _dims_for(spec: SymbolSpec, dims: Dims) -> Dims:
    kw = spec.kwargs
    if "num_proj" in kw and isinstance(kw["num_proj"], int):
        return replace(dims, num_proj=kw["num_proj"])
    return dims


def run_specs(
    tree: SourceTree,
    specs: list[SymbolSpec],
    dims: Dims,
    cache_dir: Path | None,
    progress: Callable[[str], None] | None,
    problems: list[str],
    budget: int | None = None,
) -> tuple[list[SymbolResult], Seen]:
    """Analyse each spec over ``tree``: its results and what the analysis saw of the tree.
    ``problems`` receives a line per file read that did not parse. ``budget``: interpreter
    steps per symbol (default ``ABSTRACT_BUDGET``)."""
    budget = ABSTRACT_BUDGET if budget is None else budget
    rec = RecordingTree(tree)  # everything the engine sees keys the stored answer
    tree = cast(SourceTree, rec)
    asts = ParseCache()
    sources = Sources(tree, cache_dir, asts)
    results: list[SymbolResult] = []
    for spec in specs:
        # each symbol is a question to a fresh Python process: its own sys.modules, lazy
        # loaders and memos (only the parsed, immutable sources are shared), so its answer is
        # the same alone or in any batch
        engine = Interpreter(tree, ENGINE_RULES, sources=sources, abstract_budget=budget)
        chosen, res, first = _resolve(Resolver(tree, engine=engine), spec)
        if progress:
            progress(spec.display())
        results.append(_analyze_one(engine, spec, chosen, res, first, _dims_for(spec, dims)))
    problems.extend(_parse_failures(asts, rec.reads))
    return results, rec.seen


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
    it: Interpreter, spec: SymbolSpec, chosen: str, res: PublicResolution,
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
    try:
        with it.question():
            if isinstance(val, ClassV):
                analyze_class(it, val, dict(spec.kwargs), dims, result)
            elif isinstance(val, FunctionV):
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
    if any(_unresolved(w) for w in result.weights):
        result.status = "partial"
    if not result.weights and result.status == "resolved" and isinstance(val, ClassV):
        result.status = "partial"
        result.message = result.message or _no_weights(it, val)
    return result


def _no_weights(it: Interpreter, cls: ClassV) -> str:
    """Why a layer has no weights: what its own code (its class or a base class) raised for
    the arguments given, if it did."""
    own = {c.path for c in it.source_mro(cls)}
    for path, line, what in it.raised:
        if path in own:
            return f"no weights created: the layer's code raises {what} ({path}:{line}) " \
                   "for the arguments given"
    return "no weight-creating call found in build() or the call"


def _unresolved(w: Weight) -> bool:
    i = w.initializer
    if i.kind == "unresolved":
        return True
    if i.kind == "composite":
        return any(p["initializer"].kind == "unresolved" for p in i.params.get("parts", []))
    return False
