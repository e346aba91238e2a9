"""Python's builtins, the methods of plain values, and the standard-library modules that
import-time code uses (``sys.modules``, ``importlib``, ``os.path`` over tree paths, ``types``,
``typing``), modelled for abstract values (``math`` and ``re``: engine/stdlib.py); and the
modules outside the tree that release code computes plain numbers and type checks with:
``numpy`` (constants, and functions of known numbers: ``np.sqrt(input_dim / 2.0)``,
``2 * np.pi``; its array types), ``six`` (the Python 2/3 type aliases:
``isinstance(x, six.string_types)``), ``inspect.isclass``/``isfunction``,
``functools.partial``, ``copy.copy`` (engine/copying.py), ``collections.namedtuple`` and
``string``'s constants (Keras ``MultiHeadAttention`` writes its einsum equations with them)."""

from __future__ import annotations

import builtins as _py
import posixpath
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tfinit_audit.analysis.engine import arrays, introspection
from tfinit_audit.analysis.engine.base import InterpreterBase
from tfinit_audit.analysis.engine.copying import copy_attr
from tfinit_audit.analysis.engine.frames import Frame, Mode, Raised, Undecidable, undecided
from tfinit_audit.analysis.engine.namespaces import dir_module
from tfinit_audit.analysis.engine.ordering import keyed
from tfinit_audit.analysis.engine.stdlib import stdlib_attr, stdlib_value_attr
from tfinit_audit.analysis.engine.values import (
    MISSING,
    BuiltinClassV,
    BuiltinV,
    ClassV,
    Const,
    DictV,
    ExceptionV,
    FunctionV,
    Instance,
    ModuleV,
    NamedTupleClassV,
    Seq,
    Unknown,
    Value,
    concrete,
    from_value,
    is_plain,
    to_value,
)

Fn = Callable[[Any, list[Value], dict[str, Value], Mode], Value]

EXCEPTIONS = {
    "Exception", "BaseException", "ImportError", "ModuleNotFoundError", "AttributeError",
    "NameError", "KeyError", "ValueError", "TypeError", "RuntimeError", "LookupError",
    "IndexError", "NotImplementedError",
}
TYPES = {"str": str, "int": int, "float": float, "bool": bool, "list": list, "tuple": tuple,
         "dict": dict, "set": set, "bytes": bytes, "frozenset": frozenset, "complex": complex}
OTHER_CLASSES = {"type", "property", "staticmethod", "classmethod"}


@dataclass(eq=False)
class SysModulesV(Value):
    """``sys.modules``."""


@dataclass(eq=False)
class GlobalsV(Value):
    """``globals()`` of a module."""

    mod: ModuleV | None = None


