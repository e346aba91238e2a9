"""Class -> the weights its ``build`` creates, each with its effective initializer and provenance.

The layer is constructed abstractly (its ``__init__`` through the MRO with the given arguments),
then ``build`` is run on a concrete input shape. Every ``add_weight``/``add_variable``/
``get_variable`` call made on behalf of the layer is captured; an ``initializer`` that is None is
followed into the library's own code until a real initializer is assigned (the fallback chain).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from tfinit_audit.analysis import initializers as vocab
from tfinit_audit.analysis.evaluate import (
    Applied,
    ClassV,
    Composite,
    Const,
    DictV,
    Fixed,
    Frame,
    FuncV,
    InitV,
    Obj,
    Program,
    SeqV,
    Unknown,
    Value,
    _describe,
    _initializer_arg,
)
from tfinit_audit.analysis.model import Hop, Initializer, Weight

CREATORS = ("add_weight", "add_variable", "get_variable")


# constructor parameter name -> how to fill it from the run's dims (required args only)
def required_args(dims: Any) -> dict[str, Any]:
    return {
        "num_units": dims.units,
        "units": dims.units,
        "filters": dims.conv_filters,
        "kernel_size": tuple(dims.conv_kernel),
        "input_dim": dims.embedding_input_dim,
        "output_dim": dims.embedding_output_dim,
    }


@dataclass
class Captured:
    name: str
    shape: list[int] | None
    shape_expr: str
    init_value: Value
    fallback: bool
    hops: list[Hop]
    condition: str | None
    owner: Obj | None
    extra: dict[str, Any] = field(default_factory=dict)
    conds: list[str] = field(default_factory=list)


class WeightCollector:
    """Call hook that records variable-creating calls made by the layer's own code."""

    def __init__(self, program: Program, layer_modules: set[str]) -> None:
        self.p = program
        self.captured: list[Captured] = []
        self.layer_modules = layer_modules
        self.active = True
        self.top: Obj | None = None
        self.step_shape: list[int | None] | None = None

    def __call__(
        self,
        p: Program,
        frame: Frame,
        e: ast.Call,
        f: Value,
        args: list[Value],
        kwargs: dict[str, Value],
    ) -> Value | None:
        if (
            self.active
            and isinstance(f, FuncV)
            and f.name == "build"
            and isinstance(f.bound, Obj)
            and f.bound is not self.top
            and self.step_shape is not None
            and (not args or _concrete_shape(args[0]) is None)
        ):
            # a sub-layer (an RNN's cell) built on a shape the evaluator could not compute:
            # build it on the per-step input shape (batch, input_dim)
            step = SeqV(items=[Const(value=d) for d in self.step_shape], kind="tuple")
            p.call(f, [step], {}, (frame, e))
            return Const(value=None)
        if not self.active or frame.follow or not isinstance(f, FuncV) or f.name not in CREATORS:
            return None
        if frame.func_name in CREATORS or frame.func_name.startswith("_add_variable"):
            return None
        name_v = kwargs.get("name", args[0] if args else Unknown())
        shape_v = kwargs.get("shape", args[1] if len(args) > 1 else Unknown())
        shape_node = next(
            (k.value for k in e.keywords if k.arg == "shape"),
            e.args[1] if len(e.args) > 1 else None,
        )
        name = (
            str(name_v.value)
            if isinstance(name_v, Const)
            else ast.unparse(
                next((k.value for k in e.keywords if k.arg == "name"), e.args[0] if e.args else e)
            )
        )
        shape = _concrete_shape(shape_v)
        init = _initializer_arg(p, f, args, kwargs)
        if init is None:
            init = Const(value=None)
        init_node = next((k.value for k in e.keywords if k.arg == "initializer"), None)
        passed = ast.unparse(init_node) if init_node else "None (not passed)"
        site_note = f"{frame.func_name}: creates {name!r} with initializer={passed}"
        hops = [frame.mod.hop(e.lineno, site_note)]
        fallback = False
        value: Value = init
        if isinstance(init, Const) and init.value is None:
            fallback = True
            hops.extend(init.hops)
            self.active = False
            try:
                p.call(f, args, kwargs, (frame, e), follow=True)
                value = Unknown(
                    text=f"initializer stays None in {f.name}",
                    path=f.mod.path if f.mod else "",
                    line=getattr(f.node, "lineno", 0),
                )
            except Fixed as fx:
                value = fx.value
                hops.extend(fx.hops)
            finally:
                self.active = True
            hops.extend(_derivation(value))
        else:
            hops.extend(_derivation(init))
        cond = " and ".join(frame.conds) or None
        self.captured.append(
            Captured(
                name=name,
                shape=shape,
                shape_expr=ast.unparse(shape_node) if shape_node is not None else "",
                init_value=value,
                fallback=fallback,
                hops=hops,
                condition=cond,
                owner=frame.self_obj if isinstance(frame.self_obj, Obj) else None,
                conds=list(frame.conds),
            )
        )
        return Unknown(text=f"variable {name}")


