"""Weight creation: the calls that create a layer's variables, and what their initializer
values mean as canonical initializers with numbers for the weight's shape."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from tfinit_audit.analysis.engine.frames import Raised
from tfinit_audit.analysis.engine.hooks import CallSite, Rule
from tfinit_audit.analysis.engine.values import (
    ClassV,
    Const,
    FunctionV,
    Instance,
    Seq,
    Unknown,
    Value,
    from_value,
    is_plain,
)
from tfinit_audit.analysis.model import Hop, Initializer, Weight
from tfinit_audit.analysis.rules import expressions
from tfinit_audit.analysis.rules.custom_getters import Got, through_custom_getters
from tfinit_audit.analysis.rules.fans import release_fans
from tfinit_audit.analysis.rules.initializer_classes import (
    initializer_function,
    is_initializer_class,
)
from tfinit_audit.analysis.rules.inline_none import (
    inline_none_default,
    none_default_assignment,
)
from tfinit_audit.analysis.rules.none_fallback import (
    Fixed,
    arg_position,
    follow_none_initializer,
    initializer_arg,
    passed_arg,
    undecided,
)
from tfinit_audit.analysis.rules.values import (
    Applied,
    Composite,
    ExprV,
    InitV,
    ScopeV,
    TensorV,
)
from tfinit_audit.analysis.rules.variable_scopes import VariableScopes

CREATORS = ("add_weight", "add_variable", "get_variable")


@dataclass
class Captured:
    name: str
    shape: list[int] | None
    shape_expr: str
    init_value: Value
    fallback: bool
    hops: list[Hop]
    condition: str | None
    owner: Instance | None
    conds: list[str] = field(default_factory=list)
    init_text: str = ""  # the initializer argument as written in the creating call
    # the shape as declared, None for a dimension left open (``shape=(2, None)``); None when
    # not a sequence of numbers and Nones
    declared: list[int | None] | None = None


class WeightCollector(Rule):
    """Records the variables a layer's own code creates: calls of ``add_weight`` (Keras and
    tf.layers), ``add_variable`` (TF 1.x layers and cells) and ``get_variable`` (variable
    scopes) -- name, shape, the initializer passed and the conditions on the way. An
    initializer that is None is followed into the library (rules/none_fallback.py). A
    sub-layer (an RNN's cell) whose ``build`` is reached with a shape the evaluation could not
    compute is built on the per-step input shape. Added for one layer with
    ``Interpreter.hooks``."""

    name = "weight-collector"

    def __init__(self, scopes: VariableScopes | None = None) -> None:
        self.captured: list[Captured] = []
        self.active = True
        self.top: Instance | None = None
        self.step_shape: list[int | None] | None = None
        self.scopes = scopes  # variable scopes the layer's own code opens (call time)
        # the tests of None-means-default assignments made on the way (rules/inline_none.py)
        self.none_defaults: set[tuple[str, int, str]] = set()  # (path, line, note)

    def assigned(self, it: Any, frame: Any, name: str, value: Value,
                 stmt: Any) -> Value | None:
        """An initializer assigned because a tested value was None (``if x is None: x =
        default``) carries that choice to the weight it initializes."""
        chosen = none_default_assignment(it, frame, value, stmt)
        if chosen is None:
            return None
        self.none_defaults.add(_key(chosen[1]))
        return chosen[0]

    def call_site(self, it: Any, site: CallSite) -> Value | None:
        f, frame, args = site.callee, site.frame, site.args
        if (self.active and isinstance(f, FunctionV) and f.name == "build"
                and isinstance(f.bound, Instance) and f.bound is not self.top
                and self.step_shape is not None
                and (not args or not _feature_dims_known(args[0]))):
            step = Seq(items=[Const(value=d) for d in self.step_shape], kind="tuple")
            it.call(f, [step], {}, (frame, site.node))
            return Const(value=None)
        if not self.active or frame.watch is not None or not isinstance(f, FunctionV) \
                or f.name not in CREATORS:
            return None
        if frame.func_name in CREATORS or frame.func_name.startswith("_add_variable"):
            return None  # the library's own creator calling the next one down
        scope = self.scopes.current if self.scopes is not None else None
        name = self._name(site, scope)
        got = self._through_getters(it, site, f, scope, name)
        if got is not None:
            name = got.name
        if f.name == "get_variable":
            prev = next((p for p in self.captured if p.name == name
                         and p.conds == frame.conds[:len(p.conds)]), None)
            if prev is not None:
                # the name exists on this path: get_variable gives that variable back
                # (reuse=True or AUTO_REUSE; without, TF raises) -- a layer_norm(reuse=True)
                # after the layer made its gamma/beta creates nothing
                return _as_tensor(prev)
            if scope is not None and scope.reuse is True:
                raise Raised("ValueError", f"Variable {name} does not exist, and reuse=True "
                                           "only gets existing variables", frame.path,
                             site.node.lineno)
        c = self._capture(it, site, f, name, scope, got)
        self.captured.append(c)
        return _as_tensor(c)

    def _through_getters(self, it: Any, site: CallSite, f: FunctionV, scope: ScopeV | None,
                         name: str) -> Got | None:
        """The scope's custom getters run on the variable (rules/custom_getters.py), with
        the collector off: what they call is the library's, not the layer's."""
        if scope is None or not scope.getters:
            return None
        shape = passed_arg(f, site.args, site.kwargs, "shape", 1) or Unknown()
        init = initializer_arg(f, site.args, site.kwargs) or Const(value=None)
        self._following(False)
        try:
            return through_custom_getters(it, scope, name, shape, init)
        finally:
            self._following(True)

    @staticmethod
    def _name(site: CallSite, scope: ScopeV | None) -> str:
        """The created variable's name, under the variable scopes opened on the way."""
        e, f = site.node, site.callee
        name_v = passed_arg(f, site.args, site.kwargs, "name", 0) or Unknown()
        if isinstance(name_v, Const):
            name = str(name_v.value)
        else:
            name_node = _arg_node(f, e, "name", 0)
            name = ast.unparse(name_node if name_node is not None else e)
        if scope is not None and scope.path:
            name = "/".join([*scope.path, name])
        return name

    def _capture(self, it: Any, site: CallSite, f: FunctionV, name: str,
                 scope: ScopeV | None, got: Got | None = None) -> Captured:
        e, frame, args, kwargs = site.node, site.frame, site.args, site.kwargs
        shape_v = passed_arg(f, args, kwargs, "shape", 1) or Unknown()
        shape_node = _arg_node(f, e, "shape", 1)
        shape_expr = ast.unparse(shape_node) if shape_node is not None else ""
        if shape_node is None and not any(k.arg is None for k in e.keywords) \
                and not any(isinstance(a, ast.Starred) for a in e.args):
            # not passed: the creator's own default (Keras Metric.add_weight(shape=()))
            default = _default_of(it, f, "shape")
            if default is not None:
                shape_v, shape_expr = default
        init = initializer_arg(f, args, kwargs) or Const(value=None)
        init_node = next((k.value for k in e.keywords if k.arg == "initializer"), None)
        passed = ast.unparse(init_node) if init_node else "None (not passed)"
        hops = [frame.hop(e.lineno, f"{frame.func_name}: creates {name!r} with "
                                    f"initializer={passed}")]
        if scope is not None:
            hops.extend(scope.name_hops)
        if got is not None:
            hops.extend(got.hops)
            if got.init is not init:  # the custom getter hands the store another one
                init, init_node = got.init, None
        fallback = isinstance(init, Const) and init.value is None
        value: Value = init
        inline = None if fallback else inline_none_default(it, frame, init_node)
        if inline is not None:  # ``x if x is not None else default`` with x None
            fallback = True
            hops.extend(inline)
        elif not fallback and any(_key(h) in self.none_defaults for h in init.hops):
            fallback = True  # ``if x is None: x = default`` on the way (its hops are init's)
        elif fallback and scope is not None and scope.initializer is not None:
            value = scope.initializer  # the enclosing variable_scope's initializer
            hops.extend(init.hops)
            if scope.init_hop is not None:
                hops.append(scope.init_hop)
        elif undecided(init):  # None, or an identifier the creator looks up
            hops.extend(init.hops)
            self._following(False)
            try:
                value, more = follow_none_initializer(it, f, args, kwargs, (frame, e))
                hops.extend(more or [])
            finally:
                self._following(True)
        hops.extend(value.hops)
        return Captured(
            name=name, shape=concrete_shape(shape_v), shape_expr=shape_expr,
            init_value=value, fallback=fallback, hops=hops,
            condition=" and ".join(frame.conds) or None,
            owner=frame.self_obj if isinstance(frame.self_obj, Instance) else None,
            conds=list(frame.conds), init_text=ast.unparse(init_node) if init_node else "",
            declared=declared_shape(shape_v))


    def _following(self, done: bool) -> None:
        """Off while the library's own creator is followed (its calls are not the layer's)."""
        self.active = done
        if self.scopes is not None:
            self.scopes.active = done


def _default_of(it: Any, f: FunctionV, param: str) -> tuple[Value, str] | None:
    """The default of the creator's parameter ``param`` and its text."""
    found = it.parameter_default(f, param)
    if found is None:
        return None
    value, expr = found
    return value, f"{ast.unparse(expr)} ({f.name}'s default)"


def _as_tensor(c: Captured) -> Value:
    """The created variable, as the layer's code goes on to use it."""
    if c.shape is not None:
        return TensorV(shape=list(c.shape), variable=c)
    return Unknown(text=f"variable {c.name}")


def _feature_dims_known(v: Value) -> bool:
    """A shape whose dimensions after the batch one are known numbers (the batch may be
    None): a sub-layer built on it was given a computed shape."""
    return isinstance(v, Seq) and bool(v.items) and concrete_shape(
        Seq(items=v.items[1:])) is not None


def declared_shape(v: Value) -> list[int | None] | None:
    """A shape as written, with None for each dimension left open (``(2, None)``)."""
    if not isinstance(v, Seq):
        return None
    out: list[int | None] = []
    for i in v.items:
        if not isinstance(i, Const) or isinstance(i.value, bool) \
                or not (i.value is None or isinstance(i.value, int)):
            return None
        out.append(i.value)
    return out


def concrete_shape(v: Value) -> list[int] | None:
    """A shape as written with every dimension known (one number: a shape of one)."""
    if isinstance(v, Const) and isinstance(v.value, int):
        return [v.value]
    declared = declared_shape(v)
    if declared is None or None in declared:
        return None
    return [d for d in declared if d is not None]


# ----------------------------------------------------------------------------- conversion
def to_weights(it: Any, captured: list[Captured]) -> list[Weight]:
    """Captured creations -> Weights; a weight made on both arms of an undecidable ``if``
    is reported once, without that condition."""
    out: list[Weight] = []
    conds: list[list[str]] = []
    for c in captured:
        w = _to_weight(it, c)
        prev = next((i for i, o in enumerate(out) if _same_weight(o, w)), None)
        if prev is not None:
            out[prev].condition = _joined_condition(conds[prev], c.conds)
            continue
        out.append(w)
        conds.append(c.conds)
    return out


def _to_weight(it: Any, c: Captured) -> Weight:
    where = (c.hops[0].path, c.hops[0].line) if c.hops else ("", 0)
    ini = to_initializer(it, c.init_value, c.shape, where, c.init_text)
    hops = list(c.hops)
    v = c.init_value
    if isinstance(v, FunctionV) and v.closure is not None:
        hops.extend(_closure_hops(it, v, c.shape))
    if isinstance(v, ClassV) and is_initializer_class(it, v):
        inst = it.instantiate(v, [], {}, None)
        for h in inst.hops:  # the class itself was passed: it is called with its defaults
            hops.append(Hop(h.package, h.path, h.line, h.code,
                            f"class passed uninstantiated; {h.note}"))
    as_function = initializer_function(it, v)
    if as_function is not None:
        hops.extend(as_function.hops)
    if isinstance(v, InitV) and "fans" in ini.params:
        fans = release_fans(it, v, c.shape)
        if fans is not None:
            hops.append(fans.hop)
    shape = c.shape
    if shape is None and ini.kind == "constant":
        shape = open_shape(c.declared, ini.params.get("value"))
        if shape is not None and hops:
            hops.append(Hop(hops[0].package, hops[0].path, hops[0].line, hops[0].code,
                            f"shape {c.shape_expr} leaves a dimension open: the variable "
                            f"starts as its initial value, of shape {tuple(shape)}"))
    return Weight(name=c.name, shape=shape, shape_expr=c.shape_expr, initializer=ini,
                  fallback=c.fallback, provenance=_dedupe(hops), condition=c.condition)


def open_shape(declared: list[int | None] | None, value: Any) -> list[int] | None:
    """A variable declared with a dimension left open (Keras 2 ``Discretization``'s
    ``summary``: ``shape=(2, None)``) and made from a literal initial value (``[[], []]``):
    it is created with that value (``tf.Variable(initial_value, shape=TensorShape([2,
    None]))``), so its shape as created is the value's -- (2, 0) -- when the value is a
    rectangular nested list of the declared rank agreeing with every dimension given. None
    otherwise (the shape stays unknown)."""
    if declared is None or None not in declared or not isinstance(value, list | tuple):
        return None
    dims: list[int] = []
    level: list[Any] = [value]
    for _ in declared:
        if not all(isinstance(x, list | tuple) for x in level):
            return None
        sizes = {len(x) for x in level}
        if len(sizes) != 1:
            return None
        dims.append(sizes.pop())
        level = [y for x in level for y in x]
    if any(isinstance(x, list | tuple) for x in level) or any(
            d is not None and d != got for d, got in zip(declared, dims, strict=True)):
        return None  # deeper than declared, or a given dimension differs
    return dims


def to_initializer(it: Any, v: Value, shape: list[int] | None,
                   where: tuple[str, int], text: str = "") -> Initializer:
    """Canonical Initializer (with numbers for ``shape``) from an abstract value (``text``:
    the initializer as written where the weight is created)."""
    expression = expressions.to_initializer(v, shape, text)
    if expression is not None:
        return expression
    if isinstance(v, InitV):
        fans = release_fans(it, v, shape)
        return expressions.leaf_initializer(
            v, shape, (fans.fan_in, fans.fan_out) if fans is not None else None)
    if isinstance(v, Composite):
        parts = []
        for sub, a, b in v.parts:
            sub_shape = [*shape[:-1], b - a] if shape else None
            parts.append({"initializer": to_initializer(it, sub, sub_shape, where),
                          "start": a, "stop": b})
        return Initializer(kind="composite", params={"parts": parts})
    if isinstance(v, FunctionV) and v.closure is not None:
        r = _call_nested(it, v, shape)
        if isinstance(r, ExprV):
            return to_initializer(it, r, shape, where, _return_text(v) or r.text)
        if isinstance(r, Composite | InitV):
            return to_initializer(it, r, shape, where)
        if isinstance(r, Applied):
            return to_initializer(it, r.init, shape, where)
        literal = literal_value(r)
        if literal is not None:
            return Initializer(kind="constant", params={"value": literal})
        return _unresolved(f"nested initializer function {v.name}", v.src.path,
                           getattr(v.node, "lineno", where[1]))
    if isinstance(v, Applied):
        return to_initializer(it, v.init, shape, where)
    if isinstance(v, ClassV) and is_initializer_class(it, v):
        inst = it.instantiate(v, [], {}, None)
        if isinstance(inst, InitV):
            return to_initializer(it, inst, shape, where)
    as_function = initializer_function(it, v)
    if as_function is not None:
        return to_initializer(it, as_function, shape, where)
    if isinstance(v, Unknown):
        return _unresolved(v.text or "unknown expression", v.path or where[0],
                           v.line or where[1])
    return _unresolved(v.describe(), where[0], where[1])


def _return_text(f: FunctionV) -> str:
    """The expression the function's first ``return`` returns, as written."""
    node = f.node
    for n in ast.walk(node) if node is not None else ():
        if isinstance(n, ast.Return) and n.value is not None:
            return ast.unparse(n.value)
    return ""


def _call_nested(it: Any, f: FunctionV, shape: list[int] | None) -> Value:
    """Call an initializer function as Keras' ``add_weight`` does: ``f(shape, dtype=...)``
    (the dtype only when the function takes one)."""
    node = f.node
    names = {a.arg for a in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]} \
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) else set()
    kwargs: dict[str, Value] = {"dtype": Const(value="float32")} if "dtype" in names else {}
    try:
        return it.call(f, [Seq(items=[Const(value=d) for d in (shape or [])])], kwargs)
    except Fixed:
        return Unknown()