class Builtins(InterpreterBase):
    def builtin(self, name: str) -> Any:
        if name in EXCEPTIONS or name == "object" or name in TYPES or name in OTHER_CLASSES:
            return BuiltinClassV(name=name)
        fn = _FUNCTIONS.get(name)
        if fn is not None:
            return BuiltinV(name=name, fn=fn)
        if name in ("True", "False", "None"):
            return Const(value={"True": True, "False": False, "None": None}[name])
        return MISSING

    def call_builtin_class(self, cls: BuiltinClassV, args: list[Value],
                           kwargs: dict[str, Value], mode: Mode) -> Value:
        if cls.name in EXCEPTIONS:
            msg = args[0].value if args and isinstance(args[0], Const) and isinstance(
                args[0].value, str) else ""
            return ExceptionV(name=cls.name, message=msg)
        if cls.name == "type" and len(args) == 1 and not kwargs:
            return self.type_of(args[0])
        if isinstance(cls, NamedTupleClassV):
            return _make_named(cls.fields, cls.defaults)(self, args, kwargs, mode)
        t = TYPES.get(cls.name)
        if t is not None:
            return _convert(cls.name, t, args, kwargs, mode)
        if mode.strict:
            return Unknown(text=f"{cls.name}(...)")
        return Unknown(text=cls.name)

    def type_of(self, v: Value) -> Value:
        """``type(v)``: an instance's class; a plain constant's builtin type."""
        if isinstance(v, Instance):
            return v.cls
        if isinstance(v, Seq) and v.cls is not None:
            return v.cls
        if isinstance(v, Const) and type(v.value).__name__ in TYPES:
            return BuiltinClassV(name=type(v.value).__name__)
        return Unknown(text="type(...)")

    # ------------------------------------------------------------ methods of plain values
    def value_method(self, obj: Value, attr: str) -> Any:
        if isinstance(obj, Seq) and obj.fields is not None and attr in _NAMEDTUPLE_METHODS:
            return BuiltinV(name=f"namedtuple.{attr}", fn=_NAMEDTUPLE_METHODS[attr](obj),
                            bound=obj)
        if isinstance(obj, Seq) and obj.fields is not None and attr == "_fields":
            return Seq(items=[Const(value=f) for f in obj.fields], kind="tuple")
        if isinstance(obj, Seq) and attr in _SEQ_METHODS:
            return BuiltinV(name=f"list.{attr}", fn=_SEQ_METHODS[attr](obj), bound=obj)
        if isinstance(obj, DictV) and attr in _DICT_METHODS:
            return BuiltinV(name=f"dict.{attr}", fn=_DICT_METHODS[attr](obj), bound=obj)
        if isinstance(obj, Const) and not attr.startswith("__"):
            try:
                method = getattr(obj.value, attr)
            except AttributeError:
                return MISSING
            if callable(method):
                return BuiltinV(name=f"{type(obj.value).__name__}.{attr}",
                                fn=_python_method(method), bound=obj)
            return to_value(method)
        return MISSING

    # ------------------------------------------------------------ modelled modules
    def external_attr(self, mod: ModuleV, attr: str) -> Value:
        n = f"{mod.name}.{attr}"
        if n == "sys.modules":
            return SysModulesV()
        if n == "os.environ":
            return DictV()
        if n == "os.getenv":
            return BuiltinV(name=n, fn=_getenv)
        if n == "importlib.import_module":
            return BuiltinV(name=n, fn=_import_module)
        if n == "types.ModuleType":
            return BuiltinClassV(name="ModuleType")
        if n == "os.path":
            return self.imports.import_module("os.path")
        if mod.name == "os.path" and attr in _OS_PATH:
            return BuiltinV(name=n, fn=_os_path(attr))
        if n == "typing.TYPE_CHECKING":
            return Const(value=False)
        if n == "typing.NamedTuple":  # as a base class: attributes.class_bases
            return BuiltinClassV(name=n)
        found = stdlib_attr(mod.name, attr) or (copy_attr(attr) if mod.name == "copy" else None)
        if found is not None:
            return found
        numeric = _numeric_attr(mod.name, attr)
        if numeric is not None:
            return numeric
        if mod.name == "numpy" and attr in _NUMPY_CLASSES:
            return BuiltinClassV(name=n)
        if n in _INSPECT:
            return BuiltinV(name=n, fn=_INSPECT[n])
        if n == "functools.partial":
            return BuiltinV(name=n, fn=_partial)
        if n == "collections.namedtuple":
            return BuiltinV(name=n, fn=_namedtuple)
        if mod.name == "string" and attr in _STRING_CONSTANTS:
            return Const(value=getattr(string, attr))
        if mod.name == "six" and attr in _SIX:
            return _SIX[attr]()
        return Unknown(text=n, module=mod.name)

    def special_attr(self, obj: Value, attr: str) -> Any:
        if isinstance(obj, SysModulesV):
            return BuiltinV(name=f"sys.modules.{attr}", fn=_sys_modules_method(attr))
        if isinstance(obj, GlobalsV):
            return Unknown(text=f"globals().{attr}")
        if isinstance(obj, ExceptionV) and attr == "args":
            return Seq(items=[Const(value=obj.message)], kind="tuple")
        found = stdlib_value_attr(obj, attr) or arrays.attr(obj, attr)
        return MISSING if found is None else found

    def special_subscript(self, obj: Value, key: Value, frame: Frame) -> Value | None:
        if isinstance(obj, SysModulesV) and isinstance(key, Const) and isinstance(
                key.value, str):
            if key.value in self.imports.sys_modules:
                return self.imports.sys_modules[key.value]
            if frame.mode.strict:
                raise Raised("KeyError", repr(key.value), frame.path, 0)
        if isinstance(obj, GlobalsV) and obj.mod is not None and isinstance(key, Const) \
                and isinstance(key.value, str):
            g = Frame(mod=obj.mod, src=self.sources.module(obj.mod.path), locals={},
                      mode=frame.mode)
            return self.eval(_name(key.value), g)
        return None

    def container_keys(self, container: Value) -> set[Any] | None:
        if isinstance(container, SysModulesV):
            return set(self.imports.sys_modules)
        return None

    def globals_of(self, frame: Frame) -> Value:
        return GlobalsV(mod=frame.mod)

    def set_item(self, obj: Value, key: Value, value: Value, frame: Frame) -> None:
        if isinstance(obj, SysModulesV):
            if isinstance(key, Const) and isinstance(key.value, str) \
                    and not isinstance(value, Unknown):
                self.imports.set_module(key.value, value)
            return
        super().set_item(obj, key, value, frame)  # type: ignore[misc]


