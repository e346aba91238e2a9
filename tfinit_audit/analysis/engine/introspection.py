"""Python's introspection of functions, modelled for source functions: what a function object
has (``f.__call__``, a method-wrapper; the attributes of Python's function and bound-method
types; attributes code set on it), ``hasattr`` of a function decided by that, and the
``inspect`` functions library code asks about callables -- ``ismethod``, ``getargspec`` and
``getfullargspec`` (their ``args`` read from the definition) -- and the iterator protocol of
generator expressions (``iter``, ``next(gen, default)``)."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from tfinit_audit.analysis.engine.frames import Mode, Raised, undecided
from tfinit_audit.analysis.engine.values import (
    BuiltinClassV,
    BuiltinV,
    ClassV,
    Const,
    DictV,
    FunctionV,
    GeneratorV,
    Instance,
    ModuleV,
    Seq,
    Unknown,
    Value,
    decorator_name,
)


def _sample() -> None:
    """A plain function: Python's function type answers which attributes every function
    has."""


class _Owner:
    def method(self) -> None:
        """A plain method: Python's bound-method type (attributes of its own)."""


_PY_FUNCTION: Any = _sample
_PY_METHOD: Any = _Owner().method
_PY_WRAPPER: Any = _PY_FUNCTION.__call__  # a method-wrapper: a slot of a builtin type, bound
# decorators that give back the function itself, seen through the class (attributes.py)
_TRANSPARENT = {"staticmethod", "classmethod"}
ITERATORS = ("generator", "iterator")  # ``Seq.kind`` of the values ``next`` advances


@dataclass(eq=False)
class MethodWrapperV(BuiltinV):
    """``f.__call__`` of a function ``f`` (``bound``): Python's method-wrapper, a slot of the
    function type; calling it calls ``f``. It has no ``__dict__``: its attributes are its
    type's."""

    def describe(self) -> str:
        return "method-wrapper"


def _call_through(f: FunctionV) -> Any:
    def call(it: Any, args: list[Value], kwargs: dict[str, Value], mode: Mode) -> Value:
        out: Value = it.call(f, args, kwargs, mode=mode)
        return out

    return call


def definition_key(f: FunctionV) -> tuple[str, str, int]:
    """The definition a function object comes from (every call of the enclosing function
    makes a new object of a nested one)."""
    node = f.fnode
    line = f.info.line if f.info is not None else getattr(node, "lineno", 0)
    return (f.src.path, f.qualname, line)


def set_function_attr(it: Any, f: FunctionV, name: str | None, value: Value) -> None:
    """Code set attribute ``name`` (None: a name not known) on the function object ``f``:
    ``f`` has it; other objects of its definition (a module-level function is made again
    each time it is looked up) may have it too, so ``hasattr`` of them is not decided by
    the type."""
    if name is not None:
        f.attrs[name] = value
    it.function_attrs.setdefault(definition_key(f), set()).add(name)


def function_attr(f: FunctionV, attr: str) -> Any:
    """An attribute of a function object the engine gives a value (None: not modelled here).
    A bound method forwards what its own type lacks to its function."""
    if attr in f.attrs:
        return f.attrs[attr]
    if attr == "__call__":
        return MethodWrapperV(name=f"{f.name}.__call__", fn=_call_through(f), bound=f)
    if attr == "__module__":
        return Const(value=f.module)
    if attr == "__dict__":  # every function has one; what import-time code put in it is
        return Unknown(text=f"{f.name}.__dict__")  # not all known (tf_export's names)
    if attr == "__qualname__":
        return Const(value=f.qualname)
    if f.bound is not None and attr == "__self__":
        return f.bound
    if f.bound is not None and attr == "__func__":
        return f.with_receiver(None)
    return None


