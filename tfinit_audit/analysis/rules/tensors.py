"""Tensors a layer is called on, and TensorFlow's structure helpers (``nest``)."""

from __future__ import annotations

import ast
from typing import Any

from tfinit_audit.analysis.engine.frames import Mode, Refused
from tfinit_audit.analysis.engine.hooks import CallSite, Rule
from tfinit_audit.analysis.engine.values import (
    BuiltinV,
    Const,
    DictV,
    FunctionV,
    Seq,
    Unknown,
    Value,
)
from tfinit_audit.analysis.rules.values import DType, TensorV


class TensorRule(Rule):
    """An input tensor of ``call`` knows its static shape and dtype (``tensorflow/python/
    framework/ops.py`` ``Tensor``): ``.get_shape()`` and ``.shape`` give the shape (a list,
    which ``TensorShapeRule`` reads: ``shape[1].value``, ``with_rank(2)``, ``as_list()``),
    ``.dtype`` the dtype; anything else about it is unknown (its values are)."""

    name = "tensor"

    def attr(self, it: Any, obj: Value, attr: str) -> Value | None:
        if not isinstance(obj, TensorV):
            return None
        if attr in ("shape", "_shape"):
            return shape_of(obj)
        if attr == "get_shape":
            return BuiltinV(name="Tensor.get_shape", fn=_returns(shape_of(obj)), bound=obj)
        if attr == "dtype":
            return DType(name=obj.dtype)
        return Unknown(text=f"tensor.{attr}")


def shape_of(t: TensorV) -> Seq:
    return Seq(items=[Const(value=d) for d in t.shape], kind="tuple")


def _returns(v: Value) -> Any:
    def call(it: Any, args: list[Value], kwargs: dict[str, Value], mode: Mode) -> Value:
        return v

    return call


# the predicates' C helpers (one is bound under another predicate's name)
_C_HELPERS = ("IsSequence", "IsNested", "IsSequenceOrComposite", "IsNestedOrComposite")


def _c_helper(written: str, name: str) -> bool:
    """``name`` is the C helper bound to the nest function written ``written``: a predicates'
    helper, or the written name in CamelCase (``flatten = _pywrap_tensorflow.Flatten``)."""
    return name in _C_HELPERS or name == "".join(p.title() for p in written.split("_"))


def _leaf(v: Value) -> bool:
    """An item ``nest.flatten`` keeps as it is: a tensor, or a number, string or None (a
    shape tuple's ``(None, 32)``); a nested structure is left to the source."""
    return isinstance(v, TensorV) or (isinstance(v, Const) and (
        v.value is None or isinstance(v.value, int | float | str)))


class NestRule(Rule):
    """``nest.is_sequence`` / ``is_nested`` / ``is_sequence_or_composite``
    (``tensorflow/python/util/nest.py``; in most releases a C helper bound to that name):
    true for lists, tuples and dicts, false for a tensor or a number -- so ``_linear(args)``
    sees its list of arguments as a list. ``nest.flatten`` of a tensor or a list of tensors is
    the list (Keras ``Layer.__call__`` flattens its inputs before it builds the layer on their
    shapes); ``nest.map_structure(func, *structures)`` applies ``func`` to the corresponding
    tensors of each. Recognised by the name the call is written with and a callee in a
    ``nest`` module or the C helper it is bound to (``_pywrap_tensorflow.IsSequence``; 1.12's
    ``flatten = _pywrap_tensorflow.Flatten``)."""

    name = "nest"

    _PREDICATES = ("is_sequence", "is_nested", "is_sequence_or_composite")
    _NAMES = frozenset((*_PREDICATES, "flatten", "map_structure"))  # asked of every call

    def call_site(self, it: Any, site: CallSite) -> Value | None:
        func = site.node.func
        name = func.attr if isinstance(func, ast.Attribute) else (
            func.id if isinstance(func, ast.Name) else "")
        if name not in self._NAMES or not site.args:
            return None
        f = site.callee
        if isinstance(f, FunctionV) and f.module.rsplit(".", 1)[-1] != "nest" \
                and not _c_helper(name, f.name):
            return None
        if not isinstance(f, FunctionV | BuiltinV | Unknown):
            return None
        a = site.args[0]
        if name == "map_structure":
            return _map_structure(it, site)
        if name == "flatten":
            if isinstance(a, TensorV):
                return Seq(items=[a])
            if isinstance(a, Seq) and a.kind != "shape" and all(_leaf(x) for x in a.items):
                return Seq(items=list(a.items))  # a flat list/tuple: its items, in order
            return None
        if isinstance(a, Seq) and a.kind == "shape":  # a TensorShape is not a structure
            return Const(value=False)
        if isinstance(a, Seq | DictV):
            return Const(value=True)
        if isinstance(a, TensorV) or (isinstance(a, Const)
                                      and not isinstance(a.value, str | bytes)):
            return Const(value=False)
        return None



