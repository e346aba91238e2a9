"""What a layer is built with, read from its source: the parameters its constructor requires
and the rank of the input it accepts.

Required parameters are the ones without a default in the signature of the class's
``__init__`` (or of a function) in that release; their values come from the argument table
(analysis/arguments.py), never from here.

The input rank is what the layer itself declares after construction: Keras and ``tf.layers``
layers keep an ``input_spec`` (``InputSpec(ndim=N)`` fixes the rank, ``min_ndim``/``max_ndim``
bound it; a list of specs describes several inputs, the first is the layer's input). A layer
with no spec accepts any rank it can build on; the front end (analysis/layers.py) then tries
``RANKS`` in order and keeps the first on which every weight gets a concrete shape. Every input
is ``[batch, length, ..., length, features]`` of that rank: one feature/channel size for every
layer family. A function that makes a layer and applies it takes the rank that layer declared
when its ``build`` was first called (``BuildRanks``): a build may re-declare the rank it got.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any

from tfinit_audit.analysis.engine.hooks import CallSite, Rule
from tfinit_audit.analysis.engine.values import Const, FunctionV, Instance, Seq, Value
from tfinit_audit.analysis.model import Hop

RANKS = (2, 3, 4, 5)  # ranks tried, in order, when the layer declares none
MAX_RANK = 5


@dataclass
class RankHint:
    """The ranks to build the layer on, in order, and why."""

    ranks: list[int]
    reason: str
    hops: list[Hop] = field(default_factory=list)
    declared: bool = False  # the layer's input_spec says it (else: the ranks to search)
    mismatch: str | None = None  # set after a build: a sub-layer got another rank
    rejected: str | None = None  # set after a build: the layer's own check refused the input
    escaped: Any = None  # set after a build: the exception (engine Raised) that left it
    handed: str | None = None  # set after a build: what build got ("TensorShape" | "tuple")


def required_parameters(f: FunctionV, skip_first: bool) -> list[str] | None:
    """Names of the parameters of ``f`` that have no default (``self`` left out when
    ``skip_first``), keyword-only ones included; None when ``f`` has no source."""
    node = f.node
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return None
    a = node.args
    pos = [x.arg for x in [*a.posonlyargs, *a.args]]
    if skip_first:
        pos = pos[1:]
    ndef = len(a.defaults)
    out = pos[: len(pos) - ndef] if ndef else pos
    out += [p.arg for p, d in zip(a.kwonlyargs, a.kw_defaults, strict=True) if d is None]
    return out


def constructor_requirements(it: Any, f: FunctionV, depth: int = 0) -> list[str]:
    """The parameters a constructor requires, including those it forwards through
    ``*args``/``**kwargs`` to its base class's ``__init__`` (``super().__init__(conv_ndims=2,
    **kwargs)``: the base's required parameters the call does not give are required of the
    subclass too, as Python would raise for them)."""
    req = required_parameters(f, True) or []
    node = f.node
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or node.args.kwarg is None \
            or depth > 4 or f.owner is None:
        return req
    kw = node.args.kwarg.arg
    for call in (n for n in ast.walk(node) if isinstance(n, ast.Call)):
        func = call.func
        if not (isinstance(func, ast.Attribute) and func.attr == "__init__" and any(
                k.arg is None and isinstance(k.value, ast.Name) and k.value.id == kw
                for k in call.keywords)):
            continue
        found = _base_init(it, f, func.value)
        if found is None:
            return req
        base = found
        explicit = isinstance(func.value, ast.Call)  # super().__init__(...): self implied
        # ``*args`` forwards what the caller passed: the base's parameters it would fill are
        # required of the subclass too (``DropoutWrapper(*args, **kwargs)`` needs ``cell``)
        n_pos = sum(1 for a in call.args if not isinstance(a, ast.Starred)) \
            - (0 if explicit else 1)
        given = {k.arg for k in call.keywords if k.arg}
        bnode = base.node
        if not isinstance(bnode, ast.FunctionDef | ast.AsyncFunctionDef):
            return req
        positional = [x.arg for x in [*bnode.args.posonlyargs, *bnode.args.args]][1:]
        given |= set(positional[:max(n_pos, 0)])
        req += [p for p in constructor_requirements(it, base, depth + 1)
                if p not in given and p not in req]
        break
    return req


def _base_init(it: Any, f: FunctionV, target: ast.expr) -> FunctionV | None:
    """The ``__init__`` that ``super().__init__``, ``super(X, self).__init__`` (the one after
    ``X``) or ``Base.__init__`` calls from the method ``f``."""
    from tfinit_audit.analysis.engine.values import ClassV, ModuleV

    owner = f.owner
    assert owner is not None
    after: Any = owner
    start: Any = None
    mod = ModuleV(name=f.module, path=f.src.path)
    if isinstance(target, ast.Call) and target.args:  # super(X, self)
        named = _global(it, mod, target.args[0])
        if isinstance(named, ClassV):
            after = named
    elif not isinstance(target, ast.Call):  # Base.__init__(self, ...), module.Base.__init__
        base = _global(it, mod, target)
        if not isinstance(base, ClassV):
            return None
        after, start = None, base
    try:
        found = it.member(start or owner, "__init__", after=after) if start is None else \
            it.member(start, "__init__")
    except Exception:  # noqa: BLE001 - an MRO the engine cannot order: no answer
        return None
    return found[1] if found is not None and isinstance(found[1], FunctionV) else None


def _global(it: Any, mod: Any, e: ast.expr) -> Any:
    """A module-level name (``Layer``) or dotted name (``base_layer.Layer``) as ``mod`` sees
    it; None for any other expression."""
    from tfinit_audit.analysis.engine.frames import IMPORT

    parts: list[str] = []
    while isinstance(e, ast.Attribute):
        parts.append(e.attr)
        e = e.value
    if not isinstance(e, ast.Name):
        return None
    val = it.module_global(mod, e.id)
    for p in reversed(parts):
        try:
            val = it.getattr(val, p, IMPORT)
        except Exception:  # noqa: BLE001 - a name the import-time run cannot follow
            return None
    return val


def signature_of(it: Any, f: FunctionV) -> FunctionV:
    """The function whose parameters ``f`` is called with, as ``inspect.signature`` answers:
    ``f`` itself, or, for ``@functools.wraps(g)`` over a ``def f(*args, **kwargs)`` that only
    forwards (TF 0.12-1.x ``get_local_variable`` wraps ``get_variable``), the ``g`` whose
    ``__wrapped__`` signature it takes."""
    node = f.node
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or parameters(f):
        return f
    for dec in node.decorator_list:
        if not (isinstance(dec, ast.Call) and len(dec.args) == 1
                and isinstance(dec.args[0], ast.Name)):
            continue
        fn = dec.func
        name = fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", None)
        if name != "wraps" or (isinstance(fn, ast.Attribute) and not (
                isinstance(fn.value, ast.Name) and fn.value.id == "functools")):
            continue
        g = it.value_at(f.src.path, dec.args[0].id, f.module)
        if isinstance(g, FunctionV) and g is not f and isinstance(
                g.node, ast.FunctionDef | ast.AsyncFunctionDef):
            return g
    return f


def parameters(f: FunctionV) -> list[str]:
    """Every named parameter of ``f`` (positional and keyword-only)."""
    node = f.node
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return []
    a = node.args
    return [x.arg for x in [*a.posonlyargs, *a.args, *a.kwonlyargs]]


def input_rank(it: Any, obj: Instance) -> RankHint:
    """The ranks ``obj`` accepts, from its ``input_spec`` after construction."""
    spec: Value | None = obj.attrs.get("input_spec")
    where = obj.attr_lines.get("input_spec")
    if isinstance(spec, Seq) and spec.items:
        spec = spec.items[0]
    if not isinstance(spec, Instance):
        documented = documented_rank(it, obj)
        if documented is not None:
            rank, param, text, hop = documented
            return RankHint([rank, *(r for r in RANKS if r != rank)],
                            f"no input_spec; its docstring's call arguments give {param} the "
                            f"shape {text}: rank {rank} first, then the first of the others "
                            "giving every weight a shape", [hop])
        return RankHint(list(RANKS), f"no input_spec: the first rank of {RANKS[0]}-{RANKS[-1]} "
                        "giving every weight a shape, every sub-layer its rank")
    it.force(spec)
    ndim, lo, hi = (_int(spec.attrs.get(k)) for k in ("ndim", "min_ndim", "max_ndim"))
    hops = [where] if where is not None else []
    if ndim is not None:
        return RankHint([ndim], f"input_spec ndim={ndim}", hops, True)
    if lo is not None:
        top = min(hi if hi is not None else MAX_RANK, MAX_RANK)
        ranks = list(range(lo, max(top, lo) + 1))
        return RankHint(ranks, f"input_spec min_ndim={lo}"
                        + (f", max_ndim={hi}" if hi is not None else ""), hops, True)
    if hi is not None:
        return RankHint([r for r in RANKS if r <= hi] or [hi], f"input_spec max_ndim={hi}",
                        hops, True)
    return RankHint(list(RANKS), "input_spec without a rank: the first rank of "
                    f"{', '.join(map(str, RANKS))} on which every weight has a shape", hops)


class SubLayerRanks(Rule):
    """A layer hands its sub-layers (a wrapper's inner layer) the input shape it computes from
    its own (``TimeDistributed`` drops the time axis); a sub-layer that declares the rank it
    accepts (its ``input_spec``) and gets another from its ``build`` call shows that the outer
    input had the wrong rank. Observes only: the front end (analysis/layers.py) tries the next
    rank when ``mismatches`` is not empty. Added for one build with ``Interpreter.hooks``."""

    name = "sub-layer-ranks"

    def __init__(self, step_shape: Any = None) -> None:
        self.top: Instance | None = None
        self.mismatches: list[str] = []
        # the shape a build whose shape the engine could not compute gets instead (the weight
        # collector builds such a sub-layer on the outer input's per-step shape)
        self.step_shape = step_shape

    def call_site(self, it: Any, site: CallSite) -> Value | None:
        f, args = site.callee, site.args
        if not (isinstance(f, FunctionV) and f.name == "build" and isinstance(f.bound, Instance)
                and f.bound is not self.top):
            return None
        given = args[0] if args else None
        if isinstance(given, Seq) and _known_after_batch(given):
            got = len(given.items)
        else:
            step = self.step_shape() if callable(self.step_shape) else None
            if step is None:
                return None
            got = len(step)
        hint = input_rank(it, f.bound)
        if hint.declared and got not in hint.ranks:
            self.mismatches.append(f"{f.bound.cls.name}.build got rank {got}, its {hint.reason}")
        return None


class BuildRanks(Rule):
    """The ranks each layer declares when its ``build`` is first called: its ``input_spec``
    then, before the build may re-declare it with the rank it was given (TF 1.x ``GDN``:
    ``InputSpec(min_ndim=3, max_ndim=5)`` in ``__init__``, ``InputSpec(ndim=input_shape.ndims)``
    in ``build``). A function that makes a layer and applies it (``tf.contrib.layers.gdn``)
    is called on the rank its layer declares this way. Observes only."""

    name = "build-ranks"

    def __init__(self) -> None:
        self.declared: dict[int, RankHint] = {}  # id of the layer -> its hint at build time

    def call_site(self, it: Any, site: CallSite) -> Value | None:
        f = site.callee
        if isinstance(f, FunctionV) and f.name == "build" and isinstance(f.bound, Instance) \
                and id(f.bound) not in self.declared:
            self.declared[id(f.bound)] = input_rank(it, f.bound)
        return None

    def first(self, it: Any, obj: Instance) -> RankHint:
        """The rank ``obj`` declared when it was built, else the one it declares now."""
        hint = self.declared.get(id(obj))
        return hint if hint is not None and hint.declared else input_rank(it, obj)


def _known_after_batch(v: Seq) -> bool:
    return bool(v.items) and all(isinstance(i, Const) and isinstance(i.value, int)
                                 for i in v.items[1:])


def input_shape(rank: int, features: int, length: int) -> list[int | None]:
    """``[batch, length, ..., features]`` of ``rank`` (the batch unknown)."""
    return [None, *([length] * max(rank - 2, 0)), features] if rank >= 2 else [features]


def _int(v: Value | None) -> int | None:
    if isinstance(v, Const) and isinstance(v.value, int) and not isinstance(v.value, bool):
        return v.value
    return None


_CALL_ARGUMENTS = "Call arguments:"
_OF_SHAPE = re.compile(r"of shape `?\(([^()`]*)\)`?")


def documented_rank(it: Any, obj: Instance) -> tuple[int, str, str, Hop] | None:
    """The rank a Keras layer documents for its input when it declares none in an
    ``input_spec``: the class docstring's ``Call arguments:`` section (the Keras docstring
    convention) saying of the first parameter of ``call`` that it is ``of shape (B, T,
    dim)`` (Keras 2 and 3 ``MultiHeadAttention``: ``query``). (rank, parameter, shape text,
    the docstring line); None when the docstring says nothing of it."""
    from tfinit_audit.analysis.engine.values import ClassV

    if not isinstance(obj.cls, ClassV):
        return None
    found = it.member(obj.cls, "call")
    if found is None or not isinstance(found[1], FunctionV):
        return None
    params = parameters(found[1])
    if len(params) < 2:
        return None
    param = params[1]
    for c in it.source_mro(obj.cls):
        node = c.src.class_node(c.info)
        if node is None or not node.body or not isinstance(node.body[0], ast.Expr) \
                or not isinstance(node.body[0].value, ast.Constant) \
                or not isinstance(node.body[0].value.value, str):
            continue
        lines = node.body[0].value.value.splitlines()
        start = next((i for i, t in enumerate(lines) if t.strip() == _CALL_ARGUMENTS), None)
        if start is None:
            continue
        for i in range(start + 1, len(lines)):
            text = lines[i].strip()
            if not text.startswith(f"{param}:"):
                continue
            m = _OF_SHAPE.search(text)
            if m is None:
                return None
            axes = [x for x in m.group(1).split(",") if x.strip()]
            line = node.body[0].lineno + i
            return len(axes), param, f"({m.group(1)})", c.src.hop(
                line, f"{c.info.name} documents its call's {param} of rank {len(axes)}")
        return None
    return None
