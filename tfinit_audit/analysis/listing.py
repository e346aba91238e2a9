"""Front end of the engine for whole namespaces: ``tf.keras.layers.*`` and ``all``.

A namespace is listed as the release exposes it, through the engine's import system: the
names its (generated) API module binds -- ``from X import Y``, star imports with ``__all__``,
attributes other modules patch in -- or, for a lazy loader standing in for a module
(``tf.keras`` in 2.x, ``tf.contrib`` in 1.x), what the loader's own ``__dir__`` answers
(``dir(module)`` of the module it loads). Private names (``_x``) are left out. Nothing is keyed
on a version number or on a list of layer names.

Each member is kept or skipped, with the reason:

- a class whose MRO reaches the Layer API -- a class that itself defines ``add_weight`` or
  ``add_variable`` (Keras and tf.layers ``Layer``, the TF 1.x ``RNNCell`` base) -- and has a
  ``call`` method is a layer:
  kept, then built (analysis/audit.py); one whose build creates no weight is dropped only when
  ``weight_source`` finds no code of its own that could create one;
- an RNN cell that is not a layer (its MRO defines ``state_size`` and ``__call__``: the TF
  1.0/1.1 cells) is kept when ``weight_source`` finds code of its own that creates variables
  (``__call__`` -> ``_linear`` -> ``get_variable``);
- a function is kept when ``weight_source`` finds that its code creates variables (calls
  ``add_weight``/``add_variable``/``get_variable``, or builds a class or calls a helper of its
  module that does; of a class, only the methods that can run count: analysis/methods.py) --
  unless it constructs a model (a class whose MRO defines ``fit``: a
  model factory such as ``tf.keras.applications.VGG16``, whose weights are those of the
  layers it is made of);
- a model class (``Sequential``, ``Model``) is a layer like any other, but its Model-API base
  (``fit``) counts as machinery: one whose own code creates nothing is dropped;
- anything else (modules, other classes, constants) is skipped.

``all`` walks every namespace reachable from ``tf`` (each module or loader once). A definition
public under several names is listed once, under the name outside ``compat``/``contrib``
namespaces with the fewest components (then the shortest, then alphabetically); the other
names are its ``aliases``.
"""

from __future__ import annotations

import ast
import fnmatch
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tfinit_audit.analysis import arms, methods
from tfinit_audit.analysis.api_modules import imported_module
from tfinit_audit.analysis.engine.frames import IMPORT, Raised, Undecidable
from tfinit_audit.analysis.engine.interp import Interpreter
from tfinit_audit.analysis.engine.mro import class_key
from tfinit_audit.analysis.engine.values import (
    MISSING,
    ClassV,
    Const,
    FunctionV,
    Instance,
    ModuleV,
    Seq,
    Unknown,
    Value,
)
from tfinit_audit.analysis.model import Hop, Member, NamespaceListing
from tfinit_audit.analysis.names import ROOTS
from tfinit_audit.analysis.rules.undocumented import kept_names

LAYER_API = ("add_weight", "add_variable")  # a class defining one of these is the Layer API
MODEL_API = "fit"  # a class defining it is the Model API: a container of layers
CREATORS = ("add_weight", "add_variable", "get_variable")  # calls that create a variable
SCAN_DEPTH = 2  # helpers / constructed classes followed from a member's own code
ALL_ROOT = "tf"


# ----------------------------------------------------------------------------- listing
def expand(it: Interpreter, pattern: str,
           progress: Callable[[str], None] | None = None) -> NamespaceListing:
    """The members of ``pattern`` in the tree of ``it`` (kept ones are layer/function
    candidates; see the module docstring)."""
    listing = NamespaceListing(pattern=pattern)
    if pattern == "all":
        found = _walk_all(it, listing, progress)
    else:
        prefix, _, glob = pattern.rpartition(".")
        ns = _resolve(it, prefix)
        if ns is MISSING or ns is None:
            listing.error = f"{prefix} does not exist in this release"
            return listing
        names = _names(it, ns, prefix, listing)
        if names is None:
            listing.error = f"{prefix} is {_what(ns)}: its names cannot be listed"
            return listing
        listing.namespaces = 1
        found = {}
        for n in names:
            if not n.startswith("_") and fnmatch.fnmatchcase(n, glob):
                found.setdefault(_member_value(it, ns, n), []).append(f"{prefix}.{n}")
    _classify(it, listing, found)
    return listing


