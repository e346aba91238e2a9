"""Where the paths of an undecidable ``if`` meet (abstract mode): the value a local has after
its arms (``merge``), and the module globals its arms set through ``global`` (``join_globals``,
see statements.set_global)."""

from __future__ import annotations

from typing import Any

from tfinit_audit.analysis.engine.values import (
    MISSING,
    Const,
    FunctionV,
    Seq,
    Unknown,
    Value,
    from_value,
)

DIFFERS = "value differs between branches"


def merge(a: Value | None, b: Value | None) -> Value:
    """The value of a local after an undecidable ``if`` whose arms gave it ``a`` and ``b``.

    An arm that knows nothing of it (Unknown) leaves the other arm's value -- the
    ``if x is None: x = default`` shortcut -- but arms that disagree give an Unknown that no
    later merge takes for "nothing known" (an ``if``/``elif``/``else`` of three values)."""
    if a is None:
        return b or Unknown()
    if b is None or a is b:
        return a
    if any(isinstance(v, Unknown) and v.text == DIFFERS for v in (a, b)):
        return Unknown(text=DIFFERS)
    if isinstance(a, Unknown):
        return b
    if isinstance(b, Unknown):
        return a
    if _alike(a, b):
        return a
    return Unknown(text=DIFFERS)


def _alike(a: Value, b: Value) -> bool:
    """Values the program would see as the same: one object, equal constants, the same
    function (``self.call`` either way: two lookups make two bound-method objects), tuples and
    lists of alike items, or what a value itself says (``Value.same_as``)."""
    if a is b or a.same_as(b):
        return True
    if isinstance(a, Const) and isinstance(b, Const):
        return a.value == b.value and type(a.value) is type(b.value)
    if isinstance(a, FunctionV) and isinstance(b, FunctionV):
        return _same_function(a, b)
    if isinstance(a, Seq) and isinstance(b, Seq):
        if a.kind != b.kind or a.fields != b.fields or len(a.items) != len(b.items) \
                or a.cls is not b.cls:
            return False
        if all(_alike(x, y) for x, y in zip(a.items, b.items, strict=True)):
            return True
        try:
            return bool(from_value(a) == from_value(b))
        except KeyError:
            return False
    return False


def _same_function(a: FunctionV, b: FunctionV) -> bool:
    """Two function values Python would call alike: the same code, bound to the same object
    (a bound method compares equal by its function and receiver), with the same closure,
    function attributes and decoration."""
    if a.bound is not b.bound or a.closure is not b.closure or a.decorates is not b.decorates:
        return False
    if a.attrs is not b.attrs and (a.attrs or b.attrs):
        return False
    if a.info is not None and a.info is b.info:
        return True
    return a.node is not None and a.node is b.node


def join_globals(saved: dict[tuple[str, str], Any], before: dict[tuple[str, str], Any],
                 w1: dict[tuple[str, str], Any], w2: dict[tuple[str, str], Any]) -> None:
    """After the arms of an undecidable ``if`` (``w1``, ``w2``: the globals each left;
    ``saved``: those before it, updated here; ``before``: the values the globals the arms set
    had when it began): a global both arms leave alike keeps that value, one they disagree on
    is ``merge``d as a local is, one that may be undefined is unknown."""
    for key in {*w1, *w2}:
        old = saved[key] if key in saved else before.get(key, MISSING)
        v1, v2 = w1.get(key, old), w2.get(key, old)
        if v1 is v2:
            value = v1
        elif v1 is MISSING or v2 is MISSING:
            value = Unknown(text=key[1])
        else:
            value = merge(v1, v2)
        if key in saved or value is not old:
            saved[key] = value