def _map_structure(it: Any, site: CallSite) -> Value | None:
    """``nest.map_structure(func, *structures)`` over tensors, or over lists/tuples of tensors
    of one length and kind: ``func`` gets the corresponding tensors of each (ResidualWrapper's
    ``map_structure(assert_shape_match, inputs, outputs)``)."""
    if len(site.args) < 2 or site.kwargs:
        return None
    func, *structures = site.args
    where = (site.frame, site.node)
    if all(isinstance(s, TensorV) for s in structures):
        return it.call(func, list(structures), {}, where)
    first = structures[0]
    if not isinstance(first, Seq) or not all(
            isinstance(s, Seq) and s.kind == first.kind and len(s.items) == len(first.items)
            and all(isinstance(x, TensorV) for x in s.items) for s in structures):
        return None
    columns = zip(*(s.items for s in structures if isinstance(s, Seq)), strict=True)
    return Seq(items=[it.call(func, list(xs), {}, where) for xs in columns], kind=first.kind)


_UNARY = frozenset((
    "sigmoid", "tanh", "relu", "relu6", "elu", "selu", "softplus", "softsign", "exp", "log",
    "sqrt", "rsqrt", "square", "abs", "negative", "sign", "identity", "clip_by_value",
    "dropout", "hard_sigmoid", "leaky_relu", "gelu", "swish", "silu", "cast", "stop_gradient",
    "l2_normalize", "convert_to_tensor",
))
# normalizations that may create their own variables: run, then their result has the shape
_RUN_THEN_SHAPE = frozenset(("layer_norm", "batch_norm", "group_norm", "instance_norm"))
_BINARY = frozenset(("add", "subtract", "multiply", "divide", "truediv", "realdiv", "maximum",
                     "minimum", "mul", "sub", "div", "pow"))
_FIRST_ARG = ("x", "features", "value", "t", "a", "input", "inputs", "tensor")


class TensorOpsRule(Rule):
    """Static shapes through the TensorFlow ops a layer's call applies (their shape functions
    in ``tensorflow/core/ops``; called through ``math_ops``, ``nn_ops``, ``array_ops``...):
    element-wise ops and ``convert_to_tensor`` of a tensor keep the shape (broadcasting binary
    ones, also written as operators; two known static shapes that cannot broadcast -- sizes
    that differ, neither 1, on one axis -- are refused: TensorFlow's shape inference raises
    ``ValueError: Dimensions must be equal`` there when the graph is built, ``Refused``),
    ``matmul`` gives ``[rows of a, columns of b]`` (transposes honoured), ``einsum`` the
    output subscripts' sizes read off its operands (explicit ``->`` form), ``bias_add`` keeps
    the value's shape, ``concat`` adds up the axis, ``split`` divides it, ``slice`` takes the
    sizes given, ``zeros``/``ones`` make the shape asked; ``layer_norm`` and the other
    normalization functions (which may create variables: they are run) keep it. Recognised by
    the callee's name, for a function of TensorFlow or Keras itself; arguments are bound to the
    release's own signature (``concat(values, axis)`` in 1.x, ``concat(concat_dim, values)``
    in 0.x). So a cell's later ``_linear([inputs, r * state])`` knows its input width."""

    name = "tensor-ops"

    def call_site(self, it: Any, site: CallSite) -> Value | None:
        f = site.callee
        name = tf_op_name(f)
        if name is None:
            return None
        if name in _RUN_THEN_SHAPE:
            first = site.args[0] if site.args else next(
                (site.kwargs[p] for p in _FIRST_ARG if p in site.kwargs), None)
            if not isinstance(first, TensorV):
                return None
            out = it.call(f, site.args, site.kwargs, (site.frame, site.node))
            return out if isinstance(out, TensorV) else TensorV(shape=list(first.shape),
                                                                 dtype=first.dtype)
        if name == "einsum":
            return _einsum(site.args, site.kwargs)
        if name not in _UNARY and name not in _BINARY and name not in (
                "matmul", "bias_add", "concat", "split", "slice", "zeros", "ones"):
            return None
        env = it.bind(f, site.args, site.kwargs)
        if env is None:
            return None
        return _op_shape(name, env)

    def binop(self, it: Any, op: Any, left: Value, right: Value) -> Value | None:
        if not isinstance(left, TensorV) and not isinstance(right, TensorV):
            return None
        if isinstance(op, ast.MatMult):
            return _matmul(left, right, False, False)
        return _broadcast(left, right)


