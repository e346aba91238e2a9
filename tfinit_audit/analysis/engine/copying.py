"""``copy.copy``: Python's shallow copy, for abstract values.

``copy.copy(x)`` (Lib/copy.py) returns an immutable value itself, a new list/dict/set holding
the same items, and for an instance calls its class's ``__copy__`` when it defines one, else
rebuilds it through ``__reduce_ex__(4)``: a new object of the same class (``__init__`` not
run) whose ``__dict__`` is updated with the original's (``copyreg._reconstruct``), so the two
objects share every attribute value (Keras 1.x ``Bidirectional``: ``self.forward_layer =
copy.copy(layer)``, the copy and ``layer`` share one ``cell``). A class that takes over the
protocol in its own source (``__reduce_ex__``, ``__reduce__``, ``__getstate__``,
``__setstate__``) or has a base the engine cannot see leaves the copy undecided, as does any
other value. ``copy.deepcopy`` and the rest of the module stay unknown."""

from __future__ import annotations

from typing import Any

from tfinit_audit.analysis.engine.frames import Mode, undecided
from tfinit_audit.analysis.engine.values import (
    BuiltinClassV,
    BuiltinV,
    ClassV,
    Const,
    DictV,
    FunctionV,
    Instance,
    Seq,
    Value,
)

# what a class may define to make copy.copy do something else than the __dict__ copy
_PROTOCOL = ("__reduce_ex__", "__reduce__", "__getstate__", "__setstate__")
_MUTABLE_SEQS = ("list", "set")


def copy_attr(attr: str) -> Value | None:
    """``copy.<attr>`` when modelled here (None: not)."""
    if attr == "copy":
        return BuiltinV(name="copy.copy", fn=_copy)
    return None


def _copy(it: Any, args: list[Value], kwargs: dict[str, Value], mode: Mode) -> Value:
    if len(args) != 1 or kwargs:
        return undecided(mode, "copy.copy(...)")
    x = args[0]
    if isinstance(x, Const):
        return x
    if isinstance(x, Seq) and x.kind in ("tuple", "shape"):
        return x
    copied = copy_container(x)
    if copied is not None:
        return copied
    if isinstance(x, Instance) and isinstance(x.cls, ClassV):
        return _copy_instance(it, x, mode)
    return undecided(mode, f"copy.copy({x.describe()})")


def copy_container(x: Value) -> Value | None:
    """A new list, set or dict holding the same items as ``x`` (None: not one of those)."""
    if isinstance(x, Seq) and x.kind in _MUTABLE_SEQS:
        return Seq(items=list(x.items), kind=x.kind)
    if isinstance(x, DictV) and type(x) is DictV:
        return DictV(items=dict(x.items))
    return None


def _copy_instance(it: Any, x: Instance, mode: Mode) -> Value:
    cls = x.cls
    assert isinstance(cls, ClassV)
    own = it.member(cls, "__copy__")
    if own is not None and isinstance(own[1], FunctionV):
        out: Value = it.call(own[1].with_receiver(x), [], {}, mode=mode)
        return out
    if own is not None or any(it.member(cls, name) is not None for name in _PROTOCOL):
        return undecided(mode, f"copy.copy({x.describe()}): its class defines the protocol")
    for c in it.mro(cls):
        if not isinstance(c, ClassV) and not (isinstance(c, BuiltinClassV)
                                              and c.name == "object"):
            return undecided(mode, f"copy.copy({x.describe()}): base {c.describe()}")
    it.force(x)
    return Instance(cls=cls, attrs=dict(x.attrs), attr_lines=dict(x.attr_lines),
                    named_kwargs=x.named_kwargs)