# ----------------------------------------------------------------------------- numbers
_NUMERIC_CONSTANTS = ("pi", "e", "inf", "nan", "tau")
# functions of plain numbers (and of plain sequences of numbers, for prod/sum); numpy arrays
# or random draws are not modelled
_NUMERIC_FUNCTIONS = ("sqrt", "log", "log2", "log10", "exp", "floor", "ceil", "fabs", "abs",
                      "square", "power", "pow", "prod", "sum", "maximum", "minimum")


def _numeric_attr(module: str, attr: str) -> Value | None:
    """``numpy.<attr>`` for the constants and number functions above (``math`` has its own
    table)."""
    if module != "numpy":
        return None
    if attr in _NUMERIC_CONSTANTS:
        lib: Any = _numpy()
        value = getattr(lib, attr, None) if lib is not None else None
        return Const(value=float(value)) if value is not None else None
    if attr in _NUMERIC_FUNCTIONS:
        return BuiltinV(name=f"{module}.{attr}", fn=_numeric_fn(module, attr))
    if attr in _INDEX_FUNCTIONS:
        return BuiltinV(name=f"{module}.{attr}", fn=_index_fn(module, attr))
    made = arrays.maker(attr)  # np.zeros / np.ones of a known shape (engine/arrays.py)
    return BuiltinV(name=f"{module}.{attr}", fn=made) if made is not None else None


# functions of plain sequences of whole numbers giving a 1-D array of them (index
# bookkeeping: ``np.delete(range(rank), axes)``); the array is modelled as a list
_INDEX_FUNCTIONS = ("delete",)


def _index_fn(module: str, attr: str) -> Fn:
    def call(it: Any, args: list[Value], kwargs: dict[str, Value], mode: Mode) -> Value:
        lib = _numpy()
        fn = getattr(lib, attr, None) if lib is not None else None
        if fn is not None and args and all(is_plain(a) for a in args) and not kwargs:
            try:
                out = fn(*(from_value(a) for a in args))
            except Exception:  # noqa: BLE001 - Python would raise: the value is not known
                out = None
            if getattr(out, "ndim", None) == 1 and getattr(out.dtype, "kind", "") in "iu":
                return Seq(items=[Const(value=int(x)) for x in out.tolist()])
        return undecided(mode, f"{module}.{attr}")

    return call


def _numpy() -> Any:
    try:
        import numpy
    except ImportError:  # pragma: no cover - numpy is a dependency of the tool
        return None
    return numpy


def _numeric_fn(module: str, attr: str) -> Fn:
    def call(it: Any, args: list[Value], kwargs: dict[str, Value], mode: Mode) -> Value:
        lib = _numpy()
        fn = getattr(lib, attr, None) if lib is not None else None
        if fn is not None and args and all(is_plain(a) for a in args) and not kwargs:
            try:
                out = fn(*(from_value(a) for a in args))
            except Exception:  # noqa: BLE001 - Python would raise: the value is not known
                out = None
            item = getattr(out, "item", None)  # a numpy scalar -> the Python number
            if callable(item) and getattr(out, "ndim", 0) == 0:
                out = item()
            if isinstance(out, int | float) and not isinstance(out, bool):
                return Const(value=out)
        return undecided(mode, f"{module}.{attr}")

    return call


# numpy's array and scalar types: no value the analysis models is one of them (an object of
# a source class is one only if a base of its class is; tensors are not numpy arrays)
_NUMPY_CLASSES = ("ndarray", "generic", "number", "integer", "floating", "bool_")


