"""Initial values built from initializers by elementwise TensorFlow ops: the ``expression`` kind.

Some layers compute a weight's initial value in a nested initializer function instead of
naming an initializer: TF 1.x ``tf.contrib`` ``GDN.build`` (``contrib/layers/python/layers/
layers.py``) returns ``math_ops.sqrt(array_ops.ones(shape, dtype=dtype) + pedestal)`` for its
beta and ``math_ops.sqrt(self._gamma_init * linalg_ops.eye(shape[0], dtype=dtype) +
pedestal)`` for its gamma; ``contrib/rnn`` ``_random_exp_initializer`` returns
``math_ops.exp(random_ops.random_uniform(shape, math_ops.log(minval), math_ops.log(maxval),
...))``; ``PhasedLSTMCell.call`` draws its ``phase`` from
``init_ops.random_uniform_initializer(0., period.initial_value)`` -- up to another weight's
initial value. This rule evaluates such code as TensorFlow defines the ops:

* ``array_ops.ones``/``zeros`` of a known shape are the ``ones``/``zeros`` initializer on that
  shape, ``linalg_ops.eye(n)`` the ``identity`` initializer (gain 1) on ``[n, n]``, an
  initializer called on a shape (``Applied``, rules/composite.py) or a random op drawn on one
  (rules/random_ops.py) that initializer, a variable's ``initial_value`` that weight's initial
  value (a reference to it by name), ``constant(number)`` the number;
* the elementwise ops ``add``/``subtract``/``multiply``/``divide`` (also written ``+ - * /``)
  and ``sqrt``/``square``/``exp``/``log``/``negative``/``abs`` of those (TensorFlow's math
  ops, called through ``math_ops``, ``gen_math_ops``, ``tf.math`` ...) are an expression of
  them; ops of plain numbers are the number (``math_ops.log(1000.0)``);
* constants fold: an op whose operands are all constant-valued (``zeros``, ``ones``,
  ``constant`` of a number, numbers) is the ``constant`` initializer of the computed value;
  ``number * identity(gain)`` is ``identity(gain * number)``.

What does not fold stays an expression tree (report kind ``expression``: ``tree`` of ``{op,
args}`` nodes whose leaves are initializers of the vocabulary, numbers and weight
references, docs/report-json.md). Any other op, or an operand whose values are not known, is
left to the source (the weight stays ``unresolved`` with its expression).
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from typing import Any

from tfinit_audit.analysis.engine.arrays import ArrayV
from tfinit_audit.analysis.engine.hooks import CallSite, Rule
from tfinit_audit.analysis.engine.values import Const, FunctionV, Seq, Value
from tfinit_audit.analysis.model import Initializer
from tfinit_audit.analysis.rules import vocabulary as vocab
from tfinit_audit.analysis.rules.elementwise import _CONSTANT_VALUE
from tfinit_audit.analysis.rules.elementwise import _OPS as _ELEMENTWISE_CONSTANT_OPS
from tfinit_audit.analysis.rules.tensors import is_number, tf_op_name
from tfinit_audit.analysis.rules.values import Applied, ExprV, InitV, TensorV

UNARY: dict[str, Callable[[float], float]] = {
    "sqrt": math.sqrt,
    "square": lambda x: x * x,
    "exp": math.exp,
    "log": math.log,
    "negative": lambda x: -x,
    "abs": abs,
}
BINARY: dict[str, Callable[[float, float], float]] = {
    "add": lambda x, y: x + y,
    "subtract": lambda x, y: x - y,
    "multiply": lambda x, y: x * y,
    "divide": lambda x, y: x / y,
}
# the names TensorFlow's modules spell them with -> the op
_NAMES = {**{k: k for k in (*UNARY, *BINARY)}, "sub": "subtract", "mul": "multiply",
          "truediv": "divide", "realdiv": "divide", "neg": "negative"}
_BINOPS: dict[type, str] = {ast.Add: "add", ast.Sub: "subtract", ast.Mult: "multiply",
                            ast.Div: "divide"}
_SYMBOL = {"add": "+", "subtract": "-", "multiply": "*", "divide": "/"}


def known(v: Value) -> Value | None:
    """``v`` as an operand of an expression: a number (``Const``), a tensor of known values
    (``ExprV``; an applied initializer becomes one); None when its values are not known."""
    if is_number(v) or isinstance(v, ExprV):
        return v
    if isinstance(v, ArrayV) and v.data is not None:  # a numpy array of known values
        return ExprV(shape=[int(d) for d in v.data.shape], leaf=v, text=v.describe(),
                     hops=v.hops)
    if isinstance(v, Applied) and isinstance(v.init, InitV) and v.shape is not None \
            and all(isinstance(d, int) for d in v.shape):
        return ExprV(shape=list(v.shape), leaf=v.init, hops=v.hops)
    return None


def _constant_of(v: Value) -> float | None:
    """The one value a constant-valued operand has everywhere (None: not constant)."""
    if is_number(v):
        assert isinstance(v, Const)
        return float(v.value)
    if isinstance(v, ExprV) and isinstance(v.leaf, InitV):
        if v.leaf.kind in _CONSTANT_VALUE:
            return _CONSTANT_VALUE[v.leaf.kind]
        value = v.leaf.params.get("value")
        if v.leaf.kind == "constant" and isinstance(value, int | float) \
                and not isinstance(value, bool):
            return float(value)
    return None


def _shape_of(args: list[Value]) -> list[int | None] | None:
    """The broadcast shape of the operands (numbers are scalars); None when they do not
    broadcast."""
    shapes = [list(a.shape) if isinstance(a, TensorV) else [] for a in args]
    n = max(len(s) for s in shapes)
    out: list[int | None] = [1] * n
    for s in shapes:
        for i, d in enumerate([1] * (n - len(s)) + s):
            if d == 1 or d == out[i]:
                continue
            if out[i] != 1:
                return None
            out[i] = d
    return out


def make(op: str, args: list[Value], text: str = "", hops: tuple[Any, ...] = ()) -> Value | None:
    """``op`` of the operands ``args`` (each ``known``), folded where it can be: numbers give
    a number, constant-valued operands a ``constant`` initializer, ``number * identity`` an
    identity of that gain; None when the operands do not broadcast or the op is undefined
    for them (``log`` of a non-positive constant: not a real initial value)."""
    fn: Callable[..., float] = UNARY[op] if op in UNARY else BINARY[op]
    all_hops = (*hops, *(h for a in args for h in a.hops))
    values = [_constant_of(a) for a in args]
    if all(v is not None for v in values):
        try:
            out = float(fn(*values))
        except (ValueError, ZeroDivisionError, OverflowError):
            return None
        if all(is_number(a) for a in args):
            return Const(value=out, hops=all_hops)
        shape = _shape_of(args)
        if shape is None:
            return None
        leaves = [a for a in args if isinstance(a, ExprV)]
        kind = leaves[0].leaf.kind if len(leaves) == 1 else "constant"
        init = InitV(kind=kind, params=dict(leaves[0].leaf.params), hops=leaves[0].leaf.hops) \
            if kind in _CONSTANT_VALUE and out == _CONSTANT_VALUE[kind] else \
            InitV(kind="constant", params={"value": out}, hops=all_hops)
        return ExprV(shape=shape, leaf=init, text=text, hops=all_hops)
    shape = _shape_of(args)
    if shape is None:
        return None
    if op in ("multiply", "divide"):
        scaled = _scaled_identity(op, args)
        if scaled is not None:
            return ExprV(shape=shape, leaf=scaled, text=text, hops=all_hops)
    return ExprV(shape=shape, op=op, args=list(args), text=text, hops=all_hops)


def _scaled_identity(op: str, args: list[Value]) -> InitV | None:
    """``number * identity(gain)``, ``identity(gain) * number``, ``identity(gain) / number``:
    an identity of the scaled gain."""
    a, b = args
    ident, num = (b, a) if op == "multiply" and is_number(a) else (a, b)
    if not (is_number(num) and isinstance(ident, ExprV) and isinstance(ident.leaf, InitV)
            and ident.leaf.kind == "identity"):
        return None
    assert isinstance(num, Const)
    gain = ident.leaf.params.get("gain", 1.0)
    if not isinstance(gain, int | float) or (op == "divide" and num.value == 0):
        return None
    g = float(gain) * float(num.value) if op == "multiply" else float(gain) / float(num.value)
    return InitV(kind="identity", params={"gain": g}, hops=ident.leaf.hops)


class ExpressionRule(Rule):
    """Elementwise ops of initializers and their folding (see module doc)."""

    name = "expressions"

    def call_site(self, it: Any, site: CallSite) -> Value | None:
        f = site.callee
        name = tf_op_name(f)
        if name is None or not isinstance(f, FunctionV):
            return None
        if name in ("ones", "zeros", "eye", "constant"):
            return _made(it, site, name)
        op = _NAMES.get(name)
        if op is None:
            return None
        env = it.bind(f, site.args, site.kwargs)
        if env is None:
            return None
        params = [p for p in env if p != "name"]
        operands = [env[p] for p in params[:1 if op in UNARY else 2]]
        if op in _ELEMENTWISE_CONSTANT_OPS and len(operands) == 1 \
                and isinstance(operands[0], Applied):
            return None  # rules/elementwise.py decides it, with its own provenance
        args = [known(a) for a in operands]
        if len(args) != (1 if op in UNARY else 2) or any(a is None for a in args):
            return None
        text = it.unparse(site.node)
        hop = site.frame.hop(site.node.lineno, f"{site.frame.func_name}: {text}")
        return make(op, [a for a in args if a is not None], text, (hop,))

    def binop(self, it: Any, op: Any, left: Value, right: Value) -> Value | None:
        name = _BINOPS.get(type(op))
        if name is None or not (isinstance(left, ExprV | Applied)
                                or isinstance(right, ExprV | Applied)):
            return None
        a, b = known(left), known(right)
        if a is None or b is None:
            return None
        return make(name, [a, b], f"{_text(a)} {_SYMBOL[name]} {_text(b)}")

    def traced(self, it: Any, value: Value, event: str) -> bool:
        """A numpy array of known values (a mask) keeps the lines that made it."""
        return isinstance(value, ArrayV) and value.data is not None

    def attr(self, it: Any, obj: Value, attr: str) -> Value | None:
        """A created variable's ``initial_value``: that weight's initial value."""
        if attr != "initial_value" or not isinstance(obj, TensorV) or obj.variable is None:
            return None
        return ExprV(shape=list(obj.shape), dtype=obj.dtype, leaf=obj.variable,
                     text=f"{getattr(obj.variable, 'name', '?')}.initial_value")


def _text(v: Value) -> str:
    if isinstance(v, ExprV) and v.text:
        return v.text
    return v.describe()


def _made(it: Any, site: CallSite, name: str) -> Value | None:
    """``ones(shape)``/``zeros(shape)`` of a known shape, ``eye(n)`` (no ``num_columns`` nor
    ``batch_shape``), ``constant(number)`` (no ``shape``)."""
    env = it.bind(site.callee, site.args, site.kwargs)
    if env is None:
        return None
    text = it.unparse(site.node)
    hop = site.frame.hop(site.node.lineno, f"{site.frame.func_name}: {text}")
    if name == "constant":
        value, shape = env.get("value"), env.get("shape", Const(value=None))
        if is_number(value) and isinstance(shape, Const) and shape.value is None:
            assert isinstance(value, Const)
            return Const(value=value.value, hops=(hop,))
        return None
    if name == "eye":
        n = env.get("num_rows")
        rest = [env.get(p, Const(value=None)) for p in ("num_columns", "batch_shape")]
        if not (is_number(n) and isinstance(n, Const) and isinstance(n.value, int)) or any(
                not (isinstance(r, Const) and r.value is None) for r in rest):
            return None
        init = InitV(kind="identity", params={"gain": 1.0}, hops=(hop,))
        return ExprV(shape=[n.value, n.value], leaf=init, text=text, hops=(hop,))
    shape = env.get("shape")
    if not isinstance(shape, Seq) or not all(
            isinstance(d, Const) and isinstance(d.value, int) and not isinstance(d.value, bool)
            for d in shape.items):
        return None
    dims = [d.value for d in shape.items if isinstance(d, Const)]
    return ExprV(shape=dims, leaf=InitV(kind=name, params={}, hops=(hop,)), text=text,
                 hops=(hop,))


# ----------------------------------------------------------------------------- report
def has_expression_params(v: InitV) -> bool:
    """An initializer whose parameters are tensors of known values (``random_uniform(0.,
    period.initial_value)``)."""
    return any(isinstance(p, Value) for p in v.params.values())


def to_initializer(v: Value, shape: list[int] | None, text: str) -> Initializer | None:
    """The report's initializer for an expression value: a vocabulary initializer when it
    folded to one, else ``expression`` with the source ``text`` and the tree; None when
    ``v`` is no expression."""
    if isinstance(v, ExprV) and isinstance(v.leaf, InitV) and not has_expression_params(v.leaf):
        return leaf_initializer(v.leaf, shape if shape is not None else _ints(v.shape))
    if not isinstance(v, ExprV | InitV):
        return None
    if isinstance(v, InitV) and not has_expression_params(v):
        return None
    return Initializer(kind="expression", params={
        "expression": text or (v.text if isinstance(v, ExprV) else "") or v.describe(),
        "tree": tree(v, shape)})


def leaf_initializer(v: InitV, shape: list[int] | None,
                     fans: tuple[float, float] | None = None) -> Initializer:
    """The report's initializer for ``v`` on ``shape``; ``fans``: those the release's own
    code computes for the shape when they are not the usual ones (rules/fans.py)."""
    ini = Initializer(kind=v.kind, params=dict(v.params))
    if v.truncation is not None and ini.kind in ("glorot_normal", "he_normal", "lecun_normal",
                                                 "variance_scaling"):
        ini.params["truncation"] = v.truncation
    if fans is not None:
        ini.params["fans"] = [fans[0], fans[1]]
    return vocab.with_numbers(ini, shape)


def _ints(shape: list[int | None] | None) -> list[int] | None:
    if shape is None or not all(isinstance(d, int) for d in shape):
        return None
    return [d for d in shape if d is not None]


def tree(v: Value, shape: list[int] | None) -> Any:
    """The JSON tree of an expression: a number; ``{"initializer": {kind, params, limit,
    stddev}, "shape"}``; ``{"weight": name}``; ``{"array": nested lists}`` (a constant
    numpy array the source built, engine/arrays.py); ``{"op", "args"}`` (a distribution whose
    parameters are expressions: ``op`` its kind, ``args`` its parameters in the vocabulary's
    order, drawn on ``shape``)."""
    if isinstance(v, Const):
        return v.value
    if isinstance(v, InitV):
        if has_expression_params(v):
            return {"op": v.kind, "args": [tree(_param(v.params.get(p)), None)
                                           for p in vocab.PARAMS.get(v.kind, ())],
                    "shape": shape}
        ini = leaf_initializer(v, shape)
        return {"initializer": {"kind": ini.kind, "params": ini.params, "limit": ini.limit,
                                "stddev": ini.stddev}, "shape": shape}
    if isinstance(v, ExprV):
        if isinstance(v.leaf, ArrayV) and v.leaf.data is not None:
            return {"array": v.leaf.data.tolist()}
        if v.leaf is not None and not isinstance(v.leaf, InitV):
            return {"weight": getattr(v.leaf, "name", "?")}
        if v.leaf is not None:
            return tree(v.leaf, _ints(v.shape))
        return {"op": v.op, "args": [tree(a, _ints(a.shape) if isinstance(a, TensorV) else None)
                                     for a in v.args]}
    return None


def _param(p: Any) -> Value:
    return p if isinstance(p, Value) else Const(value=p)
