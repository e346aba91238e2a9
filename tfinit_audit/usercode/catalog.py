"""What each TF/Keras name found in the user's code is, in one release, read from its source.

For every name (``tf.keras.layers.GRU``, ``tf.compat.v1.layers.dense``, ``tf.contrib.rnn.LSTMCell``)
the release's own import-time namespaces (``names.Resolver``) say where it leads; its definition
then says what it is:

- ``layer``: a class whose MRO has a ``Layer`` class with a weight-creating method
  (``add_weight`` / ``add_variable``) -- every Keras layer and TF 1.x cell (an optimizer's
  ``add_variable`` does not make it a layer);
- ``variable``: a function taking ``shape`` and ``initializer`` (``get_variable``);
- ``layer_function``: a function whose body constructs a layer class from its own parameters
  (``tf.layers.dense`` builds ``Dense``); it is analysed as that class, under the public name the
  class has beside the function, with the function's arguments mapped onto the class's;
- ``other``: anything else (not a construction ``scan`` reports).

A name the release's public namespaces do not give (``tf.contrib`` behind a lazy loader that
cannot be followed, private ``tensorflow.python.*`` paths) is also tried as the module import
the user's code may perform (``tensorflow.contrib.rnn``, then ``LSTMCell``): that tells what it
is (status ``module``), though the analysis still needs a public name.

The constructor's signature (its first ``__init__`` in the MRO, and what ``**kwargs`` forwards to
the bases) is kept for binding positional arguments and for checking that a pin's parameter
exists. Entries are cached per release (immutable wheels only) and name.
"""

from __future__ import annotations

import ast
import hashlib
import pickle
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from tfinit_audit.analysis.engine.summaries import ClassInfo, FunctionInfo, Param
from tfinit_audit.analysis.names import Definition, Resolver
from tfinit_audit.sources.base import SourceTree
from tfinit_audit.sources.cache import Cache

WEIGHT_METHODS = ("add_weight", "add_variable")
LAYER_BASE = "Layer"  # the base class of every Keras layer and TF 1.x tf.layers / rnn cell
CACHE_NS = "usercode-catalog"


@dataclass
class Signature:
    """A constructor's parameters: ``params`` of the ``__init__`` that receives the call (self
    dropped), ``accepts`` every keyword it or the bases its ``**kwargs`` reach take, and the
    default (source text) of each."""

    params: list[Param] = field(default_factory=list)
    accepts: set[str] = field(default_factory=set)
    defaults: dict[str, str] = field(default_factory=dict)
    varkw: bool = False


@dataclass
class Entry:
    """One name in one release."""

    name: str  # the public name asked for
    status: str  # found | absent | unavailable | unresolved | module (importable by its
    #              module path only: tensorflow.contrib.rnn in 1.15, tensorflow.python.*)
    message: str | None = None
    kind: str = ""  # layer | variable | layer_function | other ("" when not found)
    defined_in: str | None = None  # "package:path:line"
    signature: Signature = field(default_factory=Signature)
    analyse_as: str | None = None  # the public name whose analysis answers for this one
    arg_map: dict[str, str] = field(default_factory=dict)  # layer function param -> class param
    class_signature: Signature | None = None  # a layer function's class
    inits: list[tuple[str, int, int]] = field(default_factory=list)  # (path, first, last line)

    @property
    def is_construction(self) -> bool:
        return self.kind in ("layer", "variable", "layer_function")

    @property
    def constructor(self) -> Signature:
        """The signature the analysed constructor has (a layer function's class's)."""
        return self.class_signature or self.signature