def _partial(it: Any, args: list[Value], kwargs: dict[str, Value], mode: Mode) -> Value:
    """``functools.partial(func, *args, **keywords)``: calling it calls ``func`` with the
    stored arguments first and the call's keywords over the stored ones."""
    if not args:
        return undecided(mode, "functools.partial()")
    func, stored, stored_kw = args[0], list(args[1:]), dict(kwargs)

    def call(it2: Any, a: list[Value], k: dict[str, Value], m: Mode) -> Value:
        out: Value = it2.call(func, [*stored, *a], {**stored_kw, **k}, mode=m)
        return out

    return BuiltinV(name=f"functools.partial({func.describe()})", fn=call)


def _namedtuple(it: Any, args: list[Value], kwargs: dict[str, Value], mode: Mode) -> Value:
    """``collections.namedtuple(typename, field_names)``: a callable making tuples whose
    fields are also attributes (field names as a list or one string, comma- or
    space-separated); other options (``defaults``, ``rename``) are not modelled."""
    names = args[1] if len(args) > 1 else kwargs.get("field_names")
    typename = args[0] if args else kwargs.get("typename")
    fields: list[str] = []
    if isinstance(names, Const) and isinstance(names.value, str):
        fields = names.value.replace(",", " ").split()
    elif isinstance(names, Seq) and all(isinstance(x, Const) and isinstance(x.value, str)
                                        for x in names.items):
        fields = [str(x.to_python()) for x in names.items]
    if not fields or set(kwargs) - {"typename", "field_names"} or not isinstance(
            typename, Const) or len(args) > 2:
        return undecided(mode, "collections.namedtuple(...)")
    return NamedTupleClassV(name=str(typename.value), fields=tuple(fields))


def _make_named(fields: tuple[str, ...], defaults: tuple[Value, ...] = ()) -> Fn:
    def call(it: Any, args: list[Value], kwargs: dict[str, Value], mode: Mode) -> Value:
        values = dict(zip(fields[len(fields) - len(defaults):], defaults, strict=True))
        given = {**dict(zip(fields, args, strict=False)), **kwargs}
        if len(args) > len(fields) or set(kwargs) - set(fields[len(args):]) \
                or set(fields) - set(given) - set(values):
            raise Raised("TypeError", "namedtuple arguments do not match its fields", "", 0)
        values.update(given)
        return Seq(items=[values[f] for f in fields], kind="tuple", fields=fields)

    return call


def _namedtuple_replace(s: Seq) -> Fn:
    def call(it: Any, args: list[Value], kwargs: dict[str, Value], mode: Mode) -> Value:
        assert s.fields is not None
        if args or set(kwargs) - set(s.fields):
            raise Raised("ValueError", "_replace of unknown fields", "", 0)
        items = [kwargs.get(f, v) for f, v in zip(s.fields, s.items, strict=True)]
        return Seq(items=items, kind="tuple", fields=s.fields)

    return call


def _namedtuple_asdict(s: Seq) -> Fn:
    def call(it: Any, args: list[Value], kwargs: dict[str, Value], mode: Mode) -> Value:
        assert s.fields is not None
        return DictV(items=dict(zip(s.fields, s.items, strict=True)))

    return call


_NAMEDTUPLE_METHODS: dict[str, Callable[[Seq], Fn]] = {
    "_replace": _namedtuple_replace, "_asdict": _namedtuple_asdict,
}


_INSPECT: dict[str, Fn] = introspection.INSPECT


_STRING_CONSTANTS = ("ascii_lowercase", "ascii_uppercase", "ascii_letters", "digits",
                     "hexdigits", "octdigits", "punctuation", "whitespace")


_SIX: dict[str, Callable[[], Value]] = {
    "string_types": lambda: Seq(items=[BuiltinClassV(name="str")], kind="tuple"),
    "integer_types": lambda: Seq(items=[BuiltinClassV(name="int")], kind="tuple"),
    "text_type": lambda: BuiltinClassV(name="str"),
    "binary_type": lambda: BuiltinClassV(name="bytes"),
    "PY2": lambda: Const(value=False),
    "PY3": lambda: Const(value=True),
}


def _name(n: str) -> Any:
    import ast

    return ast.Name(id=n, ctx=ast.Load(), lineno=0)