def _derivation(v: Value) -> list[Hop]:
    """Hops of a value, oldest assignment last -> returned in use-to-origin order."""
    return list(v.hops)


def _concrete_shape(v: Value) -> list[int] | None:
    if isinstance(v, SeqV):
        out = []
        for i in v.items:
            if isinstance(i, Const) and isinstance(i.value, int) and not isinstance(i.value, bool):
                out.append(i.value)
            else:
                return None
        return out
    if isinstance(v, Const) and isinstance(v.value, int):
        return [v.value]
    return None


def to_initializer(
    p: Program, v: Value, shape: list[int] | None, where: tuple[str, int]
) -> Initializer:
    """Canonical Initializer (with numbers for ``shape``) from an abstract value."""
    if isinstance(v, InitV):
        params = dict(v.params)
        ini = Initializer(kind=v.kind, params=params)
        if v.truncation is not None and ini.kind in (
            "glorot_normal",
            "he_normal",
            "lecun_normal",
            "variance_scaling",
        ):
            ini.params["truncation"] = v.truncation
        vocab.with_numbers(ini, shape)
        ini.params.pop("truncation", None) if v.truncation is None else None
        return ini
    if isinstance(v, Composite):
        parts = []
        for sub, a, b in v.parts:
            sub_shape = [*shape[:-1], b - a] if shape else None
            parts.append(
                {"initializer": to_initializer(p, sub, sub_shape, where), "start": a, "stop": b}
            )
        return Initializer(kind="composite", params={"parts": parts})
    if isinstance(v, FuncV) and v.closure is not None:
        shape_v = SeqV(items=[Const(value=d) for d in (shape or [])])
        try:
            r = p.call(v, [shape_v], {}, None)
        except Fixed:
            r = Unknown()
        if isinstance(r, Composite | InitV):
            return to_initializer(p, r, shape, where)
        if isinstance(r, Applied):
            return to_initializer(p, r.init, shape, where)
        return _unresolved(
            f"nested initializer function {v.name}",
            v.mod.path if v.mod else where[0],
            getattr(v.node, "lineno", where[1]),
        )
    if isinstance(v, Applied):
        return to_initializer(p, v.init, shape, where)
    if isinstance(v, ClassV) and p.is_initializer_class(v):
        inst = p.instantiate(v, [], {}, None)
        if isinstance(inst, InitV):
            return to_initializer(p, inst, shape, where)
    if isinstance(v, Unknown):
        return _unresolved(v.text or "unknown expression", v.path or where[0], v.line or where[1])
    return _unresolved(_describe(v), where[0], where[1])


def _unresolved(expr: str, path: str, line: int) -> Initializer:
    return Initializer(kind="unresolved", params={"expression": expr, "path": path, "line": line})


def build_layer(
    p: Program,
    cls: ClassV,
    kwargs: dict[str, Any],
    dims: Any,
    input_shape: list[int | None],
) -> tuple[Obj, list[Captured], dict[str, Value]]:
    """Construct ``cls`` abstractly and run its build; return the instance and captured weights."""
    collector = WeightCollector(p, set())
    p.call_hook = collector
    ctor = p.member_value(cls, "__init__", None)
    req = required_args(dims)
    call_kwargs: dict[str, Value] = {k: _const(v) for k, v in kwargs.items()}
    if isinstance(ctor, FuncV) and ctor.node is not None and not isinstance(ctor.node, ast.Lambda):
        a = ctor.node.args
        pos = [x.arg for x in [*a.posonlyargs, *a.args]][1:]
        ndef = len(a.defaults)
        required = pos[: len(pos) - ndef] if ndef else pos
        for name in required:
            if name not in call_kwargs and name in req:
                call_kwargs[name] = _const(req[name])
    collector.active = False
    obj = p.instantiate(cls, [], call_kwargs, None)
    if isinstance(obj, Obj):
        p.force(obj)
    collector.active = True
    if not isinstance(obj, Obj):
        return Obj(cls=cls), [], call_kwargs
    collector.top = obj
    if len(input_shape) == 3:
        collector.step_shape = [input_shape[0], input_shape[2]]
    build = p.getattr(obj, "build", None, None)
    shape_v = SeqV(items=[Const(value=d) for d in input_shape], kind="tuple")
    if isinstance(build, FuncV):
        p.call(build, [shape_v], {}, None)
    # sub-layers (an RNN's cell) whose build was not reached: build them on the step input
    built = {id(c.owner) for c in collector.captured}
    for attr, sub in list(obj.attrs.items()):
        if isinstance(sub, Obj) and attr in ("cell", "_cell"):
            p.force(sub)
        if isinstance(sub, Obj) and id(sub) not in built and attr in ("cell", "_cell"):
            sb = p.getattr(sub, "build", None, None)
            if isinstance(sb, FuncV):
                step = [input_shape[0], *input_shape[2:]]
                p.call(sb, [SeqV(items=[Const(value=d) for d in step], kind="tuple")], {}, None)
    p.call_hook = None
    return obj, collector.captured, call_kwargs


