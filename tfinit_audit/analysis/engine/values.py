"""The engine's one value model: what an abstract Python value can be.

Every value carries ``hops``: the real source lines that produced it (newest first), which
become provenance. Values are plain dataclasses with identity semantics (``eq=False``); an
attribute lookup that finds nothing returns the ``MISSING`` sentinel, never a value.

Rules (analysis/rules) add values of their own (an initializer object, a dtype...) by
subclassing ``Value``; the engine treats those through the small protocol on ``Value``
(``truth``, ``is_callable``, ``to_python``, ``describe``). ``describe`` words appear in
provenance notes ("__init__: self._units = 64"); containers, modules and builtins keep the
short names report.json has always shown for them ("SeqV", "DictV", "ModuleV", "Builtin").
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tfinit_audit.analysis.model import Hop

if TYPE_CHECKING:
    from collections.abc import Callable

    from tfinit_audit.analysis.engine.source import SourceModule
    from tfinit_audit.analysis.engine.summaries import ClassInfo, FunctionInfo


class NotConcrete(Exception):  # noqa: N818 - a question's answer, not an error
    """The value has no known Python equivalent."""


@dataclass(eq=False)
class Value:
    hops: tuple[Hop, ...] = field(default=(), kw_only=True)

    def truth(self) -> bool | None:
        """``bool(value)`` when known (objects are true unless a rule says otherwise)."""
        return True

    def is_callable(self) -> bool | None:
        return None

    def to_python(self) -> Any:
        """The Python value of a fully known value; raises NotConcrete otherwise."""
        raise NotConcrete

    def python_class(self) -> Any:
        """The class of the tree whose object this value stands for, when it is one (a rule's
        value for an object of a source class: ``isinstance`` asks it); None otherwise."""
        return None

    def describe(self) -> str:
        return type(self).__name__

    def same_as(self, other: Value) -> bool:
        """Would the program see ``other`` as this very value? Where two paths meet
        (``joins.merge``) a value both give alike stays known. The object itself by default;
        a rule's value that stands for a kind of thing rather than one object (a tensor of a
        static shape) says when another is alike."""
        return other is self


class _Sentinel:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}>"


MISSING: Any = _Sentinel("missing")  # attribute / name definitely absent
DELETED: Any = _Sentinel("deleted")  # a module-level ``del name`` was the last event


@dataclass(eq=False)
class Unknown(Value):
    """A value the engine cannot know; ``text`` says what it was (expression or reason)."""

    text: str = ""
    path: str = ""
    line: int = 0
    module: str = ""

    def truth(self) -> bool | None:
        return None

    def describe(self) -> str:
        return f"<unknown {self.text}>" if self.text else "<unknown>"


@dataclass(eq=False)
class Const(Value):
    """None, a bool, number, string or bytes."""

    value: Any = None

    def truth(self) -> bool | None:
        try:
            return bool(self.value)
        except Exception:  # noqa: BLE001
            return None

    def is_callable(self) -> bool | None:
        return callable(self.value)

    def to_python(self) -> Any:
        return self.value

    def describe(self) -> str:
        return repr(self.value)


@dataclass(eq=False)
class Seq(Value):
    """A list, tuple or set; ``kind`` says which ("shape": a TensorShape-like input shape).
    ``fields``: the field names of a ``collections.namedtuple`` instance (a tuple); ``cls``
    the source class of an instance of a class deriving from a namedtuple (its methods and
    properties)."""

    items: list[Value] = field(default_factory=list)
    kind: str = "list"
    fields: tuple[str, ...] | None = None
    cls: Any = None

    def python_class(self) -> Any:
        return self.cls

    def truth(self) -> bool | None:
        if self.kind in ("generator", "iterator"):  # an iterator is true, empty or not
            return True
        return bool(self.items)

    def is_callable(self) -> bool | None:
        return False

    def to_python(self) -> Any:
        return tuple(i.to_python() for i in self.items)

    def describe(self) -> str:
        return "SeqV"


@dataclass(eq=False)
class DictV(Value):
    items: dict[Any, Value] = field(default_factory=dict)

    def truth(self) -> bool | None:
        return bool(self.items) if self.items else None

    def is_callable(self) -> bool | None:
        return False

    def describe(self) -> str:
        return "DictV"


@dataclass(eq=False)
class ModuleV(Value):
    """A module object: ``path`` is its file (``dir/`` for a namespace package, None when the
    module is not in the tree, e.g. ``sys``)."""

    name: str = ""
    path: str | None = None

    @property
    def dir(self) -> str | None:
        if self.path is None:
            return None
        if self.path.endswith("/"):
            return self.path.rstrip("/")
        if self.path.endswith("/__init__.py"):
            return self.path[: -len("/__init__.py")]
        return None

    def describe(self) -> str:
        return "ModuleV"


@dataclass(eq=False)
class ClassV(Value):
    """A class defined in the tree's source."""

    src: SourceModule
    info: ClassInfo
    modname: str = ""  # the name its module was imported under (default: from the path)

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def module(self) -> str:
        return self.modname or self.src.dotted

    @property
    def path(self) -> str:
        return self.src.path

    @property
    def key(self) -> tuple[str, str]:
        return (self.src.path, self.info.qualname)

    @property
    def node(self) -> ast.ClassDef | None:
        return self.src.class_node(self.info)

    def is_callable(self) -> bool | None:
        return True

    def describe(self) -> str:
        return f"class {self.name}"