Found = dict[Any, list[str]]


def _resolve(it: Interpreter, public: str) -> Any:
    parts = public.split(".")
    try:
        with it.imports.ns.quiet():
            val: Any = it.import_module(ROOTS.get(parts[0], parts[0]))
            for p in parts[1:]:
                if val is MISSING:
                    return MISSING
                val = it.getattr(val, p, IMPORT)
    except (Raised, Undecidable, RecursionError):
        return None
    return val


def _names(it: Interpreter, ns: Value, prefix: str = "",
           listing: NamespaceListing | None = None) -> list[str] | None:
    """``dir(ns)`` for a module or a module-like object (None when it cannot be listed),
    without the names the module deletes at the end of its import (rules/undocumented.py:
    those are recorded in ``listing`` as skipped)."""
    dirfn = it.builtin("dir")
    try:
        with it.imports.ns.quiet():
            out = it.call(dirfn, [ns], {}, mode=IMPORT)
    except (Raised, Undecidable, RecursionError):
        return None
    if not isinstance(out, Seq):
        return None
    names = sorted({i.value for i in out.items
                    if isinstance(i, Const) and isinstance(i.value, str)})
    mod = _module_of(it, ns)
    kept = kept_names(it, mod) if mod is not None else None
    if kept is None:
        return names
    allowed, hop = kept
    hidden = [n for n in names if not n.startswith("_") and n not in allowed]
    if listing is not None:
        for n in hidden:
            listing.members.append(Member(
                f"{prefix}.{n}" if prefix else n, False,
                f"deleted at import by remove_undocumented ({hop.path}:{hop.line}): not "
                "@@-referenced in the module docstring nor allowed", "other", where=hop))
    return [n for n in names if n not in hidden]


def _module_of(it: Interpreter, ns: Value) -> ModuleV | None:
    """The module a namespace value is (a module-like object: the module it stands for)."""
    if isinstance(ns, ModuleV):
        return ns if ns.path is not None else None
    ident = _namespace_id(it, ns)
    if ident[0] != "module":
        return None
    with it.imports.ns.quiet():
        mod = it.import_module(ident[1])
    return mod if isinstance(mod, ModuleV) and mod.path is not None else None


def _member_value(it: Interpreter, ns: Value, name: str) -> Any:
    try:
        with it.imports.ns.quiet():
            v = it.getattr(ns, name, IMPORT)
    except Raised as exc:
        return _Failed(exc.message_line())
    except (Undecidable, RecursionError) as exc:
        return _Failed(f"cannot follow: {exc}")
    return _Failed("absent") if v is MISSING else _key(v)


@dataclass(frozen=True)
class _Failed:
    why: str


class _Def:
    """A hashable handle on a value, equal for the same definition."""

    def __init__(self, v: Value, key: Any) -> None:
        self.v, self.k = v, key

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Def) and other.k == self.k

    def __hash__(self) -> int:
        return hash(self.k)


def _key(v: Value) -> _Def:
    if isinstance(v, ClassV):
        return _Def(v, ("class", *class_key(v)))
    if isinstance(v, FunctionV) and v.info is not None:
        return _Def(v, ("function", v.src.path, v.info.qualname))
    if isinstance(v, ModuleV):
        return _Def(v, ("module", v.name))
    return _Def(v, ("value", id(v)))


def _walk_all(it: Interpreter, listing: NamespaceListing,
              progress: Callable[[str], None] | None) -> Found:
    """Every namespace reachable from ``tf``, breadth first, each module or loader once."""
    found: Found = {}
    root = _resolve(it, ALL_ROOT)
    if root is MISSING or root is None:
        listing.error = "the tree has no tensorflow package"
        return found
    queue: deque[tuple[str, Value]] = deque([(ALL_ROOT, root)])
    seen: set[Any] = set()
    while queue:
        prefix, ns = queue.popleft()
        ident = _namespace_id(it, ns)
        if ident in seen:
            continue
        seen.add(ident)
        ns = _listed(it, ns)
        names = _names(it, ns, prefix, listing)
        if names is None:
            continue
        listing.namespaces += 1
        if progress and listing.namespaces % 25 == 0:
            progress(f"listing all: {listing.namespaces} namespaces, at {prefix}")
        home = _module_of(it, ns) if prefix != ALL_ROOT else None
        for n in names:
            if n.startswith("_"):
                continue
            d = _member_value(it, ns, n)
            if isinstance(d, _Def) and isinstance(d.v, ModuleV) and home is not None:
                why = imported_module(it, home, n, d.v)
                if why is not None:
                    listing.members.append(Member(f"{prefix}.{n}", False, why, "module"))
                    continue
            if isinstance(d, _Def) and (isinstance(d.v, ModuleV) or _module_like(it, d.v)):
                queue.append((f"{prefix}.{n}", d.v))
                continue
            if isinstance(d, _Def) and isinstance(d.v, ClassV | FunctionV):
                found.setdefault(d, []).append(f"{prefix}.{n}")
    return found