class Catalog:
    """Entries of one release tree, answered by its ``Resolver``; cached on disk by name."""

    def __init__(self, tree: SourceTree, cache: Cache | None, analysis_cache: Path | None,
                 code_version: str) -> None:
        self.tree = tree
        self.resolver = Resolver(tree, cache_dir=analysis_cache)
        self.cache = cache if _immutable(tree) else None
        self.ident = hashlib.sha256("|".join(
            [code_version, tree.release, tree.kind,
             *(f"{p.name}={p.version}:{p.sha256}" for p in tree.packages)]).encode()
        ).hexdigest()[:32]
        self.entries: dict[str, Entry] = {}

    def entry(self, name: str) -> Entry:
        if name in self.entries:
            return self.entries[name]
        key = hashlib.sha256(name.encode()).hexdigest()[:24]
        found: Entry | None = None
        if self.cache is not None:
            raw = self.cache.get(CACHE_NS, self.ident, key)
            if raw is not None:
                try:
                    found = pickle.loads(raw)
                except (pickle.UnpicklingError, EOFError, AttributeError, TypeError):
                    found = None
        if not isinstance(found, Entry) or found.name != name:
            found = self._classify(name)
            if self.cache is not None:
                self.cache.put(CACHE_NS, self.ident, key, pickle.dumps(found))
        self.entries[name] = found
        return found

    # ---------------------------------------------------------------- classification
    def _classify(self, name: str) -> Entry:
        try:
            res = self.resolver.resolve_public(name)
        except RecursionError:
            return Entry(name, "unresolved", f"cannot follow {name}: too deep")
        d = res.definition
        if res.status == "found" and d is not None:
            entry = Entry(name, "found")
            self._describe(entry, d)
            return entry
        entry = Entry(name, res.status, res.message)
        if res.status in ("unresolved", "absent"):  # the user's import names a module path
            d = self._by_module_path(name)
            if d is not None:
                self._describe(entry, d)
                entry.status, entry.analyse_as = "module", None
                entry.message = (f"{res.message}; importing its module gives {d.kind} "
                                 f"{d.module}.{d.qualname}, which the analysis cannot take "
                                 f"without a public name")
        return entry

    def _by_module_path(self, name: str) -> Definition | None:
        parts = ["tensorflow" if name.startswith("tf.") else name.split(".")[0],
                 *name.split(".")[1:]]
        for k in range(len(parts) - 1, 1, -1):
            try:
                d = self.resolver.resolve(".".join(parts[:k]), ".".join(parts[k:]))
            except RecursionError:
                return None
            if d is not None and d.kind in ("class", "function"):
                return d
        return None

    def _describe(self, entry: Entry, d: Definition) -> None:
        loc = d.location
        entry.defined_in = f"{loc.package}:{loc.path}:{loc.line}" if loc else None
        entry.analyse_as = entry.name
        if d.kind == "class" and isinstance(d.info, ClassInfo):
            mro = self._mro(d)
            entry.signature, entry.inits = class_signature(mro)
            entry.kind = "layer" if _has_weight_method(mro) else "other"
        elif d.kind == "function" and isinstance(d.info, FunctionInfo):
            entry.signature = function_signature(d.info)
            names = {p.name for p in d.info.params}
            if {"shape", "initializer"} <= names:
                entry.kind = "variable"
            elif not self._layer_function(entry, d):
                entry.kind = "other"
        else:
            entry.kind = "other"

    def _mro(self, d: Definition) -> list[Definition]:
        try:
            return self.resolver.mro(d)
        except (ValueError, RecursionError):
            return [d]

    def _layer_function(self, entry: Entry, d: Definition) -> bool:
        """``tf.layers.dense``: the layer class the body constructs from the parameters."""
        info = d.info
        assert isinstance(info, FunctionInfo)
        params = [p.name for p in info.params]
        best: tuple[int, Definition, dict[str, str]] | None = None
        for call in _calls(info.source):
            callee = _dotted(call.func)
            if callee is None or callee == info.name:
                continue
            try:
                cls = self.resolver.resolve(d.module, callee)
            except RecursionError:
                continue
            if cls is None or cls.kind != "class" or not isinstance(cls.info, ClassInfo):
                continue
            mro = self._mro(cls)
            if not _has_weight_method(mro):
                continue
            sig, inits = class_signature(mro)
            mapping = _arg_map(call, params, [p.name for p in sig.params])
            if mapping and (best is None or len(mapping) > best[0]):
                best = (len(mapping), cls, mapping)
                entry.class_signature, entry.inits = sig, inits
        if best is None:
            entry.class_signature = None
            return False
        _, cls, mapping = best
        entry.kind, entry.arg_map = "layer_function", mapping
        entry.analyse_as = self._public_twin(entry.name, cls)
        if entry.analyse_as is None:
            entry.message = (f"{entry.name} builds {cls.qualname}, which has no public name "
                             f"beside it to analyse")
        return True

    def _public_twin(self, name: str, cls: Definition) -> str | None:
        """The public name of ``cls`` in the namespace of ``name`` (``tf.layers.Dense`` for
        ``tf.layers.dense``), if it leads to that very class."""
        cand = name.rsplit(".", 1)[0] + "." + cls.qualname.rsplit(".", 1)[-1]
        try:
            res = self.resolver.resolve_public(cand)
        except RecursionError:
            return None
        d = res.definition
        if res.status == "found" and d is not None and d.location and cls.location \
                and (d.location.path, d.qualname) == (cls.location.path, cls.qualname):
            return cand
        return None