def _plain_definition(it: Any, f: FunctionV, name: str) -> bool:
    """No decorator could have replaced the function or set attributes on it, no code of the
    question set ``name`` (or an attribute not known) on an object of its definition, and
    its module's text sets no such attribute of anything of its name (``f.name = ...``,
    ``setattr(f, ...)``: import-time code the question did not run)."""
    if any(decorator_name(d) not in _TRANSPARENT for d in f.written_decorators):
        return False
    noted = it.function_attrs.get(definition_key(f), set())
    if name in noted or None in noted:
        return False
    return not f.src.sets_attribute(f.name, name)


def has_attr(it: Any, obj: Value, name: str) -> bool | None:
    """``hasattr(obj, name)`` for a function object, decided by Python's types where the
    engine's own lookup found nothing: a function has what every function has (``__call__``,
    ``__doc__``...), a bound method also its type's (``__self__``, ``__func__``), a
    method-wrapper only its type's; anything else only if code set it -- a function never
    decorated (but for ``staticmethod``/``classmethod``) and never given an attribute by the
    code the question ran has none. None: not decided here."""
    if isinstance(obj, MethodWrapperV):
        return hasattr(_PY_WRAPPER, name)
    if not isinstance(obj, FunctionV):
        return None
    if hasattr(_PY_FUNCTION, name) or (obj.bound is not None and hasattr(_PY_METHOD, name)):
        return True
    return False if _plain_definition(it, obj, name) else None


# ------------------------------------------------------------------------------- inspect
def _is_class(it: Any, args: list[Value], kwargs: dict[str, Value], mode: Mode) -> Value:
    """``inspect.isclass(x)``."""
    if len(args) != 1 or isinstance(args[0], Unknown):
        return undecided(mode, "inspect.isclass")
    return Const(value=isinstance(args[0], ClassV | BuiltinClassV))


def _is_function(it: Any, args: list[Value], kwargs: dict[str, Value], mode: Mode) -> Value:
    """``inspect.isfunction(x)``: a function or lambda of the source."""
    if len(args) != 1 or isinstance(args[0], Unknown):
        return undecided(mode, "inspect.isfunction")
    return Const(value=isinstance(args[0], FunctionV) and not isinstance(
        args[0].bound, Instance | ClassV))


def _is_method(it: Any, args: list[Value], kwargs: dict[str, Value], mode: Mode) -> Value:
    """``inspect.ismethod(x)``: a bound method (a function seen through an object, or a
    classmethod through its class). A plain function, a method-wrapper, a class, module,
    object of a source class (``types.MethodType`` cannot be subclassed) or plain value is
    not one."""
    if len(args) != 1 or kwargs:
        return undecided(mode, "inspect.ismethod")
    x = args[0]
    if isinstance(x, FunctionV):
        return Const(value=x.bound is not None)
    if isinstance(x, MethodWrapperV | ClassV | BuiltinClassV | ModuleV | Const | Seq | DictV
                  | GeneratorV) or (isinstance(x, Instance) and isinstance(x.cls, ClassV)):
        return Const(value=False)
    return undecided(mode, "inspect.ismethod")


_ARGSPEC = ("args", "varargs", "keywords", "defaults")
_FULLARGSPEC = ("args", "varargs", "varkw", "defaults", "kwonlyargs", "kwonlydefaults",
                "annotations")


def _names(params: list[ast.arg]) -> Seq:
    return Seq(items=[Const(value=p.arg) for p in params], kind="list")