def _namespace_id(it: Interpreter, ns: Value) -> Any:
    if isinstance(ns, ModuleV):
        return ("module", ns.name)
    if isinstance(ns, Instance):
        try:
            name = it.getattr(ns, "__name__", IMPORT)
        except (Raised, Undecidable, RecursionError):
            name = None
        if isinstance(name, Const) and isinstance(name.value, str):
            return ("module", name.value)
    return ("object", id(ns))


def _module_like(it: Interpreter, v: Value) -> bool:
    """An object standing in for a module: its class defines ``__getattr__`` and either
    ``__dir__`` (a lazy loader or a module wrapper) or nothing to list, but its ``__name__``,
    asked through its ``__getattr__``, names a module (TF 1.0's ``_LazyContribLoader``: the
    first attribute asked imports ``tensorflow.contrib`` and puts it in the loader's place)."""
    if not isinstance(v, Instance) or not isinstance(v.cls, ClassV):
        return False
    if it.member(v.cls, "__getattr__") is None:
        return False
    return it.member(v.cls, "__dir__") is not None or _namespace_id(it, v)[0] == "module"


def _listed(it: Interpreter, ns: Value) -> Value:
    """What ``dir`` is asked of: the namespace, or for a loader with no ``__dir__`` the module
    it stands for (its ``dir`` would list only the loader's own attributes)."""
    if isinstance(ns, Instance) and isinstance(ns.cls, ClassV) \
            and it.member(ns.cls, "__dir__") is None:
        return _module_of(it, ns) or ns
    return ns


def _rank(name: str) -> tuple[int, int, int, str]:
    parts = name.split(".")
    secondary = sum(1 for p in parts if p in ("compat", "contrib"))
    return (secondary, len(parts), len(name), name)


def _classify(it: Interpreter, listing: NamespaceListing, found: Found) -> None:
    for d, names in found.items():
        names = sorted(set(names), key=_rank)
        symbol, aliases = names[0], names[1:]
        if isinstance(d, _Failed):
            for n in names:
                listing.members.append(Member(n, False, d.why, "other"))
            continue
        v = d.v
        if isinstance(v, ClassV):
            api = layer_api(it, v)
            if api is None:
                cell = cell_api(it, v)
                hit = weight_source(it, v) if cell is not None else None
                if cell is not None and hit is not None:
                    listing.members.append(Member(
                        symbol, True, f"an RNN cell ({cell.name} defines state_size) whose "
                        f"code creates variables: {hit.note}", "class", aliases, hit))
                else:
                    listing.members.append(Member(
                        symbol, False, "not a layer (no class of its MRO defines "
                        f"{' or '.join(LAYER_API)} and call)" + (
                            ", an RNN cell whose code creates no variable" if cell else
                            " nor an RNN cell (state_size and __call__)"), "class", aliases))
            else:
                c, meth = api
                listing.members.append(Member(
                    symbol, True, f"a layer: its MRO reaches {c.name}, which defines {meth}",
                    "class", aliases, _def_hop(c, meth)))
        elif isinstance(v, FunctionV):
            factory = model_factory(it, v)
            hit = weight_source(it, v) if factory is None else None
            if factory is not None:
                listing.members.append(Member(
                    symbol, False, f"a model factory: {factory.note} ({factory.path}:"
                    f"{factory.line}); its weights are those of the layers it is made of, "
                    "each listed on its own", "function", aliases, factory))
            elif hit is None:
                listing.members.append(Member(symbol, False, _creates_none(it, v), "function",
                                              aliases, _factory_hop(it, v)))
            else:
                listing.members.append(Member(symbol, True, hit.note, "function", aliases,
                                              hit))
        else:
            kind = "module" if isinstance(v, ModuleV) or _module_like(it, v) else "other"
            listing.members.append(Member(symbol, False, f"{_what(v)}, not a layer or "
                                          "function", kind, aliases))
    listing.members.sort(key=lambda m: _rank(m.symbol))