def tf_op_name(f: Value) -> str | None:
    """The op's name (leading underscores dropped) when ``f`` is a source function of
    TensorFlow or Keras itself; None for any other callee."""
    if not isinstance(f, FunctionV) or f.node is None or not _tf_ops_module(f.module):
        return None
    return f.name.lstrip("_")


def _tf_ops_module(module: str) -> bool:
    """A module of TensorFlow or Keras itself (where the layers' ops live)."""
    return module.split(".", 1)[0] in ("tensorflow", "tensorflow_core", "keras", "tf_keras")


def _op_shape(name: str, env: dict[str, Value]) -> Value | None:
    if name in _UNARY:
        first = next((env[p] for p in _FIRST_ARG if p in env), None)
        return _plain(first) if isinstance(first, TensorV) else None
    if name in _BINARY:
        return _broadcast(env.get("x", Unknown()), env.get("y", Unknown()))
    if name == "matmul":
        return _matmul(env.get("a", Unknown()), env.get("b", Unknown()),
                       _true(env.get("transpose_a")), _true(env.get("transpose_b")))
    if name == "bias_add":
        v = env.get("value")
        return _plain(v) if isinstance(v, TensorV) else None
    if name == "concat":
        return _concat(env)
    if name == "split":
        return _split(env)
    if name == "slice":
        return _slice(env)
    shape = env.get("shape")
    if isinstance(shape, Seq):
        dims = [d.value if isinstance(d, Const) and isinstance(d.value, int) else None
                for d in shape.items]
        return TensorV(shape=dims)
    return None


def _plain(t: TensorV) -> TensorV:
    """A new tensor of ``t``'s shape and dtype: an op's result is not its operand (whose
    values may be known, rules/expressions.py)."""
    return TensorV(shape=list(t.shape), dtype=t.dtype)


def _true(v: Value | None) -> bool:
    return isinstance(v, Const) and bool(v.value)


def _broadcast(a: Value, b: Value) -> Value | None:
    sa = a.shape if isinstance(a, TensorV) else ([] if is_number(a) else None)
    sb = b.shape if isinstance(b, TensorV) else ([] if is_number(b) else None)
    if sa is None or sb is None:
        return None
    n = max(len(sa), len(sb))
    pa, pb = [1] * (n - len(sa)) + list(sa), [1] * (n - len(sb)) + list(sb)
    out: list[int | None] = []
    for x, y in zip(pa, pb, strict=True):
        if x == 1:
            out.append(y)
        elif y == 1 or x == y:
            out.append(x)
        elif x is None or y is None:
            out.append(x if y is None else y)
        else:  # TensorFlow's shape inference refuses them (graph mode: a ValueError)
            raise Refused("ValueError", f"Dimensions must be equal, but are {x} and {y} "
                          f"with input shapes: {_dims(sa)}, {_dims(sb)}", (a, b))
    return TensorV(shape=out, dtype=a.dtype if isinstance(a, TensorV) else (
        b.dtype if isinstance(b, TensorV) else "float32"))


def _dims(shape: list[int | None]) -> str:
    """A static shape as TensorFlow writes it in its messages: ``[?,64]``."""
    return "[" + ",".join("?" if d is None else str(d) for d in shape) + "]"


def is_number(v: Value) -> bool:
    """A Python int or float (not a bool) the analysis knows."""
    return isinstance(v, Const) and isinstance(v.value, int | float) and not isinstance(
        v.value, bool)


def _matmul(a: Value, b: Value, ta: bool, tb: bool) -> Value | None:
    if not (isinstance(a, TensorV) and isinstance(b, TensorV)) or len(a.shape) != 2 \
            or len(b.shape) != 2:
        return None
    rows = a.shape[1] if ta else a.shape[0]
    cols = b.shape[0] if tb else b.shape[1]
    return TensorV(shape=[rows, cols], dtype=a.dtype)


def _axis(v: Value | None, rank: int) -> int | None:
    if isinstance(v, Const) and isinstance(v.value, int) and not isinstance(v.value, bool):
        return v.value + rank if v.value < 0 else v.value
    return None


def _concat(env: dict[str, Value]) -> Value | None:
    values = env.get("values")
    if not isinstance(values, Seq) or not values.items or not all(
            isinstance(t, TensorV) for t in values.items):
        return None
    ts = [t for t in values.items if isinstance(t, TensorV)]
    rank = len(ts[0].shape)
    axis = _axis(env.get("axis", env.get("concat_dim")), rank)
    if axis is None or not 0 <= axis < rank or any(len(t.shape) != rank for t in ts):
        return None
    out = list(ts[0].shape)
    dims = [t.shape[axis] for t in ts]
    out[axis] = None if any(d is None for d in dims) else sum(d for d in dims if d is not None)
    return TensorV(shape=out, dtype=ts[0].dtype)


