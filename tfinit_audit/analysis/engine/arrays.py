"""numpy arrays of known values, as release code builds constant masks with them.

TF 1.x ``tf.contrib`` ``masked_dense`` (``distributions/.../bijectors/
masked_autoregressive.py`` ``_gen_mask``) writes ``mask = np.zeros([n_out, n_in],
dtype=...)``, then ``mask[row_slice, col_slice] = 1`` for the slices of a loop over
``range(num_blocks)``, and multiplies the kernel's initial value by ``mask.T``. Modelled:

- ``np.zeros(shape)`` / ``np.ones(shape)`` of a known shape of at most ``MAX_ELEMENTS``
  elements: an ``ArrayV`` holding a real numpy array (float64). Its ``dtype``: a known name
  (``"float32"``, ``"int32"``, ``"bool"``...) is used; an unknown one (``dtype.as_numpy_dtype()``
  of a TF dtype) keeps the values only while every value written is 0 or 1, which every
  numpy dtype holds exactly;
- ``slice(start, stop, step)`` of known numbers, and ``a:b`` inside a subscript;
- ``a[key] = value`` with ``key`` an int, a slice or a tuple of them and ``value`` a number
  (or a known array): numpy's assignment; any other write makes the values unknown;
- ``a.T``, ``a.transpose()``, ``a.shape``, ``a.ndim``, ``a.size``; ``a <op> number`` and
  ``a <op> array`` for ``+ - * /`` (numpy broadcasting).

An array whose values became unknown (``data`` None) is no operand of anything.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tfinit_audit.analysis.engine.values import BuiltinV, Const, Seq, Unknown, Value

MAX_ELEMENTS = 1 << 16  # a larger array's values are not kept (the budget of one question)
_MAKERS = {"zeros": 0.0, "ones": 1.0}
_OPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


@dataclass(eq=False)
class ArrayV(Value):
    """A numpy array of known values (``data``: the ndarray; None once a write the model
    does not follow made them unknown). ``exact01``: its dtype is not known, so only writes
    of 0 and 1 keep it known."""

    data: Any = None
    exact01: bool = False

    def truth(self) -> bool | None:
        if self.data is None or self.data.size != 1:
            return None  # numpy raises for more than one element
        return bool(self.data.reshape(-1)[0])

    def is_callable(self) -> bool | None:
        return False

    def describe(self) -> str:
        shape = list(self.data.shape) if self.data is not None else "?"
        return f"ndarray{shape}"


def _np() -> Any:
    import numpy

    return numpy


def _plain_int(v: Value) -> int | None:
    if isinstance(v, Const) and isinstance(v.value, int) and not isinstance(v.value, bool):
        return v.value
    return None


def maker(name: str) -> Callable[..., Value] | None:
    """``np.zeros`` / ``np.ones`` (None for any other name)."""
    if name not in _MAKERS:
        return None
    fill = _MAKERS[name]

    def call(it: Any, args: list[Value], kwargs: dict[str, Value], mode: Any) -> Value:
        shape_v = args[0] if args else kwargs.get("shape")
        dims = [_plain_int(d) for d in shape_v.items] if isinstance(shape_v, Seq) else [
            _plain_int(shape_v)] if shape_v is not None else [None]
        if any(d is None or d < 0 for d in dims) or len(args) > 2:
            return Unknown(text=f"numpy.{name}")
        np = _np()
        size = 1
        for d in dims:
            size *= d  # type: ignore[operator]
        if size > MAX_ELEMENTS:
            return Unknown(text=f"numpy.{name} of {size} elements")
        dtype = args[1] if len(args) > 1 else kwargs.get("dtype")
        exact01 = False
        try:
            dt = np.dtype(dtype.value if isinstance(dtype, Const) and isinstance(
                dtype.value, str) else "float64")
        except TypeError:
            return Unknown(text=f"numpy.{name}")
        if dtype is not None and not (isinstance(dtype, Const) and isinstance(dtype.value, str)):
            exact01, dt = True, np.dtype("float64")
        return ArrayV(data=np.full(dims, fill, dtype=dt), exact01=exact01)

    return call


def make_slice(it: Any, args: list[Value], kwargs: dict[str, Value], mode: Any) -> Value:
    """``slice(stop)`` / ``slice(start, stop[, step])`` of known ints or None."""
    vals = [a.value for a in args if isinstance(a, Const) and (
        a.value is None or _plain_int(a) is not None)]
    if kwargs or not 1 <= len(args) <= 3 or len(vals) != len(args):
        return Unknown(text="slice(...)")
    return Const(value=slice(*vals))


def _index(key: Value) -> Any:
    """A numpy index from an engine key (None: not one the model follows)."""
    if isinstance(key, Const) and (isinstance(key.value, slice) or _plain_int(key) is not None):
        return key.value
    if isinstance(key, Seq) and key.kind == "tuple":
        parts = [_index(k) for k in key.items]
        return tuple(parts) if all(p is not None for p in parts) else None
    return None


def set_item(arr: ArrayV, key: Value, value: Value) -> None:
    """``arr[key] = value`` as numpy does it, or the values become unknown."""
    if arr.data is None:
        return
    idx = _index(key)
    if isinstance(value, ArrayV):
        new: Any = value.data
    elif isinstance(value, Const) and isinstance(value.value, int | float):
        new = value.value
    else:
        new = None
    if idx is None or new is None or (arr.exact01 and not _zero_one(new)):
        arr.data = None
        return
    try:
        arr.data[idx] = new
    except (IndexError, ValueError, TypeError):
        arr.data = None  # numpy raises here: what follows is not modelled


def _zero_one(v: Any) -> bool:
    np = _np()
    return bool(np.all((np.asarray(v) == 0) | (np.asarray(v) == 1)))


def attr(obj: Value, name: str) -> Value | None:
    """``.T``, ``.transpose()``, ``.shape``, ``.ndim``, ``.size`` of a known array."""
    if not isinstance(obj, ArrayV) or obj.data is None:
        return None
    data = obj.data
    if name == "T":
        return ArrayV(data=data.T.copy(), exact01=obj.exact01, hops=obj.hops)
    if name == "transpose":
        def call(it: Any, args: list[Value], kwargs: dict[str, Value], mode: Any) -> Value:
            if args or kwargs:
                return Unknown(text="ndarray.transpose")
            return ArrayV(data=data.T.copy(), exact01=obj.exact01, hops=obj.hops)
        return BuiltinV(name="ndarray.transpose", fn=call, bound=obj)
    if name == "shape":
        return Seq(items=[Const(value=int(d)) for d in data.shape], kind="tuple")
    if name in ("ndim", "size"):
        return Const(value=int(getattr(data, name)))
    return None


def binop(op: ast.operator, a: Value, b: Value) -> Value | None:
    """``a <op> b`` of a known array and a number or another known array (None: not
    both such operands, or numpy refuses them)."""
    fn = _OPS.get(type(op))
    if fn is None or not (isinstance(a, ArrayV) or isinstance(b, ArrayV)):
        return None
    vals = [x.data if isinstance(x, ArrayV) else x.value if isinstance(x, Const) and isinstance(
        x.value, int | float) and not isinstance(x.value, bool) else None for x in (a, b)]
    if any(v is None for v in vals):
        return None
    try:
        out = fn(vals[0], vals[1])
    except (ValueError, ZeroDivisionError):
        return None
    exact01 = any(isinstance(x, ArrayV) and x.exact01 for x in (a, b))
    return ArrayV(data=out, exact01=exact01) if not exact01 else Unknown(text="ndarray op")