# ----------------------------------------------------------------------------- functions
def _convert(name: str, t: type, args: list[Value], kwargs: dict[str, Value],
             mode: Mode) -> Value:
    if name in ("list", "tuple", "set", "frozenset"):
        if not args:
            return Seq(kind="set" if name == "frozenset" else name)
        if isinstance(args[0], Seq):
            return Seq(items=list(args[0].items), kind=_kind(name))
        if isinstance(args[0], DictV):
            return Seq(items=[Const(value=k) for k in args[0].items], kind=_kind(name))
        if isinstance(args[0], Const) and isinstance(args[0].value, str):
            return Seq(items=[Const(value=c) for c in args[0].value], kind=_kind(name))
        return undecided(mode, name)
    if name == "dict":
        d = DictV(items=dict(kwargs))
        if args and isinstance(args[0], DictV):
            d.items = {**args[0].items, **kwargs}
        elif args and isinstance(args[0], Seq):
            pairs = _pairs(args[0])
            if pairs is None:
                return undecided(mode, name)
            d.items = {**pairs, **kwargs}
        elif args:
            return undecided(mode, name)
        return d
    if not args:
        return Const(value=t())
    if all(is_plain(a) for a in args):
        try:
            return to_value(t(*(from_value(a) for a in args)))
        except Exception:  # noqa: BLE001 - Python would raise: the value is not known
            pass
    return undecided(mode, name)


def _pairs(seq: Seq) -> dict[Any, Value] | None:
    """``dict(pairs)``: each item a 2-sequence whose key is a known constant."""
    out: dict[Any, Value] = {}
    for item in seq.items:
        if not (isinstance(item, Seq) and len(item.items) == 2 and isinstance(item.items[0],
                                                                               Const)):
            return None
        out[item.items[0].value] = item.items[1]
    return out


def _kind(name: str) -> str:
    return "set" if name == "frozenset" else name


def _plain_fn(name: str) -> Fn:
    fn = getattr(_py, name)

    def call(it: Any, args: list[Value], kwargs: dict[str, Value], mode: Mode) -> Value:
        if all(is_plain(a) for a in args) and not kwargs:
            try:
                return to_value(fn(*(from_value(a) for a in args)))
            except Exception:  # noqa: BLE001 - Python would raise: the value is not known
                pass
        return undecided(mode, name)

    return call


def _len(it: Any, args: list[Value], kwargs: dict[str, Value], mode: Mode) -> Value:
    if args and isinstance(args[0], Seq | DictV):
        return Const(value=len(args[0].items))
    if args and isinstance(args[0], Const):
        return Const(value=len(args[0].value))
    return undecided(mode, "len")


def _callable(it: Any, args: list[Value], kwargs: dict[str, Value], mode: Mode) -> Value:
    c = args[0].is_callable() if args else None
    return Unknown(text="callable") if c is None else Const(value=c)


def _getattr(it: Any, args: list[Value], kwargs: dict[str, Value], mode: Mode) -> Value:
    if len(args) < 2 or not isinstance(args[1], Const) or not isinstance(args[1].value, str):
        return undecided(mode, "getattr with unknown name")
    v = it.getattr(args[0], args[1].value, mode)
    if mode.strict:
        if v is MISSING:
            if len(args) > 2:
                return args[2]
            raise Raised("AttributeError", f"no attribute {args[1].value!r}", implicit=True)
        return v
    if v is MISSING or isinstance(v, Unknown):
        return args[2] if len(args) > 2 else Unknown(text=f"getattr {args[1].value}")
    return v


def _hasattr(it: Any, args: list[Value], kwargs: dict[str, Value], mode: Mode) -> Value:
    if len(args) != 2 or not isinstance(args[1], Const) or not isinstance(args[1].value, str):
        return undecided(mode, "hasattr")
    obj, name = args[0], args[1].value
    if mode.strict:
        try:
            found = it.getattr(obj, name, mode) is not MISSING
        except Raised:
            return Const(value=False)
        return Const(value=found or bool(introspection.has_attr(it, obj, name)))
    if isinstance(obj, Unknown):
        return Unknown(text="hasattr")
    v = it.getattr(obj, name, mode)
    if v is not MISSING and not isinstance(v, Unknown):
        return Const(value=True)  # found is found (a rule's value says so too)
    if isinstance(obj, Const | Seq | DictV):
        # a plain Python value: its type decides (a list or tuple has no ``shape``)
        py = obj.value if isinstance(obj, Const) else (
            {} if isinstance(obj, DictV) else {"list": [], "tuple": (), "set": set()}.get(
                obj.kind, ()))
        return Const(value=hasattr(py, name))
    by_type = introspection.has_attr(it, obj, name)  # a function object: Python's types decide
    if by_type is not None:
        return Const(value=by_type)
    # absent here may still be set by code the analysis does not model: not decided
    return Unknown(text="hasattr")


