"""Entry point of the static analysis: specs -> one SymbolResult each, for one release tree.

Final results are stored on disk with everything the analysis saw (``results.py``: every file
the name resolver and the evaluator read, every existence check and listing), and serve every
tree that shows the same: a warm run of the same release parses nothing, a patch release whose
files on the resolution path are byte-identical analyses nothing, and a changed file anywhere on
the resolution path is noticed.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import json
from collections.abc import Callable, Iterator
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
from tfinit_audit.analysis.results import (
    EXISTS,
    LIST,
    UNREADABLE,
    RecordingTree,
    ResultStore,
    Seen,
    Stored,
)
from tfinit_audit.analysis.rules import ENGINE_RULES
from tfinit_audit.analysis.symbols import SymbolSpec, twin_names
from tfinit_audit.errors import AuditError
from tfinit_audit.sources.base import SourceTree

ANALYSIS_VERSION = "3"  # bump when the evaluator's semantics change (invalidates cached results)


def _dims_for(spec: SymbolSpec, dims: Dims) -> Dims:
    kw = spec.kwargs
    if "num_proj" in kw and isinstance(kw["num_proj"], int):
        return replace(dims, num_proj=kw["num_proj"])
    return dims


def analyze(
    tree: SourceTree,
    specs: list[SymbolSpec],
    dims: Dims,
    cache_dir: Path | None = None,
    progress: Callable[[str], None] | None = None,
    budget: int = ABSTRACT_BUDGET,
    problems: list[str] | None = None,
) -> list[SymbolResult]:
    """Resolve each spec to its defining class and evaluate the weights it creates. Each
    symbol's evaluation may take ``budget`` interpreter steps; over it, the symbol is
    ``partial`` with where the analysis stopped (the other symbols go on).

    With ``cache_dir``, the answer is looked up first among the stored analyses of any release
    whose files on the resolution path are the ones this tree has (``results.py``); a new
    answer is stored there. ``problems``, if given, receives one line per file the analysis read
    but could not parse (a syntax error: the analysis went on without that file's
    definitions)."""
    found: list[str] = []
    store = _store_for(tree, specs, dims, cache_dir) if budget == ABSTRACT_BUDGET else None
    release_key = _release_key(tree)  # before the analysis opens any lazy part
    results = _stored(tree, store, found, release_key)
    if results is None:
        if store is not None:
            _prefetch(tree, store.closest(tree))
        with _cyclic_gc_paused():
            results, seen = _analyze_cold(tree, specs, dims, cache_dir, progress, found, budget)
        if store is not None:
            store.store(Stored(seen, results, list(found), _tree_problems(tree, seen)),
                        release_key)
    if problems is not None:
        problems.extend(p for p in found if p not in problems)
    return results


def stored(
    tree: SourceTree, specs: list[SymbolSpec], dims: Dims, cache_dir: Path | None,
    problems: list[str] | None = None,
) -> list[SymbolResult] | None:
    """The answer ``analyze`` would give, if one is stored for a tree that shows what this one
    does (nothing is analysed); None otherwise."""
    found: list[str] = []
    results = _stored(tree, _store_for(tree, specs, dims, cache_dir), found, _release_key(tree))
    if results is not None and problems is not None:
        problems.extend(p for p in found if p not in problems)
    return results


def _stored(tree: SourceTree, store: ResultStore | None, found: list[str], release_key: str
            ) -> list[SymbolResult] | None:
    hit = store.lookup(tree, release_key) if store is not None else None
    if hit is None:
        return None
    found.extend(hit.problems)
    note: Callable[[str], None] | None = getattr(tree, "problem", None)
    for line in hit.tree_problems:
        if note is not None:
            note(line)  # as if this tree had read the file (its warnings are the same)
    return hit.results


def _prefetch(tree: SourceTree, paths: list[str]) -> None:
    """Fetch ``paths`` ahead, together, when the tree can (what the most similar stored
    analysis read: most of what this one will read)."""
    prefetch = getattr(tree, "prefetch", None)
    if paths and prefetch is not None:
        with contextlib.suppress(AuditError):  # a failed read is read (and fails) again later
            prefetch(paths)


def _tree_problems(tree: SourceTree, seen: Seen) -> list[str]:
    """The tree's lines about files the analysis read (``path: not UTF-8 ...``)."""
    return [line for line in getattr(tree, "problems", [])
            if line.partition(": ")[0] in seen.reads]


@contextlib.contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """The cold analysis builds millions of small, long-lived objects (syntax trees, abstract
    values) and little cyclic garbage; with the cycle collector on, its repeated full passes over
    them cost ~40 % of the run. Paused for one analysis, re-enabled (as it was) afterwards."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _analyze_cold(
    tree: SourceTree,
    specs: list[SymbolSpec],
    dims: Dims,
    cache_dir: Path | None,
    progress: Callable[[str], None] | None,
    problems: list[str],
    budget: int = ABSTRACT_BUDGET,
) -> tuple[list[SymbolResult], Seen]:
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


# ----------------------------------------------------------------------------- cache
@functools.cache
def _code_version() -> str:
    """Hash of the analysis code itself, so cached results die with the code that made them."""
    here = Path(__file__).parent
    h = hashlib.sha256(ANALYSIS_VERSION.encode())
    for path in sorted(here.rglob("*.py")):
        with contextlib.suppress(OSError):
            h.update(path.relative_to(here).as_posix().encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def _spec_key(specs: list[SymbolSpec], dims: Dims) -> str:
    blob = json.dumps(
        [[s.name, list(s.args), list(s.alternatives), s.kind_hint] for s in specs]
        + [sorted(vars(dims).items(), key=lambda kv: kv[0])],
        default=str,
    )
    return hashlib.sha256((_code_version() + blob).encode()).hexdigest()[:24]


def _store_for(
    tree: SourceTree, specs: list[SymbolSpec], dims: Dims, cache_dir: Path | None
) -> ResultStore | None:
    """The stored analyses of these specs and sizes by this code, for trees of this kind."""
    if cache_dir is None:
        return None
    family = hashlib.sha256(f"{_spec_key(specs, dims)}|{tree.kind}".encode()).hexdigest()[:24]
    return ResultStore(cache_dir, family)


def _release_key(tree: SourceTree) -> str:
    """This release's identity as far as it is known before the analysis (which stored
    analysis it used last is tried first)."""
    pk = ",".join(f"{p.name}={p.version}:{p.sha256 or p.file}" for p in tree.packages)
    return hashlib.sha256(f"{tree.release}|{tree.kind}|{pk}".encode()).hexdigest()[:24]