def literal_value(v: Value) -> Any:
    """An initializer function that returns a plain literal -- numbers, or lists of them,
    whatever shape it is asked for (Keras 2 ``Discretization``'s ``summary``: ``initializer=
    lambda shape, dtype: [[], []]``, an empty state that ``adapt`` fills) -- is a constant
    initializer of that value: the variable starts as that literal (``tf.Variable`` of the
    value the initializer returns, ``base_layer_utils.make_variable``). The value as Python
    data; None for anything else."""
    if isinstance(v, Const) and isinstance(v.value, int | float) and not isinstance(v.value,
                                                                                    bool):
        return v.value
    if isinstance(v, Seq) and v.kind in ("list", "tuple") and is_plain(v):
        def number_lists(x: Any) -> bool:
            return (isinstance(x, list | tuple) and all(number_lists(i) for i in x)) or (
                isinstance(x, int | float) and not isinstance(x, bool))
        data = from_value(v)
        return [*data] if number_lists(data) else None
    return None


def _unresolved(expr: str, path: str, line: int) -> Initializer:
    return Initializer(kind="unresolved", params={"expression": expr, "path": path, "line": line})


def _closure_hops(it: Any, f: FunctionV, shape: list[int] | None) -> list[Hop]:
    """A nested initializer function: its def line, what it returns, and each part's origin."""
    node = f.node
    if node is None:
        return []
    out = [f.src.hop(node.lineno, f"nested initializer function {f.name} builds the value")]
    try:
        r = it.call(f, [Seq(items=[Const(value=d) for d in (shape or [])])], {})
    except Fixed:
        return out
    out.extend(r.hops)
    if isinstance(r, Composite):
        for sub, a, b in r.parts:
            for h in sub.hops:
                out.append(Hop(h.package, h.path, h.line, h.code, f"[{a}:{b}] {h.note}"))
    return out