def _setattr(it: Any, args: list[Value], kwargs: dict[str, Value], mode: Mode) -> Value:
    if len(args) == 3 and isinstance(args[0], Instance) and isinstance(args[1], Const):
        args[0].attrs[str(args[1].value)] = args[2]
    elif len(args) == 3 and isinstance(args[0], FunctionV):
        name = args[1].value if isinstance(args[1], Const) else None
        introspection.set_function_attr(it, args[0], name, args[2])
    return Const(value=None)


def _isinstance(it: Any, args: list[Value], kwargs: dict[str, Value], mode: Mode) -> Value:
    if len(args) != 2:
        return undecided(mode, "isinstance")
    return isinstance_of(it, args[0], args[1])


def isinstance_of(it: Any, v: Value, cls: Value) -> Value:
    if isinstance(cls, Seq):
        outs = [isinstance_of(it, v, c) for c in cls.items]
        if any(isinstance(o, Const) and o.value for o in outs):
            return Const(value=True)
        if all(isinstance(o, Const) for o in outs):
            return Const(value=False)
        return Unknown(text="isinstance")
    if isinstance(cls, BuiltinClassV) and cls.name in TYPES:
        t = TYPES[cls.name]
        if isinstance(v, Const):
            return Const(value=isinstance(v.value, t))
        if isinstance(v, DictV):
            return Const(value=t is dict)
        if isinstance(v, Seq):
            return Const(value=(t is list and v.kind == "list")
                         or (t is tuple and v.kind == "tuple") or (t is set and v.kind == "set"))
        if isinstance(v, Unknown):
            return Unknown(text="isinstance")
        return Const(value=False)  # a module, class, function, instance, rule value...
    if isinstance(cls, BuiltinClassV) and cls.name.startswith("numpy."):
        if isinstance(v, Unknown):
            return Unknown(text="isinstance")
        if isinstance(v, Instance) and isinstance(v.cls, ClassV):
            bases = it.mro(v.cls)
            if any(isinstance(b, Unknown) for b in bases):
                return Unknown(text="isinstance")
            return Const(value=any(isinstance(b, BuiltinClassV) and b.name == cls.name
                                   for b in bases))
        return Const(value=False)
    if isinstance(cls, ClassV):
        if isinstance(v, Instance):
            return Const(value=it.is_subclass(v.cls, cls))
        of = v.python_class()
        if isinstance(of, ClassV):
            return Const(value=it.is_subclass(of, cls))
        if isinstance(v, Const) and v.value is None:
            return Const(value=False)
        if isinstance(v, Const | DictV | FunctionV):
            return Const(value=False)
    return Unknown(text="isinstance")


def _enumerate(it: Any, args: list[Value], kwargs: dict[str, Value], mode: Mode) -> Value:
    items = _iterated(args[0]) if args else None
    if items is not None:
        start = args[1] if len(args) > 1 else kwargs.get("start", Const(value=0))
        if isinstance(start, Const) and isinstance(start.value, int):
            return Seq(items=[Seq(items=[Const(value=i), v], kind="tuple")
                              for i, v in enumerate(items, start.value)])
    return undecided(mode, "enumerate")


def _iterated(v: Value) -> list[Value] | None:
    """What ``for x in v`` goes over: a sequence's items, a dict's keys, a string's
    characters."""
    if isinstance(v, Seq):
        return list(v.items)
    if isinstance(v, DictV):
        return [Const(value=k) for k in v.items]
    if isinstance(v, Const) and isinstance(v.value, str):
        return [Const(value=c) for c in v.value]
    return None


def _zip(it: Any, args: list[Value], kwargs: dict[str, Value], mode: Mode) -> Value:
    if args and all(isinstance(a, Seq) for a in args):
        seqs = [a.items for a in args if isinstance(a, Seq)]
        return Seq(items=[Seq(items=list(t), kind="tuple") for t in zip(*seqs, strict=False)])
    return undecided(mode, "zip")


