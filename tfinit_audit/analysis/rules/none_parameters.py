"""Initializer parameters left None are decided where ``__call__`` uses them."""

from __future__ import annotations

import ast
import contextlib
from typing import Any

from tfinit_audit.analysis.engine.hooks import CallSite, Rule
from tfinit_audit.analysis.engine.values import (
    ClassV,
    Const,
    FunctionV,
    Instance,
    Seq,
    Unknown,
    Value,
)
from tfinit_audit.analysis.model import Hop
from tfinit_audit.analysis.rules import vocabulary as vocab
from tfinit_audit.analysis.rules.none_fallback import Fixed, ParamWatch


def none_params_through_call(it: Any, cls: ClassV, kind: str, params: dict[str, Any],
                             args: list[Value], kwargs: dict[str, Value]) -> list[Hop]:
    """Effective value of parameters the constructor leaves ``None``.

    ``RandomUniform(minval=0, maxval=None)`` (TF 1.x ``init_ops``) does not mean an unbounded
    range: its ``__call__`` hands ``self.maxval`` to a function whose body decides what None
    means (``random_ops.random_uniform``: ``if maxval is None: maxval = 1``). The object is
    built, ``__call__`` is run, and at each call that passes a None attribute the callee is run
    with that parameter followed until a line assigns it a constant. ``params`` is updated in
    place; returns the hops.
    """
    nones = [k for k in vocab.PARAMS.get(kind, ()) if k in params and params[k] is None]
    found = it.member(cls, "__call__") if nones else None
    if found is None or not isinstance(found[1], FunctionV):
        return []
    call_fn = found[1]
    node = call_fn.node
    if not isinstance(node, ast.FunctionDef):
        return []
    obj = Instance(cls=cls, pending=(args, kwargs, None))
    with it.hooks(replace=True):
        it.force(obj)
    attrs: dict[str, str] = {}  # attribute holding None -> constructor parameter
    for p in nones:
        for a in (p, "_" + p):
            v = obj.attrs.get(a)
            if isinstance(v, Const) and v.value is None:
                attrs[a] = p
                break
    sites = {
        id(c) for c in ast.walk(node) if isinstance(c, ast.Call) and any(
            isinstance(x, ast.Attribute) and isinstance(x.value, ast.Name)
            and x.value.id == "self" and x.attr in attrs
            for x in [*c.args, *(k.value for k in c.keywords)])
    }
    if not sites:
        return []
    follower = _NoneAttributeFollower(obj, attrs, sites, params)
    with it.hooks(follower, replace=True), contextlib.suppress(Fixed):
        it.call(call_fn.with_receiver(obj), [Seq(items=[Unknown(text="shape")])], {})
    return follower.out


class _NoneAttributeFollower(Rule):
    """At a call in ``__call__`` that passes ``self.<attr>`` (None), follow that parameter
    into the callee."""

    name = "none-attribute-follower"

    def __init__(self, obj: Instance, attrs: dict[str, str], sites: set[int],
                 params: dict[str, Any]) -> None:
        self.obj, self.attrs, self.sites, self.params = obj, attrs, sites, params
        self.out: list[Hop] = []
        self.done: set[str] = set()

    def call_site(self, it: Any, site: CallSite) -> Value | None:
        f, e, frame = site.callee, site.node, site.frame
        if id(e) not in self.sites or not isinstance(f, FunctionV) or f.node is None:
            return None
        bound = it.bind(f, site.args, site.kwargs)
        if bound is None:
            return None
        for a, p in self.attrs.items():
            if p in self.done:
                continue
            held = self.obj.attrs.get(a)
            q = next((k for k, v in bound.items() if v is held), None)
            if q is None:
                continue
            line = next((x.lineno for x in [*e.args, *(k.value for k in e.keywords)]
                         if isinstance(x, ast.Attribute) and x.attr == a), e.lineno)
            hop = frame.hop(line, f"{frame.func_name} passes self.{a} = None as {f.name}({q}=...)")
            try:
                it.call(f, site.args, site.kwargs, (frame, e), watch=ParamWatch(q))
            except Fixed as fx:
                if isinstance(fx.value, Const) and fx.value.value is not None:
                    self.params[p] = fx.value.value
                    self.out.extend([hop, *fx.hops])
            self.done.add(p)
        return Unknown(text=it.unparse(e))