def _same_weight(a: Weight, b: Weight) -> bool:
    return (a.name, a.shape, a.initializer, a.fallback) == (b.name, b.shape, b.initializer,
                                                            b.fallback)


def _joined_condition(a: list[str], b: list[str]) -> str | None:
    """Both arms of an undecidable ``if`` made this weight: drop the ``X``/``not (X)`` pair."""
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    ra, rb = a[n:], b[n:]
    if len(ra) == 1 and len(rb) == 1 and (rb[0] == f"not ({ra[0]})" or ra[0] == f"not ({rb[0]})"):
        return " and ".join(a[:n]) or None
    return " and ".join(a) or None


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


def _key(h: Hop) -> tuple[str, int, str]:
    """A hop as a set member (``Hop`` is mutable, so unhashable)."""
    return (h.path, h.line, h.note)


def _arg_node(f: Any, e: ast.Call, name: str, usual: int) -> ast.expr | None:
    """The expression a creator call writes for ``name``: by keyword, else at the position the
    creator's own signature gives it (``arg_position``; ``usual`` -- name 0, shape 1 -- when
    the signature is not known or takes ``*args``)."""
    node = next((k.value for k in e.keywords if k.arg == name), None)
    if node is not None:
        return node
    i = arg_position(f, name, usual)
    if i is None or i >= len(e.args) or any(isinstance(a, ast.Starred) for a in e.args[:i + 1]):
        return None
    return e.args[i]
