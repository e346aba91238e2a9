"""TensorShape conventions: a shape given as a list already is that shape."""

from __future__ import annotations

import re
from typing import Any

from tfinit_audit.analysis.engine.frames import Mode
from tfinit_audit.analysis.engine.hooks import Rule
from tfinit_audit.analysis.engine.values import (
    BuiltinV,
    ClassV,
    Const,
    FunctionV,
    Seq,
    Unknown,
    Value,
)

_SAME_SHAPE = ("as_list", "with_rank_at_least", "with_rank", "merge_with")
# the class and its 1.13-2.x spellings (``TensorShape = TensorShapeV1`` in tensor_shape.py)
_TENSOR_SHAPE = re.compile(r"TensorShape(V\d+)?")


class TensorShapeRule(Rule):
    """``TensorShape([..])`` / ``tensor_shape.as_shape([..])`` (tensorflow/python/framework/
    tensor_shape.py; the class is ``TensorShapeV1`` behind a ``TensorShape`` alias in 1.13) of
    a list is that list, of one number a shape of that one dimension (``TensorShape(64)``:
    ``StackedRNNCells`` builds the next cell on ``[batch] + TensorShape(output_dim)``);
    ``TensorShape(None)`` is a shape of unknown rank. ``Dimension(n)`` (TF 1.x-2.x
    ``tensor_shape.Dimension``, whose ``value`` is ``n``) of a number or None is that number:
    2.0-2.5 Keras ``AUC`` builds ``TensorShape([Dimension(self.num_thresholds)])``.
    On a shape: ``.ndims`` / ``.rank`` is its length, ``.dims`` and ``.as_list()`` (and the
    rank checks ``with_rank``, ``with_rank_at_least``, ``merge_with``) give it back, and a
    dimension's ``.value`` (TF 1.x ``Dimension``) is the number itself (None when unknown).
    Shapes are the evaluator's lists, so ``build(input_shape)`` sees concrete dimensions."""

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
        if (is_class or callee.name == "as_shape") and isinstance(args[0], Seq):
            return args[0]
        if is_class and isinstance(args[0], Const) and args[0].value is None:
            return Unknown(text="TensorShape(None)")
        if (is_class or callee.name == "as_shape") and isinstance(args[0], Const) \
                and isinstance(args[0].value, int) and not isinstance(args[0].value, bool):
            return Seq(items=[args[0]])  # one number is a shape of one dimension
        return None

    def attr(self, it: Any, obj: Value, attr: str) -> Value | None:
        if isinstance(obj, Const) and attr == "value" and (
                obj.value is None or isinstance(obj.value, int)):
            return obj
        if not isinstance(obj, Seq) or obj.fields is not None:  # not a namedtuple
            return None
        if attr in ("ndims", "rank"):
            return Const(value=len(obj.items))
        if attr == "dims":
            return obj
        if attr in _SAME_SHAPE:
            return BuiltinV(name=f"TensorShape.{attr}", fn=_same(obj), bound=obj)
        return None


def _is_dimension(callee: Value) -> bool:
    """``tensor_shape.Dimension``: the class of that name in a module named tensor_shape."""
    return isinstance(callee, ClassV) and callee.name == "Dimension" \
        and callee.module.rpartition(".")[2] == "tensor_shape"


def _same(obj: Seq) -> Any:
    def call(it: Any, args: list[Value], kwargs: dict[str, Value], mode: Mode) -> Value:
        return obj

    return call