def _const(v: Any) -> Value:
    if isinstance(v, tuple | list):
        return SeqV(items=[_const(i) for i in v])
    if isinstance(v, dict):
        return DictV(items={k: _const(i) for k, i in v.items()})
    return Const(value=v)


def _same_weight(a: Weight, b: Weight) -> bool:
    return (a.name, a.shape, a.initializer, a.fallback) == (
        b.name,
        b.shape,
        b.initializer,
        b.fallback,
    )


def _joined_condition(a: list[str], b: list[str]) -> str | None:
    """Both arms of an undecidable ``if`` made this weight: drop the ``X``/``not (X)`` pair."""
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    ra, rb = a[n:], b[n:]
    if len(ra) == 1 and len(rb) == 1 and (rb[0] == f"not ({ra[0]})" or ra[0] == f"not ({rb[0]})"):
        return " and ".join(a[:n]) or None
    return " and ".join(a) or None


def to_weights(p: Program, captured: list[Captured]) -> list[Weight]:
    weights = _to_weights(p, captured)
    out: list[Weight] = []
    conds: list[list[str]] = []
    for w, c in zip(weights, captured, strict=True):
        prev = next((i for i, o in enumerate(out) if _same_weight(o, w)), None)
        if prev is not None:
            out[prev].condition = _joined_condition(conds[prev], c.conds)
            continue
        out.append(w)
        conds.append(c.conds)
    return out


def _to_weights(p: Program, captured: list[Captured]) -> list[Weight]:
    out = []
    for c in captured:
        where = (c.hops[0].path, c.hops[0].line) if c.hops else ("", 0)
        ini = to_initializer(p, c.init_value, c.shape, where)
        hops = list(c.hops)
        if isinstance(c.init_value, FuncV) and c.init_value.closure is not None:
            hops.extend(_closure_hops(p, c.init_value, c.shape))
        if isinstance(c.init_value, ClassV) and p.is_initializer_class(c.init_value):
            inst = p.instantiate(c.init_value, [], {}, None)
            for h in inst.hops:  # the class itself was passed: it is called with its defaults
                hops.append(
                    Hop(h.package, h.path, h.line, h.code, f"class passed uninstantiated; {h.note}")
                )
        out.append(
            Weight(
                name=c.name,
                shape=c.shape,
                shape_expr=c.shape_expr,
                initializer=ini,
                fallback=c.fallback,
                provenance=_dedupe(hops),
                condition=c.condition,
            )
        )
    return out


def _closure_hops(p: Program, f: FuncV, shape: list[int] | None) -> list[Hop]:
    """A nested initializer function: its def line, what it returns, and each part's origin."""
    if f.mod is None or f.node is None:
        return []
    out = [f.mod.hop(f.node.lineno, f"nested initializer function {f.name} builds the value")]
    try:
        r = p.call(f, [SeqV(items=[Const(value=d) for d in (shape or [])])], {}, None)
    except Fixed:
        return out
    out.extend(r.hops)
    if isinstance(r, Composite):
        for sub, a, b in r.parts:
            for h in sub.hops:
                out.append(Hop(h.package, h.path, h.line, h.code, f"[{a}:{b}] {h.note}"))
    return out


def _dedupe(hops: list[Hop]) -> list[Hop]:
    seen: set[tuple[str, int, str]] = set()
    out = []
    for h in hops:
        key = (h.path, h.line, h.note)
        if key in seen or not h.path:
            continue
        seen.add(key)
        out.append(h)
    return out