def _range(it: Any, args: list[Value], kwargs: dict[str, Value], mode: Mode) -> Value:
    try:
        return Seq(items=[Const(value=i) for i in range(*[int(concrete(a)) for a in args])])
    except (KeyError, TypeError, ValueError):
        return undecided(mode, "range")


def _print(it: Any, args: list[Value], kwargs: dict[str, Value], mode: Mode) -> Value:
    return Const(value=None)


def _dir(it: Any, args: list[Value], kwargs: dict[str, Value], mode: Mode) -> Value:
    """``dir(obj)``: a module's bound names; an object whose class defines ``__dir__`` (a
    lazy loader forwarding to the module it loads) answers through it. ``dir()`` of the
    calling scope is not modelled."""
    if len(args) != 1 or kwargs:
        return undecided(mode, "dir")
    obj = args[0]
    if isinstance(obj, ModuleV) and obj.path is not None:
        return Seq(items=[Const(value=n) for n in dir_module(it.imports.ns, obj)])
    if isinstance(obj, Instance) and isinstance(obj.cls, ClassV):
        found = it.member(obj.cls, "__dir__")
        if found is not None and isinstance(found[1], FunctionV):
            return it.call(found[1].with_receiver(obj), [], {}, mode=mode)
    return undecided(mode, "dir")


_FUNCTIONS: dict[str, Fn] = {
    "len": _len, "callable": _callable, "getattr": _getattr, "hasattr": _hasattr,
    "setattr": _setattr, "isinstance": _isinstance, "enumerate": _enumerate, "zip": _zip,
    "range": _range, "print": _print, "dir": _dir, "slice": arrays.make_slice,
    **introspection.FUNCTIONS,
    **{n: keyed(n, _plain_fn(n), _iterated) for n in ("max", "min", "sorted")},
    **{n: _plain_fn(n) for n in ("abs", "sum", "any", "all", "round",
                                 "repr", "ord", "chr", "divmod", "pow", "hash")},
}


# ----------------------------------------------------------------------------- methods
def _python_method(method: Callable[..., Any]) -> Fn:
    def call(it: Any, args: list[Value], kwargs: dict[str, Value], mode: Mode) -> Value:
        if all(is_plain(a) for a in args) and all(is_plain(v) for v in kwargs.values()):
            return to_value(method(*(from_value(a) for a in args),
                                   **{k: from_value(v) for k, v in kwargs.items()}))
        return undecided(mode, getattr(method, "__name__", "method"))

    return call


def _seq_append(s: Seq) -> Fn:
    def call(it: Any, args: list[Value], kwargs: dict[str, Value], mode: Mode) -> Value:
        s.items.append(args[0])
        return Const(value=None)
    return call


def _seq_extend(s: Seq) -> Fn:
    def call(it: Any, args: list[Value], kwargs: dict[str, Value], mode: Mode) -> Value:
        if args and isinstance(args[0], Seq):
            s.items.extend(args[0].items)
            return Const(value=None)
        return undecided(mode, "list.extend")
    return call


def _seq_insert(s: Seq) -> Fn:
    def call(it: Any, args: list[Value], kwargs: dict[str, Value], mode: Mode) -> Value:
        if len(args) == 2 and isinstance(args[0], Const) and isinstance(args[0].value, int):
            s.items.insert(args[0].value, args[1])
            return Const(value=None)
        return undecided(mode, "list.insert")
    return call


_SEQ_METHODS: dict[str, Callable[[Seq], Fn]] = {
    "append": _seq_append, "extend": _seq_extend, "insert": _seq_insert,
}


def _dict_get(d: DictV) -> Fn:
    def call(it: Any, args: list[Value], kwargs: dict[str, Value], mode: Mode) -> Value:
        if args and isinstance(args[0], Const):
            return d.items.get(args[0].value, args[1] if len(args) > 1 else Const(value=None))
        return undecided(mode, "dict.get")
    return call


def _dict_view(d: DictV, which: str) -> Fn:
    def call(it: Any, args: list[Value], kwargs: dict[str, Value], mode: Mode) -> Value:
        if which == "keys":
            return Seq(items=[Const(value=k) for k in d.items])
        if which == "values":
            return Seq(items=list(d.items.values()))
        return Seq(items=[Seq(items=[Const(value=k), v]) for k, v in d.items.items()])
    return call