def _spec_fields(it: Any, f: FunctionV) -> dict[str, Value] | None:
    """The parts of ``inspect.getfullargspec(f)``; the receiver of a bound method is among
    ``args`` (``inspect`` does not skip it). Defaults are evaluated in the defining module."""
    node = f.node
    if node is None:
        return None
    a = node.args
    pos = [*a.posonlyargs, *a.args]

    def default(p: ast.arg) -> Value:
        found = it.parameter_default(f, p.arg) if not isinstance(node, ast.Lambda) else None
        return found[0] if found is not None else Unknown(text=f"default of {p.arg}")

    defaulted = pos[len(pos) - len(a.defaults):] if a.defaults else []
    kwdefaulted = [p for p, d in zip(a.kwonlyargs, a.kw_defaults, strict=True) if d is not None]
    annotated = [p for p in [*pos, *a.kwonlyargs, a.vararg, a.kwarg] if p is not None
                 and p.annotation is not None]
    returns = getattr(node, "returns", None)
    return {
        "args": _names(pos),
        "varargs": Const(value=a.vararg.arg if a.vararg is not None else None),
        "varkw": Const(value=a.kwarg.arg if a.kwarg is not None else None),
        "defaults": Seq(items=[default(p) for p in defaulted], kind="tuple") if defaulted
        else Const(value=None),
        "kwonlyargs": _names(a.kwonlyargs),
        "kwonlydefaults": DictV(items={p.arg: default(p) for p in kwdefaulted}) if kwdefaulted
        else Const(value=None),
        "annotations": DictV() if not annotated and returns is None
        else Unknown(text="annotations"),
    }


def _getargspec(full: bool) -> Any:
    name = "inspect.getfullargspec" if full else "inspect.getargspec"

    def call(it: Any, args: list[Value], kwargs: dict[str, Value], mode: Mode) -> Value:
        """``inspect.getargspec(f)`` / ``getfullargspec(f)`` of a source function or method
        (a named tuple); ``getargspec`` raises ValueError for keyword-only parameters or
        annotations, as Python's does."""
        f = args[0] if len(args) == 1 and not kwargs else None
        spec = _spec_fields(it, f) if isinstance(f, FunctionV) else None
        if spec is None:
            return undecided(mode, name)
        if full:
            return Seq(items=[spec[k] for k in _FULLARGSPEC], kind="tuple", fields=_FULLARGSPEC)
        kwonly = spec["kwonlyargs"]
        if (isinstance(kwonly, Seq) and kwonly.items) or not isinstance(spec["annotations"],
                                                                        DictV):
            raise Raised("ValueError", "Function has keyword-only parameters or annotations")
        items = [spec["args"], spec["varargs"], spec["varkw"], spec["defaults"]]
        return Seq(items=items, kind="tuple", fields=_ARGSPEC)

    return call


INSPECT: dict[str, Any] = {
    "inspect.isclass": _is_class,
    "inspect.isfunction": _is_function,
    "inspect.ismethod": _is_method,
    "inspect.getargspec": _getargspec(full=False),
    "inspect.getfullargspec": _getargspec(full=True),
}


# ------------------------------------------------------------------------------- iterators
def _iter(it: Any, args: list[Value], kwargs: dict[str, Value], mode: Mode) -> Value:
    """``iter(x)``: an iterator over a known sequence (its own items: it advances alone), a
    dict's keys or a string's characters; an iterator or generator is its own iterator."""
    x = args[0] if len(args) == 1 and not kwargs else None
    if isinstance(x, Seq) and x.kind in ITERATORS:
        return x
    if isinstance(x, Seq):
        return Seq(items=list(x.items), kind="iterator")
    if isinstance(x, DictV):
        return Seq(items=[Const(value=k) for k in x.items], kind="iterator")
    if isinstance(x, Const) and isinstance(x.value, str):
        return Seq(items=[Const(value=c) for c in x.value], kind="iterator")
    return undecided(mode, "iter")


def _next(it: Any, args: list[Value], kwargs: dict[str, Value], mode: Mode) -> Value:
    """``next(iterator[, default])``: the next item (the iterator advances), else the
    default, else StopIteration; a list or tuple is not an iterator (TypeError)."""
    if not 1 <= len(args) <= 2 or kwargs:
        return undecided(mode, "next")
    x = args[0]
    if isinstance(x, Seq) and x.kind in ITERATORS:
        if x.items:
            return x.items.pop(0)
        if len(args) == 2:
            return args[1]
        raise Raised("StopIteration", "")
    if (isinstance(x, Seq) and x.cls is None) or isinstance(x, DictV | Const):
        raise Raised("TypeError", "object is not an iterator")
    return undecided(mode, "next")


FUNCTIONS: dict[str, Any] = {"iter": _iter, "next": _next}
