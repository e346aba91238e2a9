"""TensorShape conventions: a shape is the evaluator's sequence of its dimensions, of kind
"shape" (``isinstance`` of ``list``/``tuple`` false, of ``TensorShape`` true)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tfinit_audit.analysis.engine.frames import IMPORT, Mode, Raised
from tfinit_audit.analysis.engine.hooks import CallSite, Rule
from tfinit_audit.analysis.engine.values import (
    MISSING,
    BuiltinV,
    ClassV,
    Const,
    FunctionV,
    ModuleV,
    Seq,
    Unknown,
    Value,
    decorator_name,
)
from tfinit_audit.analysis.rules import build_call

_AS_LIST_UNKNOWN = "TensorShape.as_list of an unknown rank"
_SAME_SHAPE = ("as_list", "with_rank_at_least", "with_rank", "merge_with")
# the class and its 1.13-2.x spellings (``TensorShape = TensorShapeV1`` in tensor_shape.py)
_TENSOR_SHAPE = re.compile(r"TensorShape(V\d+)?")


class TensorShapeRule(Rule):
    """``TensorShape([..])`` / ``tensor_shape.as_shape([..])`` (tensorflow/python/framework/
    tensor_shape.py; the class is ``TensorShapeV1`` behind a ``TensorShape`` alias in 1.13) of
    a list is that list, of one number a shape of that one dimension (``TensorShape(64)``:
    ``StackedRNNCells`` builds the next cell on ``[batch] + TensorShape(output_dim)``);
    ``TensorShape(None)`` is a shape of unknown rank (``UnknownShape``), whose ``as_list()``
    raises ``ValueError`` as TensorFlow's does ("as_list() is not defined on an unknown
    TensorShape.": TF 1.4 Keras ``LSTM.build`` of the list ``TimeDistributed.build`` hands it
    takes its first item, the batch size None). ``Dimension(n)`` (TF 1.x-2.x
    ``tensor_shape.Dimension``, whose ``value`` is ``n``) of a number or None is that number:
    2.0-2.5 Keras ``AUC`` builds ``TensorShape([Dimension(self.num_thresholds)])``.
    On a shape: ``.ndims`` / ``.rank`` is its length, ``.dims`` and ``.as_list()`` (and the
    rank checks ``with_rank``, ``with_rank_at_least``, ``merge_with``) give it back, and a
    dimension's ``.value`` (TF 1.x ``Dimension``) is the number itself (None when unknown).
    A shape is the evaluator's sequence of kind "shape" (its ``cls`` the TensorShape class):
    indexing, ``len``, iteration and ``+`` work as on a list, ``isinstance(s, (tuple, list))``
    is false and ``isinstance(s, TensorShape)`` true, so ``build(input_shape)`` sees concrete
    dimensions and takes the arm TensorFlow takes."""

    name = "tensor-shape"

    def call(self, it: Any, callee: Value, args: list[Value],
             kwargs: dict[str, Value]) -> Value | None:
        if not isinstance(callee, ClassV | FunctionV) or not args:
            return None
        is_class = isinstance(callee, ClassV) and _TENSOR_SHAPE.fullmatch(callee.name)
        if _is_dimension(callee) and len(args) == 1 and not kwargs \
                and isinstance(args[0], Const) and (args[0].value is None or (
                    isinstance(args[0].value, int) and not isinstance(args[0].value, bool))):
            return args[0]
        if (is_class or callee.name == "as_shape") and isinstance(args[0], Seq) \
                and args[0].fields is None:
            return tensor_shape(args[0].items, _shape_class(it, callee))
        if is_class and isinstance(args[0], Const) and args[0].value is None:
            return UnknownShape(cls=_shape_class(it, callee))
        if (is_class or callee.name == "as_shape") and isinstance(args[0], Const) \
                and isinstance(args[0].value, int) and not isinstance(args[0].value, bool):
            # one number is a shape of one dimension
            return tensor_shape([args[0]], _shape_class(it, callee))
        return None

    def call_site(self, it: Any, site: CallSite) -> Value | None:
        f = site.callee
        if isinstance(f, BuiltinV) and f.name == _AS_LIST_UNKNOWN and f.fn is None \
                and not site.frame.speculative:
            raise Raised("ValueError", "as_list() is not defined on an unknown TensorShape.",
                         site.frame.path, site.node.lineno)
        return None

    def attr(self, it: Any, obj: Value, attr: str) -> Value | None:
        if isinstance(obj, UnknownShape):
            if attr == "as_list":
                return BuiltinV(name=_AS_LIST_UNKNOWN, bound=obj)  # raises when called
            return Const(value=None) if attr in ("ndims", "rank", "dims") else None
        if isinstance(obj, Const) and attr == "value" and (
                obj.value is None or isinstance(obj.value, int)):
            return obj
        if not isinstance(obj, Seq) or obj.fields is not None:  # not a namedtuple
            return None
        if attr in ("ndims", "rank"):
            return Const(value=len(obj.items))
        if attr == "dims":
            return _as_list(obj)
        if attr == "as_list" and obj.kind == SHAPE:  # a new list
            return BuiltinV(name="TensorShape.as_list", fn=_same(_as_list(obj)), bound=obj)
        if attr in _SAME_SHAPE:
            return BuiltinV(name=f"TensorShape.{attr}", fn=_same(obj), bound=obj)
        return None


@dataclass(eq=False)
class UnknownShape(Value):
    """``TensorShape(None)``: a shape of unknown rank, an object of the TensorShape class
    ``cls`` (when known). Its ``ndims``/``rank``/``dims`` are None, ``as_list()`` raises;
    nothing else about it is known."""

    cls: ClassV | None = None

    def truth(self) -> bool | None:
        return None

    def python_class(self) -> Any:
        return self.cls

    def describe(self) -> str:
        return "TensorShape(None)"


def _is_dimension(callee: Value) -> bool:
    """``tensor_shape.Dimension``: the class of that name in a module named tensor_shape."""
    return isinstance(callee, ClassV) and callee.name == "Dimension" \
        and callee.module.rpartition(".")[2] == "tensor_shape"


def _same(obj: Seq) -> Any:
    def call(it: Any, args: list[Value], kwargs: dict[str, Value], mode: Mode) -> Value:
        return obj

    return call


SHAPE = "shape"
_CONVERSION = "shape_type_conversion"


def tensor_shape(items: list[Value], cls: ClassV | None) -> Seq:
    """A TensorShape of these dimensions (``cls``: the TensorShape class, when known)."""
    return Seq(items=list(items), kind=SHAPE, cls=cls)


def _as_list(obj: Seq) -> Seq:
    return Seq(items=list(obj.items)) if obj.kind == SHAPE else obj


def _shape_class(it: Any, callee: ClassV | FunctionV) -> ClassV | None:
    """The TensorShape class: the callee itself, or ``as_shape``'s module's ``TensorShape``."""
    if isinstance(callee, ClassV):
        return callee
    found = _global_path(it, ModuleV(name=callee.module, path=callee.src.path), ["TensorShape"])
    return found if isinstance(found, ClassV) else None


def build_input(it: Any, cls: ClassV, build: FunctionV, shape: Seq) -> Seq:
    """What the layer's ``__call__`` hands ``build``. ``shape`` is the input as tuples (a
    list of them for a list of inputs). A ``build`` decorated with ``shape_type_conversion``
    gets tuples (the decorator's ``convert_shapes(input_shape, to_tuples=True)``). Else
    rules/build_call.py reads the release's ``__call__``: the TensorShapes of ``x.get_shape()``
    / ``x.shape`` (TF 1.2-1.8 ``tf.layers`` ``Layer.__call__``, Keras 2 ``_maybe_build``)
    make each tuple a TensorShape, a tuple stays. Where it cannot follow the call (Keras 3's
    ``self.build(**shapes_dict)``) a layer whose Keras has that decorator (its ``tf_utils``
    module, seen from a module of the class's bases, defines it) gets TensorShapes, any other
    the tuples."""
    if any(decorator_name(d) == _CONVERSION for d in build.written_decorators):
        return shape
    one = shape.items[0] if shape.kind == "list" and shape.items \
        and isinstance(shape.items[0], Seq) else shape
    handed = build_call.handed_to_build(it, cls, one.items)
    if handed is not None and handed[0] == build_call.TUPLES:
        return shape
    found = _keras_shape_class(it, cls)
    if handed is None and found is None:
        return shape
    ts = handed[1] if handed is not None and handed[1] is not None else (
        found[0] if found is not None else None)
    if shape.kind == "list" and all(isinstance(s, Seq) for s in shape.items):
        return Seq(items=[tensor_shape(s.items, ts) if isinstance(s, Seq) else s
                          for s in shape.items])
    return tensor_shape(shape.items, ts)


def handed_kind(given: Value) -> str:
    """``"TensorShape"`` when ``build_input`` handed TensorShapes (one, or a list), else
    ``"tuple"``."""
    if isinstance(given, Seq) and (given.kind == SHAPE or (given.kind == "list" and any(
            isinstance(s, Seq) and s.kind == SHAPE for s in given.items))):
        return build_call.TENSOR_SHAPES
    return build_call.TUPLES


def _keras_shape_class(it: Any, cls: ClassV) -> tuple[ClassV | None] | None:
    """``(TensorShape class or None,)`` when a module of ``cls``'s bases sees a ``tf_utils``
    defining ``shape_type_conversion``; None when none does."""
    for c in it.source_mro(cls):
        mod = ModuleV(name=c.module, path=c.path)
        utils = _global_path(it, mod, ["tf_utils"])
        if not isinstance(utils, ModuleV) or _global_path(it, utils, [_CONVERSION]) is None:
            continue
        for where in (utils, mod):
            for path in (["tensor_shape", "TensorShape"], ["tf", "TensorShape"]):
                ts = _global_path(it, where, path)
                if isinstance(ts, ClassV):
                    return (ts,)
        return (None,)
    return None


def _global_path(it: Any, mod: ModuleV, parts: list[str]) -> Any:
    """``a.b.c`` as code in ``mod`` sees it at import time; None when it cannot be followed."""
    try:
        val = it.module_global(mod, parts[0])
        for p in parts[1:]:
            if val is MISSING or isinstance(val, Unknown):
                return None
            val = it.getattr(val, p, IMPORT)
    except Exception:  # noqa: BLE001 - a name the import-time run cannot follow
        return None
    return None if val is MISSING or isinstance(val, Unknown) else val