@dataclass(eq=False)
class BuiltinClassV(Value):
    """``object``, ``types.ModuleType``, the exception classes, ``str``/``int``/...."""

    name: str = "object"

    def is_callable(self) -> bool | None:
        return True

    def describe(self) -> str:
        return "Builtin"


@dataclass(eq=False)
class NamedTupleClassV(BuiltinClassV):
    """A class made by ``collections.namedtuple(typename, field_names)``: a subclass of
    ``tuple`` whose instances are ``Seq`` values with ``fields``."""

    fields: tuple[str, ...] = ()
    defaults: tuple[Value, ...] = ()  # of the last fields (``typing.NamedTuple`` ``f: T = v``)


@dataclass(eq=False)
class Decorated:
    """What a decorated method's function stands for: the method ``original`` as written,
    defined in the body of ``owner`` under the name ``name`` (the class holds the decorator's
    result under that name, as Python's ``class`` statement stores it)."""

    owner: ClassV | None
    name: str
    original: FunctionV


@dataclass(eq=False)
class FunctionV(Value):
    """A function or lambda from the source; ``bound`` is the receiver of a bound method,
    ``owner`` the class whose body defines it (for ``super()``), ``closure`` the enclosing
    function's names for nested functions and lambdas. Module-level functions and methods
    are known by their summary ``info``; their syntax tree is read when first needed."""

    src: SourceModule
    info: FunctionInfo | None = None
    owner: ClassV | None = None
    bound: Value | None = None
    closure: dict[str, Value] | None = None
    fnode: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | None = None
    modname: str = ""  # the name its module was imported under (default: from the path)
    # attributes code set on this function object (``wrapper._tf_decorator = d``); shared by
    # its copies and by the methods bound from it
    attrs: dict[str, Value] = field(default_factory=dict)
    # a decorator's result stored under a method's name (engine/decorators.py): the method
    # as written it was made from
    decorates: Decorated | None = None

    @property
    def module(self) -> str:
        return self.modname or self.src.dotted

    @property
    def node(self) -> ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | None:
        if self.fnode is None and self.info is not None:
            self.fnode = self.src.function_node(self.info)
        return self.fnode

    @property
    def name(self) -> str:
        """Its name; a decorator's result the class holds under a method's name goes by that
        name (what rules mean by "the layer's ``build``")."""
        if self.decorates is not None:
            return self.decorates.name
        if self.info is not None:
            return self.info.name
        return getattr(self.fnode, "name", "<lambda>")

    @property
    def qualname(self) -> str:
        return self.info.qualname if self.info is not None else self.name

    @property
    def decorators(self) -> list[str]:
        return self.info.decorators if self.info is not None else []

    @property
    def written_decorators(self) -> list[str]:
        """The decorators as written: the summary's, or, for a function no summary
        describes (one defined inside another), its node's (``decorators`` has none)."""
        if self.info is not None:
            return self.info.decorators
        return [ast.unparse(d) for d in getattr(self.node, "decorator_list", [])]

    def with_receiver(self, bound: Value | None) -> FunctionV:
        return FunctionV(src=self.src, info=self.info, owner=self.owner, bound=bound,
                         closure=self.closure, fnode=self.fnode, modname=self.modname,
                         attrs=self.attrs, decorates=self.decorates, hops=self.hops)

    def is_callable(self) -> bool | None:
        return True

    def describe(self) -> str:
        return f"function {self.name}"


