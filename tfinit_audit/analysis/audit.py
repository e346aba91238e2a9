"""Entry point of the static analysis: specs -> one SymbolResult each, for one release tree.

Final results are cached on disk with everything the analysis saw (the sha256 of every file the
name resolver and the evaluator read, every existence check and listing), so a warm run of the
same release parses nothing and a changed file anywhere on the resolution path is noticed.
"""

from __future__ import annotations

import ast
import contextlib
import gc
import hashlib
import json
import pickle
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

from tfinit_audit.analysis import facts as facts_mod
from tfinit_audit.analysis.evaluate import (
    ClassV,
    Const,
    Fixed,
    Frame,
    FuncV,
    Obj,
    Program,
    SeqV,
    Unknown,
)
from tfinit_audit.analysis.model import Dims, Hop, Location, SymbolResult, Weight
from tfinit_audit.analysis.summaries import ParseCache
from tfinit_audit.analysis.symbols import SymbolSpec
from tfinit_audit.analysis.weights import WeightCollector, build_layer, to_weights
from tfinit_audit.sources.base import SourceTree

ANALYSIS_VERSION = "2"  # bump when the evaluator's semantics change (invalidates cached results)


def input_shape_for(cls: ClassV, obj_attrs: dict[str, Any], dims: Dims) -> list[int | None]:
    """Input shape handed to build(): per-layer conventions of DESIGN.md §5."""
    name = cls.name
    if "Conv2D" in name or name.startswith("Conv") and "2D" in name:
        return [None, 5, 5, dims.conv_channels]
    if "Embedding" in name:
        return [None, 10]
    if "BatchNorm" in name:
        return [None, dims.batchnorm_features]
    if "cell" in obj_attrs or "_cell" in obj_attrs:
        return [None, 10, dims.input_dim]
    return [None, dims.input_dim]


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
) -> list[SymbolResult]:
    """Resolve each spec to its defining class and evaluate the weights it creates."""

    cached = _load_cache(tree, specs, dims, cache_dir)
    if cached is not None:
        return cached
    with _cyclic_gc_paused():
        return _analyze_cold(tree, specs, dims, cache_dir, progress)


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
) -> list[SymbolResult]:
    from tfinit_audit.analysis.names import Resolver

    rec = RecordingTree(tree)  # every read of resolver and evaluator keys the result cache
    tree = cast(SourceTree, rec)
    asts = ParseCache()  # one parse per module for the resolver and the evaluator
    resolver = Resolver(tree, cache_dir=cache_dir, asts=asts)
    program = Program(tree, asts=asts)
    program.public_resolver = _public_bridge(resolver)
    results: list[SymbolResult] = []
    for spec in specs:
        if progress:
            progress(spec.display())
        results.append(_analyze_one(tree, resolver, program, spec, _dims_for(spec, dims)))
    _store_cache(tree, specs, dims, cache_dir, rec.reads, results)
    return results


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


def _public_bridge(resolver: Any) -> Callable[[str], tuple[str, str, str, str] | None]:
    def resolve(dotted: str) -> tuple[str, str, str, str] | None:
        root, _, rest = dotted.partition(".")
        if root not in ("tensorflow", "keras", "tf_keras") or not rest:
            return None
        name = ("tf" if root == "tensorflow" else root) + "." + rest
        try:
            res = resolver.resolve_public(name)
        except Exception:  # noqa: BLE001 - a resolver failure just leaves the name unknown
            return None
        d = res.definition
        if res.status != "found" or d is None:
            return None
        path = d.location.path if d.location else ""
        return d.kind, d.module, path, d.qualname

    return resolve


def _analyze_one(
    tree: SourceTree, resolver: Any, program: Program, spec: SymbolSpec, dims: Dims
) -> SymbolResult:
    last = None
    chosen = spec.name
    res = None
    for cand in spec.candidates():
        res = resolver.resolve_public(cand)
        chosen = cand
        if res.status != "absent":
            break
        last = res
    assert res is not None
    symbol = spec.display(chosen)
    if res.status == "absent":
        msg = (last or res).message
        return SymbolResult(
            symbol=symbol, status="absent", message=msg, twin=spec.row, name_hops=res.hops
        )
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
    mod = program.module_by_path(loc.path)
    if mod is None:
        result.status = "partial"
        result.message = f"cannot read {loc.path}"
        return result
    top = d.qualname.split(".")[0]
    val = program.global_value(mod, top)
    for part in d.qualname.split(".")[1:]:
        val = program.getattr(val, part, None, None)
    try:
        if isinstance(val, ClassV):
            _analyze_class(program, val, spec, dims, result)
        elif isinstance(val, FuncV):
            _analyze_function(program, val, spec, dims, result)
        else:
            result.status = "partial"
            result.message = f"{chosen} is {d.kind} {d.qualname}; nothing to evaluate"
    except RecursionError:
        result.status = "partial"
        result.message = "evaluation too deep"
    except Exception as exc:  # noqa: BLE001 - one symbol's failure must not sink the release
        result.status = "partial"
        result.message = f"analysis error: {type(exc).__name__}: {exc}"
    if any(_unresolved(w) for w in result.weights):
        result.status = "partial"
    if not result.weights and result.status == "resolved" and isinstance(val, ClassV):
        result.status = "partial"
        result.message = result.message or "no weight-creating call found in build()"
    return result