def _factory_hop(it: Interpreter, f: FunctionV) -> Hop | None:
    """Where a function that creates nothing when called returns, uncalled, a nested function
    whose code can create variables (``returned_uncalled``); None if it does not."""
    inner = returned_uncalled(it, f)
    if not inner or _scan(it, f, 0, True, whole=True) is None:
        return None
    return f.src.hop(inner[0].lineno, f"{f.qualname} returns its nested function "
                                      f"{inner[0].name} uncalled")


def _object_hop(it: Interpreter, f: FunctionV) -> Hop | None:
    """Where ``f`` builds an object (no layer or cell) a method of which ``f`` does not use
    can create variables when called (``embedding_column``'s column, used by a model)."""
    node = f.node
    local = _local_names(node) if node is not None else set()
    for call in (n for n in _walk_run(it, f) if isinstance(n, ast.Call)):
        dotted = _dotted(call.func)
        target = _global(it, f, dotted) if dotted and dotted.split(".")[0] not in local else None
        if isinstance(target, ClassV) and not _is_machinery(it, target) \
                and not layer_api(it, target) and not cell_api(it, target):
            every = frozenset(m for c in it.source_mro(target) for m in c.info.methods)
            sub = weight_source(it, target, 1, run=every)
            if sub is not None:
                return f.src.hop(call.lineno, f"{f.qualname} builds {target.name}, whose "
                                 f"methods can when they are called ({sub.path}:{sub.line}: "
                                 f"{sub.note})")
    return None


def _creates_none(it: Interpreter, f: FunctionV) -> str:
    hop = _factory_hop(it, f)
    if hop is not None:
        return (f"a function that creates no variable when called: {hop.note} "
                f"({hop.path}:{hop.line}), whose code can create variables when that is called")
    obj = _object_hop(it, f)
    if obj is not None:
        return f"a function that creates no variable when called: {obj.note} " \
               f"({obj.path}:{obj.line})"
    return "a function that creates no variable"


def _what(v: Value) -> str:
    if isinstance(v, ModuleV):
        return f"module {v.name}"
    if isinstance(v, Unknown):
        return f"unresolved ({v.text})" if v.text else "unresolved"
    return v.describe()


def _def_hop(c: ClassV, meth: str) -> Hop | None:
    info = c.info.methods.get(meth)
    if info is None:
        return None
    return c.src.hop(info.def_line or info.line, f"{c.name} defines {meth}")


# ----------------------------------------------------------------------------- the source
def layer_api(it: Interpreter, cls: ClassV) -> tuple[ClassV, str] | None:
    """The first class of ``cls``'s MRO that defines a Layer-API weight method, and which --
    for a layer, whose MRO also defines ``call`` (an optimizer or a Keras 3 metric has the
    weight method but is not called on inputs)."""
    if it.member(cls, "call") is None:
        return None
    for c in it.source_mro(cls):
        for meth in LAYER_API:
            if meth in c.info.methods:
                return c, meth
    return None


def framework(it: Interpreter, cls: ClassV) -> set[Any]:
    """The library's machinery in the MRO: classes that define a Layer-API weight method
    (their code creates what a subclass asks for, not weights of its own), the Model-API class
    (``fit``: what it builds -- checkpoints, optimizers, metrics -- is not the model's
    weights) and everything after them (the bases every layer has: ``Module``,
    ``Trackable``...)."""
    mro = it.source_mro(cls)
    api = [i for i, c in enumerate(mro) if any(m in c.info.methods for m in LAYER_API)
           or MODEL_API in c.info.methods]
    if not api:
        return set()
    first = api[0]
    return {class_key(c) for i, c in enumerate(mro) if i >= first}


def model_api(it: Interpreter, cls: ClassV) -> ClassV | None:
    """The class of ``cls``'s MRO that defines ``fit`` (Keras ``Model``), if any."""
    return next((c for c in it.source_mro(cls) if MODEL_API in c.info.methods), None)