def _split(env: dict[str, Value]) -> Value | None:
    v = env.get("value")
    num = env.get("num_or_size_splits", env.get("num_split"))
    if not isinstance(v, TensorV) or num is None or not is_number(num):
        return None
    assert isinstance(num, Const)
    rank = len(v.shape)
    axis = _axis(env.get("axis", env.get("split_dim", Const(value=0))), rank)
    if axis is None or not 0 <= axis < rank or not isinstance(num.value, int) or num.value < 1:
        return None
    d = v.shape[axis]
    part = list(v.shape)
    part[axis] = None if d is None else d // num.value
    return Seq(items=[TensorV(shape=list(part), dtype=v.dtype) for _ in range(num.value)],
               kind="list")


def _slice(env: dict[str, Value]) -> Value | None:
    """``slice(input_, begin, size)``: the sizes given (-1: the rest of the axis). A known
    ``begin + size`` past a known dimension is refused as TensorFlow's ``Slice`` kernel
    refuses it (``core/kernels/slice_op.cc``: "Expected size[i] in [0, dim - begin], but got
    size"; TF 1.2-1.4 ``GLSTMCell`` slices groups of ``num_units / number_of_groups`` columns
    from its input): the operands are the input and the extent the slice needs, so the
    refused-input rule (analysis/refused_inputs.py) builds again on that width."""
    v, size = env.get("input_", env.get("input")), env.get("size")
    if not isinstance(v, TensorV) or not isinstance(size, Seq) or len(size.items) != len(
            v.shape):
        return None
    _slice_bounds(v, env.get("begin"), size)
    out: list[int | None] = []
    for d, s in zip(v.shape, size.items, strict=True):
        if isinstance(s, Const) and isinstance(s.value, int):
            out.append(d if s.value == -1 else s.value)
        else:
            out.append(None)  # a size computed at run time
    return TensorV(shape=out, dtype=v.dtype)


def _slice_bounds(v: TensorV, begin: Value | None, size: Seq) -> None:
    if not isinstance(begin, Seq) or len(begin.items) != len(v.shape):
        return
    for i, (d, b, n) in enumerate(zip(v.shape, begin.items, size.items, strict=True)):
        if d is None or not (is_number(b) and is_number(n)):
            continue
        assert isinstance(b, Const) and isinstance(n, Const)
        if isinstance(b.value, int) and isinstance(n.value, int) and 0 <= b.value <= d \
                and n.value >= 0 and b.value + n.value > d:
            needed = list(v.shape)
            needed[i] = b.value + n.value
            raise Refused("InvalidArgumentError", f"Expected size[{i}] in [0, {d - b.value}], "
                          f"but got {n.value}", (v, TensorV(shape=needed, dtype=v.dtype)))


def _einsum(args: list[Value], kwargs: dict[str, Value]) -> Value | None:
    """``einsum("abc,cd->abd", x, y)``: each output subscript's size from an operand that
    has it (explicit output, no ellipsis; a size two operands disagree on is unknown)."""
    if kwargs.keys() - {"name"} or len(args) < 2 or not isinstance(args[0], Const) \
            or not isinstance(args[0].value, str):
        return None
    equation = args[0].value.replace(" ", "")
    lhs, arrow, rhs = equation.partition("->")
    terms = lhs.split(",")
    operands = args[1:]
    if not arrow or "." in equation or len(terms) != len(operands) or not all(
            isinstance(t, TensorV) and len(t.shape) == len(term)
            for t, term in zip(operands, terms, strict=True)):
        return None
    seen: dict[str, list[int | None]] = {}
    for t, term in zip(operands, terms, strict=True):
        assert isinstance(t, TensorV)
        for letter, d in zip(term, t.shape, strict=True):
            seen.setdefault(letter, []).append(d)
    sizes: dict[str, int | None] = {}
    for letter, ds in seen.items():
        known = {d for d in ds if d is not None and d != 1}
        if len(known) > 1:
            return None  # TensorFlow would raise: not a shape to guess
        sizes[letter] = known.pop() if known else (1 if ds and all(d == 1 for d in ds)
                                                    else None)
    if any(letter not in sizes for letter in rhs):
        return None
    first = operands[0]
    assert isinstance(first, TensorV)
    return TensorV(shape=[sizes[letter] for letter in rhs], dtype=first.dtype)
