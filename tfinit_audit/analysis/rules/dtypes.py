"""DType conventions: dtypes are known by name."""

from __future__ import annotations

from typing import Any

from tfinit_audit.analysis.engine.hooks import Rule
from tfinit_audit.analysis.engine.values import Const, FunctionV, ModuleV, Unknown, Value
from tfinit_audit.analysis.rules.values import DType

DTYPES = {
    "float16", "float32", "float64", "bfloat16", "half", "double", "int8", "int16", "int32",
    "int64", "uint8", "uint16", "bool", "string", "complex64", "complex128",
}


class DTypeRule(Rule):
    """A dtype is known by its name (tensorflow/python/framework/dtypes.py): the module-level
    constants of a ``dtypes`` module (``dtypes.float32``), ``dtypes.as_dtype(name or dtype)``,
    and a dtype name given as a string. Its predicates (``is_floating``, ``is_integer``,
    ``is_bool``...) follow from the name -- which is what ``get_variable`` asks to pick the
    default initializer (glorot_uniform for floats, zeros for integers and bools)."""

    name = "dtype"

    def module_attr(self, it: Any, module: ModuleV, attr: str) -> Value | None:
        if attr in DTYPES and module.name.endswith("dtypes"):
            return DType(name=attr)
        return None

    def call(self, it: Any, callee: Value, args: list[Value],
             kwargs: dict[str, Value]) -> Value | None:
        if isinstance(callee, FunctionV) and callee.name == "as_dtype" and args:
            a0 = args[0]
            if isinstance(a0, DType):
                return a0
            if isinstance(a0, Const) and isinstance(a0.value, str) and a0.value in DTYPES:
                return DType(name=a0.value)
        return None

    def attr(self, it: Any, obj: Value, attr: str) -> Value | None:
        if isinstance(obj, DType):
            return dtype_attr(obj, attr)
        if isinstance(obj, Const) and isinstance(obj.value, str) and obj.value in DTYPES:
            return dtype_attr(DType(name=obj.value), attr)
        return None


def dtype_attr(d: DType, attr: str) -> Value:
    n = d.name
    if attr == "is_floating":
        return Const(value=n.startswith(("float", "bfloat")) or n in ("half", "double"))
    if attr == "is_integer":
        return Const(value=n.startswith(("int", "uint")))
    if attr == "is_unsigned":
        return Const(value=n.startswith("uint"))
    if attr == "is_bool":
        return Const(value=n == "bool")
    if attr == "is_complex":
        return Const(value=n.startswith("complex"))
    if attr in ("base_dtype", "real_dtype"):
        return d
    if attr == "name":
        return Const(value=n)
    return Unknown(text=f"dtype.{attr}")