def model_factory(it: Interpreter, f: FunctionV) -> Hop | None:
    """The line where the function ``f`` constructs a model (a class with the Model API):
    ``tf.keras.applications.VGG16`` returns ``Model(inputs, x)``. Its weights are those of the
    layers it is made of; None when ``f`` constructs none."""
    node = f.node
    if node is None or f.info is None:
        return None
    local = _local_names(node)
    for call in (n for n in ast.walk(node) if isinstance(n, ast.Call)):
        dotted = _dotted(call.func)
        if dotted is None or dotted.split(".")[0] in local:
            continue
        target = _global(it, f, dotted)
        if isinstance(target, ClassV):
            api = model_api(it, target)
            if api is not None:
                return f.src.hop(call.lineno, f"{f.qualname} builds {target.name}, a model "
                                              f"({api.name} defines {MODEL_API})")
    return None


def weight_source(it: Interpreter, v: ClassV | FunctionV, depth: int = 0, builds: bool = True,
                  run: frozenset[str] | None = None, known: dict[str, Any] | None = None
                  ) -> Hop | None:
    """The first line of ``v``'s own code that can create a variable: a call of
    ``add_weight``/``add_variable``/``get_variable``; or, ``SCAN_DEPTH`` levels down, the
    call of a module-level helper whose code does (``_linear``), or -- in ``v``'s own code or
    a method of a class -- the construction of a class whose code does (a sub-layer). A
    helper that only builds layers (a model factory) does not count. Of a class, the methods
    that can run (``running_methods``; ``run``: the names its builder uses) below the
    Layer-API classes; of a function, what its ``known`` parameters leave (analysis/arms.py).
    None: no such line (the member creates no weights)."""
    memo = _memo(it, "weight_source")
    key = (_key(v).k, builds, run, tuple(sorted((known or {}).items(), key=repr)))
    got = memo.get(key)  # a None found deeper saw less: asked again nearer, it is rescanned
    if got is not None and (got[0] is not None or got[1] <= depth):
        return got[0]
    memo[key] = (None, depth)  # cycles
    hit: Hop | None = None
    if isinstance(v, ClassV):
        skip = framework(it, v)
        names = running_methods(it, v, run)
        for c in it.source_mro(v):
            if class_key(c) in skip:
                continue
            for meth, info in c.info.methods.items():
                if meth not in names:
                    continue
                hit = _scan(it, FunctionV(src=c.src, info=info, owner=c, modname=c.modname),
                            depth, True)
                if hit is not None:
                    break
            if hit is not None:
                break
    elif v.info is not None:
        hit = _scan(it, v, depth, builds, known=known or {})
    memo[key] = (hit, depth)
    return hit


def _memo(it: Interpreter, name: str) -> dict[Any, Any]:
    """A memo of this module's questions, kept on the interpreter (one listing question)."""
    return it.__dict__.setdefault("_namespace_memos", {}).setdefault(name, {})


def running_methods(it: Interpreter, cls: ClassV, run: frozenset[str] | None = None
                    ) -> set[str]:
    """The methods of ``cls`` (its MRO without the machinery) that can run
    (analysis/methods.py): every public or special one of a layer or cell (``run`` None),
    else the constructor and the methods ``run`` names; with what those use by name."""
    skip = framework(it, cls)
    return methods.running(
        [FunctionV(src=c.src, info=info, owner=c, modname=c.modname)
         for c in it.source_mro(cls) if class_key(c) not in skip
         for info in c.info.methods.values()], run)


def weight_sources(it: Interpreter, cls: ClassV) -> list[Hop]:
    """Every line of ``cls``'s own code (its MRO without the machinery) that can create a
    variable, as ``weight_source`` finds the first."""
    out: list[Hop] = []
    skip = framework(it, cls)
    names = running_methods(it, cls)
    for c in it.source_mro(cls):
        if class_key(c) in skip:
            continue
        for meth, info in c.info.methods.items():
            if meth not in names:
                continue
            _scan(it, FunctionV(src=c.src, info=info, owner=c, modname=c.modname), 0, True,
                  out)
    return out


