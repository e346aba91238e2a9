"""An inner layer whose own build raises on every input its wrapper hands it.

A wrapper builds its inner layer on a shape it computes from its own input. TF 1.4 Keras
``TimeDistributed.build`` (``tensorflow/python/keras/_impl/keras/layers/wrappers.py``) computes
``child_input_shape = [input_shape[0]] + input_shape[2:]`` -- a list -- and calls
``self.layer.build(child_input_shape)``; that release's recurrent layers read a list as a list
of input shapes (``recurrent.py``: ``if isinstance(input_shape, list): input_shape =
input_shape[0]``), so they get the batch size (None) and raise at
``tensor_shape.TensorShape(None).as_list()`` (rules/shapes.py): no input builds a 1.4
``TimeDistributed(LSTM)``, as the real release shows. When every build of the wrapper tried
ended in an exception raised in the code of its inner layer's class (not the wrapper's own
check of its input), that inner layer is refused, with the line that raised, and the argument
table's next choice is built instead (``layer`` is LSTM, else Dense: analysis/arguments.py).
"""

from __future__ import annotations

from typing import Any

from tfinit_audit.analysis.engine.frames import Raised
from tfinit_audit.analysis.engine.mro import class_key
from tfinit_audit.analysis.engine.values import ClassV, FunctionV, Instance, Value


def refused_inner(it: Any, wrapper: ClassV, inner: dict[str, Value],
                  escapes: list[Raised | None]) -> dict[str, str]:
    """Per inner-layer argument (``inner``: name -> the instance the wrapper was built with),
    why the wrapper cannot build it: every build in ``escapes`` (the exception that left each
    build of the wrapper its own checks accepted, None for one that ended) raised in a method
    of the inner layer's class (or of its bases the wrapper does not share).
    Empty when a build ended, or an exception came from elsewhere."""
    if not escapes or any(e is None or not e.path for e in escapes):
        return {}
    out: dict[str, str] = {}
    for name, v in inner.items():
        if not isinstance(v, Instance) or not isinstance(v.cls, ClassV):
            continue
        if not all(e is not None and _in_own_method(it, v.cls, wrapper, e) for e in escapes):
            continue
        first = escapes[0]
        assert first is not None and first.path is not None
        src = it.module_source(first.path)
        code = f": {src.code(first.line)}" if src is not None else ""
        out[name] = (f"{v.cls.info.name}: its build raises {first.message_line()} "
                     f"({first.path}:{first.line}{code}) on every input "
                     f"{wrapper.info.name}.build hands it")
    return out


def _in_own_method(it: Any, cls: ClassV, wrapper: ClassV, e: Raised) -> bool:
    """``e`` was raised in a method of a class of ``cls``'s MRO that is not also one of the
    wrapper's (a shared base class's check is not the inner layer's own), or in the function
    such a class holds under a decorated method's name (TF 1.8 Keras ``RNN.build``'s
    ``shape_type_conversion`` wrapper, whose ``TensorShape(None).as_list()`` raises on the list
    ``TimeDistributed.build`` hands it: the innermost function the exception left)."""
    theirs = {id(c) for c in it.source_mro(wrapper)}
    left = e.left
    if isinstance(left, FunctionV) and left.decorates is not None:
        owner = left.decorates.owner
        key = class_key(owner) if owner is not None else None
        if key is not None and all(class_key(c) != key for c in it.source_mro(wrapper)) \
                and any(class_key(c) == key for c in it.source_mro(cls)):
            return True
    for c in it.source_mro(cls):
        if c.src.path != e.path or id(c) in theirs:
            continue
        if any(info.line <= e.line <= info.end_line for info in c.info.methods.values()):
            return True
    return False