def _dict_update(d: DictV) -> Fn:
    def call(it: Any, args: list[Value], kwargs: dict[str, Value], mode: Mode) -> Value:
        if args and isinstance(args[0], DictV):
            d.items.update(args[0].items)
        elif args:
            return undecided(mode, "dict.update")
        d.items.update(kwargs)
        return Const(value=None)
    return call


def _dict_pop(d: DictV) -> Fn:
    def call(it: Any, args: list[Value], kwargs: dict[str, Value], mode: Mode) -> Value:
        if args and isinstance(args[0], Const):
            return d.items.pop(args[0].value, args[1] if len(args) > 1 else Unknown())
        return undecided(mode, "dict.pop")
    return call


def _dict_setdefault(d: DictV) -> Fn:
    def call(it: Any, args: list[Value], kwargs: dict[str, Value], mode: Mode) -> Value:
        if args and isinstance(args[0], Const):
            return d.items.setdefault(args[0].value,
                                      args[1] if len(args) > 1 else Const(value=None))
        return undecided(mode, "dict.setdefault")
    return call


_DICT_METHODS: dict[str, Callable[[DictV], Fn]] = {
    "get": _dict_get, "update": _dict_update, "pop": _dict_pop,
    "setdefault": _dict_setdefault,
    "keys": lambda d: _dict_view(d, "keys"), "values": lambda d: _dict_view(d, "values"),
    "items": lambda d: _dict_view(d, "items"),
}


# ----------------------------------------------------------------------------- stdlib
def _getenv(it: Any, args: list[Value], kwargs: dict[str, Value], mode: Mode) -> Value:
    return args[1] if len(args) > 1 else kwargs.get("default", Const(value=None))


def _import_module(it: Any, args: list[Value], kwargs: dict[str, Value], mode: Mode) -> Value:
    target = args[0] if args else kwargs.get("name")
    if not isinstance(target, Const) or not isinstance(target.value, str):
        raise Undecidable("import_module of an unknown name")
    name = target.value
    if name.startswith("."):
        raise Undecidable("relative import_module")
    m = it.imports.import_module(name)
    if m is MISSING:
        # the module may come from a distribution outside the tree: "cannot follow",
        # not "unavailable"
        raise Undecidable(f"importlib.import_module({name!r}) not found in the tree")
    return m


def _sys_modules_method(attr: str) -> Fn:
    def call(it: Any, args: list[Value], kwargs: dict[str, Value], mode: Mode) -> Value:
        key = args[0].value if args and isinstance(args[0], Const) else None
        if not isinstance(key, str):
            raise Undecidable(f"sys.modules.{attr}")
        mods = it.imports.sys_modules
        if attr == "setdefault":
            if key not in mods:
                it.imports.set_module(key, args[1] if len(args) > 1 else Const(value=None))
            return mods[key]
        if attr == "get":
            return mods.get(key, args[1] if len(args) > 1 else Const(value=None))
        raise Undecidable(f"sys.modules.{attr}")

    return call


_OS_PATH = ("dirname", "basename", "join", "abspath", "normpath", "realpath", "exists",
            "isdir", "isfile")


def _os_path(fn: str) -> Fn:
    """``os.path`` over tree paths: the tree root stands for the install directory, so
    ``abspath`` is ``normpath`` inside it; a path that is not a known string is unknown."""

    def call(it: Any, args: list[Value], kwargs: dict[str, Value], mode: Mode) -> Value:
        if not args or kwargs or not all(
                isinstance(x, Const) and isinstance(x.value, str) for x in args):
            return Unknown(text=f"os.path.{fn}(...)")
        a = [str(x.value) for x in args if isinstance(x, Const)]
        tree = it.sources.tree
        if fn == "join":
            return Const(value=posixpath.join(*a))
        p = a[0]
        if fn in ("abspath", "normpath", "realpath"):
            n = posixpath.normpath(p)
            return Const(value="" if n == "." else n)
        if fn == "dirname":
            return Const(value=posixpath.dirname(p))
        if fn == "basename":
            return Const(value=posixpath.basename(p))
        n = posixpath.normpath(p)
        if fn == "isdir":
            return Const(value=bool(tree.list(n)))
        if fn == "isfile":
            return Const(value=tree.read_text(n) is not None)
        return Const(value=tree.exists(n))

    return call