def _scan(it: Interpreter, f: FunctionV, depth: int, builds: bool, every: list[Hop] | None = None,
          whole: bool = False, known: dict[str, Any] | None = None) -> Hop | None:
    """The first line of ``f`` that can create a variable (``every``: all); not in functions
    it returns uncalled (``whole``: those too) nor in arms ``known`` rules out."""
    info = f.info
    if info is None:
        return None
    if depth >= SCAN_DEPTH and not any(c in info.source for c in CREATORS):
        return None  # text pre-filter: no creator name, nothing further to follow
    node = f.node
    if node is None:
        return None
    skip = arms.dead(node, known or {})
    calls = [n for n in (ast.walk(node) if whole else _walk_run(it, f))
             if isinstance(n, ast.Call) and id(n) not in skip]
    for call in calls:
        name = _callee_name(call.func)
        if name in CREATORS:
            direct = f.src.hop(call.lineno, f"{f.qualname} calls {name}")
            if every is None:
                return direct
            every.append(direct)
    if depth >= SCAN_DEPTH:
        return every[0] if every else None
    local = _local_names(node)
    seen: set[str] = set()
    for call in calls:
        dotted = _dotted(call.func)
        if dotted is None or (dotted in seen and every is None) \
                or dotted.split(".")[0] in local:
            continue
        seen.add(dotted)
        target = _global(it, f, dotted)
        hop: Hop | None = None
        if isinstance(target, ClassV) and builds and not _is_machinery(it, target):
            run = None if layer_api(it, target) or cell_api(it, target) else methods.used(node)
            sub = weight_source(it, target, depth + 1, run=run)
            if sub is not None:
                hop = f.src.hop(call.lineno, f"{f.qualname} builds {target.name} "
                                f"({sub.path}:{sub.line}: {sub.note})")
        elif isinstance(target, FunctionV) and target.info is not None \
                and target.owner is None and "." not in target.info.qualname:
            sub = weight_source(it, target, depth + 1, builds=False,
                                known=arms.bind(call, target.node, known or {}))
            if sub is not None:
                hop = f.src.hop(call.lineno, f"{f.qualname} calls {target.name} "
                                f"({sub.path}:{sub.line}: {sub.note})")
        if hop is not None:
            if every is None:
                return hop
            every.append(hop)
    return every[0] if every else None


def returned_uncalled(it: Interpreter, f: FunctionV
                      ) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    """The functions ``f`` defines in its own body and hands back uncalled: a ``return``
    gives the function itself (``return inner``) or an object of a class whose constructor
    only stores it (``return Spec(inner)``, ``Spec.__init__`` doing ``self.fn = fn``), and
    ``f`` never calls it by name. Their code runs when the caller calls what was returned,
    not when ``f`` runs (factories: ``tf.contrib.specs.Var``, ``adaptive_clipping_fn``). A
    function passed to anything else (``while_loop(cond, body)``) may be called there: it
    counts as run."""
    fn = f.node
    if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
        return []
    nested = {s.name: s for s in fn.body if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)}
    if not nested:
        return []
    returned: set[str] = set()
    for r in ast.walk(fn):
        if not isinstance(r, ast.Return) or r.value is None:
            continue
        v = r.value
        items = v.elts if isinstance(v, ast.Tuple) else [v]
        returned |= {x.id for x in items if isinstance(x, ast.Name) and x.id in nested}
        if isinstance(v, ast.Call) and not v.keywords:
            for i, a in enumerate(v.args):
                if isinstance(a, ast.Name) and a.id in nested and _stores_only(it, f, v, i):
                    returned.add(a.id)
    called = {n.func.id for n in ast.walk(fn) if isinstance(n, ast.Call)
              and isinstance(n.func, ast.Name)}
    return [nested[name] for name in sorted(returned - called)]


def _stores_only(it: Interpreter, f: FunctionV, call: ast.Call, index: int) -> bool:
    """``call`` builds a class whose ``__init__`` only stores its ``index``-th argument
    (``self.x = param``: every use of the parameter is such an assignment)."""
    dotted = _dotted(call.func)
    target = _global(it, f, dotted) if dotted is not None else None
    if not isinstance(target, ClassV):
        return False
    init = it.member(target, "__init__")
    node = init[1].node if init is not None and isinstance(init[1], FunctionV) else None
    if not isinstance(node, ast.FunctionDef) or node.args.vararg is not None:
        return False
    params = [p.arg for p in [*node.args.posonlyargs, *node.args.args]][1:]
    if index >= len(params):
        return False
    param = params[index]
    stored = {id(a.value) for a in ast.walk(node) if isinstance(a, ast.Assign)
              and isinstance(a.value, ast.Name) and a.value.id == param
              and all(isinstance(t, ast.Attribute) for t in a.targets)}
    return all(id(n) in stored for n in ast.walk(node)
               if isinstance(n, ast.Name) and n.id == param and isinstance(n.ctx, ast.Load))


