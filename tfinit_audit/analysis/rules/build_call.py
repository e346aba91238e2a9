"""What a layer's own ``__call__`` hands ``build``, read from the release's source.

``Layer.__call__`` builds a layer on the shapes of the tensors it is called on; whether those
arrive as TensorShapes or as tuples depends on the release's code on the way:

- TF 1.2-1.8 ``tf.layers`` ``Layer.__call__`` (``tensorflow/python/layers/base.py``; TF 1.4-1.8
  Keras layers reach it through ``super(Layer, self).__call__``): ``input_shapes =
  nest.map_structure(lambda x: x.get_shape(), inputs)`` (1.2-1.4: ``[x.get_shape() for x in
  input_list]``, then ``input_shapes[0]``) -- TensorShapes;
- TF 1.10-2.x Keras ``_maybe_build``: ``nest.map_structure(lambda x: x.shape, inputs)`` or
  ``tf_utils.get_shapes(inputs)`` -- TensorShapes.

The rule finds the ``self.build(...)`` call ``__call__`` reaches (its own body, the methods it
calls on ``self`` and ``super()``'s, a few calls deep) and evaluates the argument with the
engine in that method's frame: its parameters the input tensor, each local the argument's
expression needs bound from its assignments, and a tensor's ``.shape`` / ``get_shape()`` a
TensorShape of the module's ``tensor_shape.TensorShape`` class. The value decides: a
TensorShape (or a list of them) or a tuple. Anything the evaluation cannot follow (Keras 3
``_maybe_build(call_spec)``: ``self.build(**shapes_dict)``) leaves it undecided (None).
"""

from __future__ import annotations

import ast
from typing import Any

from tfinit_audit.analysis.engine.frames import ABSTRACT, IMPORT, Frame
from tfinit_audit.analysis.engine.hooks import Rule
from tfinit_audit.analysis.engine.parsing import node_fact
from tfinit_audit.analysis.engine.values import (
    BuiltinV,
    ClassV,
    Const,
    DictV,
    FunctionV,
    ModuleV,
    Seq,
    Value,
)
from tfinit_audit.analysis.rules.values import TensorV

SHAPE = "shape"  # Seq kind of a TensorShape (rules/shapes.py)
TENSOR_SHAPES = "TensorShape"
TUPLES = "tuple"
_DEPTH = 4
_BINDING_DEPTH = 3


def handed_to_build(it: Any, cls: ClassV, items: list[Value]) -> tuple[str, Any] | None:
    """(``"TensorShape"`` and the TensorShape class (or None), or ``"tuple"`` and None) for
    what ``cls``'s ``__call__`` hands ``build`` for one input tensor of these dimensions;
    None when it cannot be followed."""
    found = _build_call(it, cls)
    if found is None:
        return None
    fn, call = found
    if len(call.args) != 1 or call.keywords or isinstance(call.args[0], ast.Starred):
        return None
    ts = _tensor_shape_class(it, fn)
    tensor = TensorV(shape=[_dim(v) for v in items])
    frame = _frame(fn, tensor)
    if frame is None:
        return None
    with it.hooks(_ShapeOfTensor(ts)):
        try:
            _bind_locals(it, fn, call.args[0], frame, _BINDING_DEPTH)
            got = it.eval(call.args[0], frame)
        except Exception:  # noqa: BLE001 - code the evaluation cannot follow: undecided
            return None
    return _verdict(got, ts)


def _dim(v: Value) -> int | None:
    return v.value if isinstance(v, Const) and isinstance(v.value, int) else None


def _verdict(got: Value, ts: ClassV | None) -> tuple[str, Any] | None:
    if isinstance(got, Seq) and got.kind == SHAPE:
        return TENSOR_SHAPES, got.cls if isinstance(got.cls, ClassV) else ts
    if isinstance(got, Seq) and got.kind in ("list", "tuple") and got.items:
        kinds = {i.kind if isinstance(i, Seq) else None for i in got.items}
        if kinds == {SHAPE}:
            return TENSOR_SHAPES, ts
        if all(isinstance(i, Const) for i in got.items):
            return TUPLES, None
    return None


class _ShapeOfTensor(Rule):
    """A tensor's ``.shape`` / ``get_shape()`` as ``ops.Tensor`` gives it: a TensorShape."""

    name = "shape-of-tensor"

    def __init__(self, ts: ClassV | None) -> None:
        self.ts = ts

    def attr(self, it: Any, obj: Value, attr: str) -> Value | None:
        if not isinstance(obj, TensorV):
            return None
        shape = Seq(items=[Const(value=d) for d in obj.shape], kind=SHAPE, cls=self.ts)
        if attr in ("shape", "_shape"):
            return shape
        if attr == "get_shape":
            return BuiltinV(name="Tensor.get_shape", fn=lambda *_: shape, bound=obj)
        return None