@dataclass(eq=False)
class Instance(Value):
    """An instance of a source class. ``pending`` holds constructor arguments not run yet
    (abstract mode constructs lazily: objects nobody looks at stay cheap)."""

    cls: ClassV | BuiltinClassV
    attrs: dict[str, Value] = field(default_factory=dict)
    attr_lines: dict[str, Hop] = field(default_factory=dict)
    pending: tuple[Any, ...] | None = None
    # the keyword arguments the class call wrote by name (``name="query"``, ``name=name``;
    # not those passed through ``**config``), when made by a call expression of the source
    named_kwargs: dict[str, Value] | None = None

    def describe(self) -> str:
        return f"{self.cls.name} instance"


@dataclass(eq=False)
class GeneratorV(Value):
    """What calling a generator function gives (abstract mode): its body has not run. A
    ``with`` statement runs it as a context manager (``@contextlib.contextmanager``)."""

    fn: FunctionV
    args: list[Value] = field(default_factory=list)
    kwargs: dict[str, Value] = field(default_factory=dict)

    def describe(self) -> str:
        return f"generator {self.fn.name}"


@dataclass(eq=False)
class SuperV(Value):
    """``super(cls, obj)``: lookups start after ``cls`` in ``type(obj).__mro__``."""

    cls: ClassV | BuiltinClassV
    obj: Value

    def describe(self) -> str:
        return "SuperV"


@dataclass(eq=False)
class BuiltinV(Value):
    """A builtin function or a method of a modelled object; ``fn(interp, args, kwargs)``."""

    name: str = ""
    fn: Callable[..., Value] | None = None
    bound: Value | None = None

    def is_callable(self) -> bool | None:
        return True

    def describe(self) -> str:
        return "Builtin"


@dataclass(eq=False)
class ExceptionV(Value):
    """An exception instance raised by interpreted code."""

    name: str = "Exception"
    message: str = ""


# ------------------------------------------------------------------------------- helpers
def with_hops(v: Value, hops: tuple[Hop, ...] | list[Hop], front: bool = True) -> Value:
    """Copy of ``v`` with extra hops (front: newer derivation steps first). Mutable objects
    keep their identity (and their hops)."""
    if not hops:
        return v
    if isinstance(v, Instance | DictV | Seq):
        return v
    nv = _shallow_copy(v)
    nv.hops = tuple(hops) + v.hops if front else v.hops + tuple(hops)
    return nv


def _shallow_copy(v: Value) -> Any:
    """``copy.copy(v)`` for a value (a plain dataclass: no slots, ``__copy__`` or
    ``__reduce__`` of its own), without the pickling protocol copy.copy goes through."""
    nv = object.__new__(type(v))
    nv.__dict__.update(v.__dict__)
    return nv


def concrete(v: Value) -> Any:
    """Python value of a fully known value, else raise KeyError (the evaluator's idiom)."""
    try:
        return v.to_python()
    except NotConcrete:
        raise KeyError from None


def is_plain(v: Any) -> bool:
    """A fully known Python value (constants and containers of them)."""
    if isinstance(v, Const):
        return True
    if isinstance(v, Seq):
        return all(is_plain(i) for i in v.items)
    if isinstance(v, DictV):
        return all(is_plain(i) for i in v.items.values())
    return False


def to_value(x: Any) -> Value:
    """A Python value -> engine value (lists/tuples/dicts recursively)."""
    if isinstance(x, Value):
        return x
    if isinstance(x, list | tuple | set):
        kind = "list" if isinstance(x, list) else "tuple" if isinstance(x, tuple) else "set"
        return Seq(items=[to_value(i) for i in x], kind=kind)
    if isinstance(x, dict):
        return DictV(items={k: to_value(v) for k, v in x.items()})
    return Const(value=x)


def from_value(v: Value) -> Any:
    """Engine value -> Python value for plain values (list for lists, dict for dicts)."""
    if isinstance(v, Const):
        return v.value
    if isinstance(v, Seq):
        items = [from_value(i) for i in v.items]
        if v.kind in ("generator", "iterator"):  # true even when empty; consumed once
            return iter(items)
        return items if v.kind == "list" else tuple(items) if v.kind != "set" else set(items)
    if isinstance(v, DictV):
        return {k: from_value(i) for k, i in v.items.items()}
    raise KeyError


def describe(v: Value) -> str:
    return v.describe()


def decorator_name(d: str) -> str:
    """The name a decorator (as written) ends in: ``tf_utils.shape_type_conversion`` and
    ``doc_controls.do_not_generate_docs()`` give ``shape_type_conversion`` and
    ``do_not_generate_docs``."""
    return d.split("(", 1)[0].split(".")[-1].strip()