def _walk_run(it: Interpreter, f: FunctionV) -> list[ast.AST]:
    """``ast.walk`` of ``f``'s code without the functions it hands back uncalled."""
    skip = {id(d) for d in returned_uncalled(it, f)}
    out: list[ast.AST] = []
    todo: list[ast.AST] = [f.node] if f.node is not None else []
    while todo:
        n = todo.pop()
        out.append(n)
        todo.extend(c for c in ast.iter_child_nodes(n) if id(c) not in skip)
    return out


def _is_machinery(it: Interpreter, cls: ClassV) -> bool:
    return any(m in cls.info.methods for m in LAYER_API)


def cell_api(it: Interpreter, cls: ClassV) -> ClassV | None:
    """The class of ``cls``'s MRO that defines ``state_size``, when the MRO also defines
    ``__call__``: the RNN cell API, also where cells are not layers (TF 1.0/1.1)."""
    if it.member(cls, "__call__") is None:
        return None
    return next((c for c in it.source_mro(cls) if "state_size" in c.info.methods
                 or "state_size" in c.info.attrs), None)


def _callee_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _dotted(func: ast.expr) -> str | None:
    parts: list[str] = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if not isinstance(func, ast.Name):
        return None
    parts.append(func.id)
    return ".".join(reversed(parts))


def _local_names(node: ast.AST) -> set[str]:
    """Parameters and names assigned inside a function (not module globals)."""
    out: set[str] = set()
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
        a = node.args
        out |= {x.arg for x in [*a.posonlyargs, *a.args, *a.kwonlyargs]}
        out |= {x.arg for x in (a.vararg, a.kwarg) if x is not None}
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
            out.add(n.id)
        elif isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) \
                and n is not node:
            out.add(n.name)
    return out


def _global(it: Interpreter, f: FunctionV, dotted: str) -> Any:
    """A module-level dotted name as ``f``'s module sees it after import (memoized)."""
    memo = _memo(it, "global")
    key = (f.src.path, dotted)
    if key in memo:
        return memo[key]
    memo[key] = None
    parts = dotted.split(".")
    mod = ModuleV(name=f.module, path=f.src.path)
    try:
        with it.imports.ns.quiet():
            val: Any = it.module_global(mod, parts[0])
            for p in parts[1:]:
                if val is MISSING or not isinstance(val, ModuleV | ClassV | Instance):
                    val = None
                    break
                val = it.getattr(val, p, IMPORT)
    except (Raised, Undecidable, RecursionError):
        val = None
    memo[key] = val
    return val


def creators_not_taken(it: Interpreter, cls: ClassV) -> str | None:
    """Why a layer that was built and created nothing creates no weights for the arguments
    given: every line of its own code that can create one (``weight_sources``) lies in the arm
    of an ``if`` that this question decided not to take (``if self.use_scale:`` with
    ``use_scale=False``), one clause per line. None when a line is not in such an arm (or
    its ``if`` was never run, or went both ways): then nothing is decided."""
    hits = weight_sources(it, cls)
    if not hits:
        return None
    why: list[str] = []
    for hit in hits:
        branch = _skipped_branch(it, cls, hit)
        if branch is None:
            return None
        why.append(branch)
    return "; ".join(dict.fromkeys(why))


def _skipped_branch(it: Interpreter, cls: ClassV, hit: Hop) -> str | None:
    for c in it.source_mro(cls):
        if c.src.path != hit.path:
            continue
        for info in c.info.methods.values():
            if not info.line <= hit.line <= info.end_line:
                continue
            node = FunctionV(src=c.src, info=info, owner=c, modname=c.modname).node
            for n in ast.walk(node) if node is not None else ():
                if not isinstance(n, ast.If):
                    continue
                arm = _arm(n, hit.line)
                decided = it.decided.get((hit.path, n.lineno))
                if arm is None or decided is None or decided == arm:
                    continue
                return (f"{hit.note} ({hit.path}:{hit.line}) only when "
                        f"{'' if arm else 'not '}`{ast.unparse(n.test)}`, which is "
                        f"{decided} here ({hit.path}:{n.lineno})")
    return None


def _arm(n: ast.If, line: int) -> bool | None:
    """True when ``line`` is in the body of ``n``, False in its ``else``, None outside."""
    def inside(body: list[ast.stmt]) -> bool:
        return bool(body) and body[0].lineno <= line <= (body[-1].end_lineno or line)
    if inside(n.body):
        return True
    if inside(n.orelse):
        return False
    return None