def _build_call(it: Any, cls: ClassV) -> tuple[FunctionV, ast.Call] | None:
    """The method ``__call__`` reaches that calls ``self.build(...)``, and that call."""
    first = it.member(cls, "__call__")
    todo: list[tuple[ClassV, Any, int]] = [(first[0], first[1], 0)] if first else []
    seen: set[int] = set()
    while todo:
        owner, fn, depth = todo.pop(0)
        if not isinstance(fn, FunctionV) or fn.node is None or id(fn.node) in seen:
            continue
        seen.add(id(fn.node))
        for node in ast.walk(fn.node):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            target, name = node.func.value, node.func.attr
            if _is_self(target) and name == "build":
                return fn, node
            if depth >= _DEPTH:
                continue
            nxt = None
            if _is_self(target):
                nxt = it.member(cls, name)
            elif _is_super(target):
                nxt = it.member(cls, name, after=owner)
            if nxt is not None:
                todo.append((nxt[0], nxt[1], depth + 1))
    return None


def _is_self(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id == "self"


def _is_super(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
        and node.func.id == "super"


def _frame(fn: FunctionV, tensor: TensorV) -> Frame | None:
    """``fn``'s frame with every parameter but ``self`` the input (``*args`` empty)."""
    node = fn.node
    if not isinstance(node, ast.FunctionDef):
        return None
    a = node.args
    env: dict[str, Value] = {}
    for p in [*a.posonlyargs, *a.args, *a.kwonlyargs][1:]:
        env[p.arg] = tensor
    if a.vararg is not None:
        env[a.vararg.arg] = Seq(kind="tuple")
    if a.kwarg is not None:
        env[a.kwarg.arg] = DictV()
    return Frame(mod=ModuleV(name=fn.module, path=fn.src.path), src=fn.src, locals=env,
                 mode=ABSTRACT, owner=fn.owner, func_name=fn.name, quiet=True)


def _bind_locals(it: Any, fn: FunctionV, expr: ast.expr, frame: Frame, depth: int) -> None:
    """Bind each local ``expr`` reads from the first of its assignments in ``fn`` that gives
    a value (``x = None`` skipped), binding the locals those need first."""
    if depth <= 0 or fn.node is None:
        return
    assigned = _assignments(fn.node)
    for name in _names(expr):
        if name in frame.locals or name not in assigned:
            continue
        for value in assigned[name]:
            _bind_locals(it, fn, value, frame, depth - 1)
            got = it.eval(value, frame)
            if not (isinstance(got, Const) and got.value is None):
                frame.locals[name] = got
                break


def _names(expr: ast.expr) -> list[str]:
    """The names ``expr`` reads, but those a comprehension or lambda binds itself."""
    bound = set()
    for node in ast.walk(expr):
        if isinstance(node, ast.comprehension):
            bound |= {n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}
        elif isinstance(node, ast.Lambda):
            bound |= {a.arg for a in node.args.args}
    return [n.id for n in ast.walk(expr)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id not in bound]


def _assignments(fn: ast.AST) -> dict[str, list[ast.expr]]:
    """Each local name of ``fn`` -> the values assigned to it, in order (kept on the node)."""
    return node_fact(fn, "assignments", _find_assignments)


def _find_assignments(fn: ast.AST) -> dict[str, list[ast.expr]]:
    out: dict[str, list[ast.expr]] = {}
    for node in ast.walk(fn):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                and isinstance(node.targets[0], ast.Name):
            out.setdefault(node.targets[0].id, []).append(node.value)
    return out


def _tensor_shape_class(it: Any, fn: FunctionV) -> ClassV | None:
    """``tensor_shape.TensorShape`` (or ``tf.TensorShape``) as ``fn``'s module sees it (None:
    it sees neither)."""
    mod = ModuleV(name=fn.module, path=fn.src.path)
    for first in ("tensor_shape", "tf"):
        try:
            val = it.module_global(mod, first)
            val = it.getattr(val, "TensorShape", IMPORT) if isinstance(val, ModuleV) else None
        except Exception:  # noqa: BLE001 - a name the module does not bind
            continue
        if isinstance(val, ClassV):
            return val
    return None