def _unresolved(w: Weight) -> bool:
    i = w.initializer
    if i.kind == "unresolved":
        return True
    if i.kind == "composite":
        return any(p["initializer"].kind == "unresolved" for p in i.params.get("parts", []))
    return False


def _analyze_class(
    program: Program, cls: ClassV, spec: SymbolSpec, dims: Dims, result: SymbolResult
) -> None:
    ctor_kwargs = dict(spec.kwargs)
    obj, captured, bound = _build(program, cls, ctor_kwargs, dims)
    result.weights = to_weights(program, captured)
    result.facts = facts_mod.collect(program, cls, obj, bound, result.weights)


def _build(
    program: Program, cls: ClassV, kwargs: dict[str, Any], dims: Dims
) -> tuple[Obj, list[Any], dict[str, Any]]:
    # first guess: construct, look at attributes to pick the input rank, then build
    from tfinit_audit.analysis.weights import required_args

    shape = _guess_shape(program, cls, dims, kwargs, required_args(dims))
    return build_layer(program, cls, kwargs, dims, shape)


def _guess_shape(
    program: Program, cls: ClassV, dims: Dims, kwargs: dict[str, Any], req: dict[str, Any]
) -> list[int | None]:
    attrs: dict[str, Any] = {}
    for c in program.mro(cls):
        if c.name in ("RNN", "Bidirectional", "Wrapper") or c.name.endswith("RNN") and c is not cls:
            attrs["cell"] = True
    return input_shape_for(cls, attrs, dims)


def _analyze_function(
    program: Program, f: FuncV, spec: SymbolSpec, dims: Dims, result: SymbolResult
) -> None:
    """``tf.get_variable("v", shape=[input_dim, units])`` with no initializer."""
    assert f.mod is not None and f.node is not None
    collector = WeightCollector(program, set())
    program.call_hook = collector
    shape = SeqV(items=[Const(value=dims.input_dim), Const(value=dims.units)])
    call = ast.parse(f'{f.name}("v", shape=[input_dim, units])', mode="eval").body
    assert isinstance(call, ast.Call)
    frame = Frame(mod=f.mod, locals={}, func_name="user code")
    collector.active = False
    hop = Hop(
        package=f.mod.package,
        path=f.mod.path,
        line=f.node.lineno,
        code=f.mod.code(f.node.lineno),
        note=f'user calls {f.name}("v", shape=[input_dim, units]) with no initializer',
    )
    from tfinit_audit.analysis.weights import Captured

    kwargs = {"shape": shape, **{k: Const(value=v) for k, v in spec.kwargs.items()}}
    init_kw = kwargs.get("initializer", Const(value=None))
    hops = [hop]
    fallback = False
    value: Any = init_kw
    if isinstance(init_kw, Const) and init_kw.value is None:
        fallback = True
        try:
            program.call(f, [Const(value="v")], kwargs, (frame, call), follow=True)
            value = Unknown(
                text=f"initializer stays None in {f.name}", path=f.mod.path, line=f.node.lineno
            )
        except Fixed as fx:
            value = fx.value
            hops.extend(fx.hops)
        hops.extend(value.hops)
    program.call_hook = None
    captured = [
        Captured(
            name="v",
            shape=[dims.input_dim, dims.units],
            shape_expr="[input_dim, units]",
            init_value=value,
            fallback=fallback,
            hops=hops,
            condition=None,
            owner=None,
        )
    ]
    result.weights = to_weights(program, captured)


# ----------------------------------------------------------------------------- cache
def _code_version() -> str:
    """Hash of the analysis code itself, so cached results die with the code that made them."""
    here = Path(__file__).parent
    h = hashlib.sha256(ANALYSIS_VERSION.encode())
    for name in (
        "evaluate.py",
        "weights.py",
        "facts.py",
        "initializers.py",
        "audit.py",
        "names.py",
        "names_interp.py",
        "summaries.py",
    ):
        with contextlib.suppress(OSError):
            h.update((here / name).read_bytes())
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
    tree: SourceTree, specs: list[SymbolSpec], dims: Dims, cache_dir: Path | None
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
    return results


def _store_cache(
    tree: SourceTree,
    specs: list[SymbolSpec],
    dims: Dims,
    cache_dir: Path | None,
    reads: dict[str, str | None],
    results: list[SymbolResult],
) -> None:
    if cache_dir is None:
        return
    path = _index_path(tree, specs, dims, cache_dir)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(pickle.dumps({"reads": dict(reads), "results": results}))
        tmp.replace(path)
    except OSError:
        pass
