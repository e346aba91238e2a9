"""Entry point of the static analysis: specs -> one SymbolResult each, for one release tree.

Final results are cached on disk with everything the analysis saw (the sha256 of every file the
name resolver and the evaluator read, every existence check and listing), so a warm run of the
same release parses nothing and a changed file anywhere on the resolution path is noticed.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import pickle
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

from tfinit_audit.analysis.engine.base import ABSTRACT_BUDGET
from tfinit_audit.analysis.engine.frames import BudgetExceeded
from tfinit_audit.analysis.engine.interp import Interpreter
from tfinit_audit.analysis.engine.source import Sources
from tfinit_audit.analysis.engine.summaries import ParseCache
from tfinit_audit.analysis.engine.values import ClassV, FunctionV
from tfinit_audit.analysis.layers import analyze_class, analyze_function
from tfinit_audit.analysis.model import Dims, Location, SymbolResult, Weight
from tfinit_audit.analysis.names import PublicResolution, Resolver
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

    ``problems``, if given, receives one line per file the analysis read but could not parse
    (a syntax error: the analysis went on without that file's definitions)."""
    found: list[str] = []
    cached = _load_cache(tree, specs, dims, cache_dir, found) \
        if budget == ABSTRACT_BUDGET else None
    if cached is None:
        with _cyclic_gc_paused():
            cached = _analyze_cold(tree, specs, dims, cache_dir, progress, found, budget)
    if problems is not None:
        problems.extend(p for p in found if p not in problems)
    return cached


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
) -> list[SymbolResult]:
    rec = RecordingTree(tree)  # every read of the engine keys the result cache
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
    if budget == ABSTRACT_BUDGET:
        _store_cache(tree, specs, dims, cache_dir, rec.reads, results, problems)
    return results


def _parse_failures(asts: ParseCache, reads: dict[str, str | None]) -> list[str]:
    """The files read whose parse failed (the parse cache remembers the error by content):
    one line each, ``path:line: SyntaxError: message``."""
    out = []
    for path, sha in reads.items():
        if sha in (None, _EXISTS) or path.startswith(_LIST) or not asts.has(sha):
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


class RecordingTree:
    """A ``SourceTree`` that notes what the analysis saw: each file read (its sha256, or None
    when absent), each existence check and each directory listing. A cached answer is valid
    only while all of them are unchanged, anywhere on the resolution path."""

    def __init__(self, tree: SourceTree) -> None:
        self.base = tree
        self.reads: dict[str, str | None] = {}

    def __getattr__(self, name: str) -> Any:  # release, kind, packages, ...
        return getattr(self.base, name)

    def read_text(self, path: str) -> str | None:
        text = self.base.read_text(path)
        if path not in self.reads or self.reads[path] in (None, _EXISTS):
            self.reads[path] = None if text is None else _sha(text)
        return text

    def exists(self, path: str) -> bool:
        found = self.base.exists(path)
        if path not in self.reads:
            self.reads[path] = _EXISTS if found else None
        return found

    def list(self, prefix: str) -> list[str]:
        out = self.base.list(prefix)
        self.reads.setdefault(_LIST + prefix, _sha("\n".join(sorted(out))))
        return out

    def package_of(self, path: str) -> str | None:
        return self.base.package_of(path)


_EXISTS = "exists"
_LIST = "list:"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _still_valid(tree: SourceTree, reads: dict[str, str | None]) -> bool:
    for key, seen in reads.items():
        if key.startswith(_LIST):
            now: str | None = _sha("\n".join(sorted(tree.list(key[len(_LIST) :]))))
        elif seen == _EXISTS or seen is None:
            now = _EXISTS if tree.exists(key) else None
        else:
            text = tree.read_text(key)
            now = None if text is None else _sha(text)
        if now != seen:
            return False
    return True


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


# ----------------------------------------------------------------------------- cache
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


def _index_path(tree: SourceTree, specs: list[SymbolSpec], dims: Dims, cache_dir: Path) -> Path:
    pk = ",".join(f"{p.name}={p.version}:{p.sha256 or p.file}" for p in tree.packages)
    rel = hashlib.sha256(f"{tree.release}|{tree.kind}|{pk}".encode()).hexdigest()[:24]
    return cache_dir / "analysis" / f"{rel}-{_spec_key(specs, dims)}.pkl"


def _load_cache(
    tree: SourceTree, specs: list[SymbolSpec], dims: Dims, cache_dir: Path | None,
    problems: list[str],
) -> list[SymbolResult] | None:
    if cache_dir is None:
        return None
    path = _index_path(tree, specs, dims, cache_dir)
    try:
        data = pickle.loads(path.read_bytes())
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, KeyError):
        return None
    if not isinstance(data, dict) or not _still_valid(tree, data.get("reads") or {}):
        return None
    results: list[SymbolResult] = data["results"]
    problems.extend(data.get("problems") or [])
    return results


def _store_cache(
    tree: SourceTree,
    specs: list[SymbolSpec],
    dims: Dims,
    cache_dir: Path | None,
    reads: dict[str, str | None],
    results: list[SymbolResult],
    problems: list[str],
) -> None:
    if cache_dir is None:
        return
    path = _index_path(tree, specs, dims, cache_dir)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(pickle.dumps({"reads": dict(reads), "results": results,
                                      "problems": list(problems)}))
        tmp.replace(path)
    except OSError:
        pass