# --------------------------------------------------------------------------------------------
# Signatures
# --------------------------------------------------------------------------------------------
def class_signature(mro: list[Definition]) -> tuple[Signature, list[tuple[str, int, int]]]:
    """The ``__init__`` that receives a construction, and every ``__init__`` up the MRO that its
    ``**kwargs`` reach (their keywords are accepted too; their source spans are where a
    parameter's default lies)."""
    sig: Signature | None = None
    inits: list[tuple[str, int, int]] = []
    for d in mro:
        if d.kind != "class" or not isinstance(d.info, ClassInfo) or d.location is None:
            continue
        init = d.info.methods.get("__init__")
        if init is None:
            continue
        inits.append((d.location.path, init.line, init.end_line))
        own = function_signature(init, method=True)
        if sig is None:
            sig = own
        else:
            sig.accepts |= own.accepts
            for k, v in own.defaults.items():
                sig.defaults.setdefault(k, v)
        if not own.varkw:
            break
    return sig or Signature(), inits


def function_signature(info: FunctionInfo, method: bool = False) -> Signature:
    params = [p for p in info.params]
    if method and params and params[0].kind == "pos":
        params = params[1:]
    named = [p for p in params if p.kind in ("pos", "kwonly")]
    return Signature(
        params=named,
        accepts={p.name for p in named},
        defaults={p.name: p.default for p in named if p.default is not None},
        varkw=any(p.kind == "kwarg" for p in params),
    )


def _has_weight_method(mro: list[Definition]) -> bool:
    """A ``Layer`` base that creates weights (Keras ``Layer``, TF 1.x ``tf.layers.Layer``)."""
    return any(isinstance(d.info, ClassInfo) and d.info.name == LAYER_BASE
               and any(m in d.info.methods for m in WEIGHT_METHODS) for d in mro)


def _calls(source: str) -> list[ast.Call]:
    try:
        tree = ast.parse(textwrap.dedent(source))
    except (SyntaxError, ValueError, RecursionError):
        return []
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call)]


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = _dotted(node.value)
        return f"{head}.{node.attr}" if head else None
    return None


def _arg_map(call: ast.Call, fn_params: list[str], cls_params: list[str]) -> dict[str, str]:
    """Function parameter -> class parameter, for the arguments the call passes on unchanged."""
    out: dict[str, str] = {}
    for i, a in enumerate(call.args):
        if isinstance(a, ast.Name) and a.id in fn_params and i < len(cls_params):
            out[a.id] = cls_params[i]
    for kw in call.keywords:
        if kw.arg and isinstance(kw.value, ast.Name) and kw.value.id in fn_params:
            out[kw.value.id] = kw.arg
    return out


def _immutable(tree: SourceTree) -> bool:
    pkgs = list(tree.packages)
    return bool(pkgs) and all(p.sha256 for p in pkgs) and tree.kind in ("pypi", "wheel")
