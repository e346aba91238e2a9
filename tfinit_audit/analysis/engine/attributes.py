"""Attributes and classes: ``getattr`` on every kind of value, the MRO, class members and
descriptors (methods, properties, static and class methods), ``super()``."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from tfinit_audit.analysis.engine.base import InterpreterBase
from tfinit_audit.analysis.engine.decorators import decorated
from tfinit_audit.analysis.engine.frames import ABSTRACT, Frame, Mode, Raised, Undecidable
from tfinit_audit.analysis.engine.introspection import function_attr
from tfinit_audit.analysis.engine.mro import c3_merge, class_key
from tfinit_audit.analysis.engine.values import (
    MISSING,
    BuiltinClassV,
    BuiltinV,
    ClassV,
    Const,
    DictV,
    FunctionV,
    Instance,
    ModuleV,
    NamedTupleClassV,
    Seq,
    SuperV,
    Unknown,
    Value,
    decorator_name,
)


@dataclass
class ClassAttr:
    """A class-body assignment ``NAME = expr`` (evaluated when looked up)."""

    owner: ClassV
    expr: str
    line: int


class Attributes(InterpreterBase):
    _mro_memo: dict[tuple[Any, ...], list[Any] | None]
    _mro_active: set[tuple[Any, ...]]
    decorated_members: dict[Any, FunctionV | None]

    def getattr(self, obj: Value, attr: str, mode: Mode = ABSTRACT) -> Any:
        """``getattr(obj, attr)``: a value, or MISSING when Python would raise AttributeError."""
        if isinstance(obj, ModuleV):
            if self.global_writes and not mode.strict:
                written = self.global_writes.get((obj.name, attr))
                if written is not None:  # set through ``global`` by a function of the module
                    return written
            for rule in self.rules.asked("module_attr"):
                r = rule.module_attr(self, obj, attr)
                if r is not None:
                    return r
            if mode.strict:
                return self.imports.ns.getattr_module(obj, attr)
            try:  # import-time code run for an abstract question: its failures are unknowns
                return self.imports.ns.getattr_module(obj, attr)
            except (Raised, Undecidable, RecursionError):
                return Unknown(text=f"{obj.name}.{attr}")
        if isinstance(obj, Instance):
            return self._instance_attr(obj, attr, mode)
        if isinstance(obj, Seq) and obj.fields is not None:  # a namedtuple
            if attr in obj.fields:
                return obj.items[obj.fields.index(attr)]
            if isinstance(obj.cls, ClassV):  # of a source class deriving from one
                if attr == "__class__":
                    return obj.cls
                found = self.member(obj.cls, attr)
                if found is not None:
                    return self._bind_member(found[1], obj, obj.cls, mode)
        for rule in self.rules.asked("attr"):
            r = rule.attr(self, obj, attr)
            if r is not None:
                return r
        if isinstance(obj, ClassV):
            return self._class_attr(obj, attr, mode)
        if isinstance(obj, SuperV):
            return self._super_attr(obj, attr, mode)
        if isinstance(obj, Unknown):
            return Unknown(text=f"{obj.text}.{attr}", module=obj.module, path=obj.path,
                           line=obj.line)
        if isinstance(obj, Const | Seq | DictV):
            return self.value_method(obj, attr)
        if isinstance(obj, FunctionV) and attr == "__name__":
            return Const(value=obj.name)
        if isinstance(obj, FunctionV):
            found = function_attr(obj, attr)
            if found is not None:
                return found
        if isinstance(obj, BuiltinClassV) and attr == "__name__":
            return Const(value=obj.name)
        return self.special_attr(obj, attr)

    def value_method(self, obj: Value, attr: str) -> Any:
        raise NotImplementedError

    def special_attr(self, obj: Value, attr: str) -> Any:
        """Attributes of modelled objects (``sys.modules``...); MISSING for anything else."""
        return MISSING

    # ------------------------------------------------------------ instances
    def _instance_attr(self, obj: Instance, attr: str, mode: Mode) -> Any:
        if obj.pending is not None:
            self.force(obj)
        if attr in obj.attrs:
            return obj.attrs[attr]
        if attr == "__class__":
            return obj.cls
        if attr == "__dict__":
            return Unknown(text=f"{obj.cls.name}().__dict__")
        if isinstance(obj.cls, ClassV):
            found = self.member(obj.cls, attr)
            if found is not None:
                return self._bind_member(found[1], obj, obj.cls, mode)
            if mode.attribute_hooks:
                ga = self.member(obj.cls, "__getattr__")
                if ga is not None and isinstance(ga[1], FunctionV):
                    return self._dunder_getattr(obj, ga[1], attr, mode)
        return MISSING

    def _dunder_getattr(self, obj: Instance, fn: FunctionV, attr: str, mode: Mode) -> Value:
        key = (id(obj), attr)
        if key in self._getattr_active:
            if mode.strict:
                # import time: the lookup that is in progress further up has not bound the
                # name yet (a lazy loader whose module is still importing); Python's
                # ``from pkg import x`` then falls back on the submodule
                raise Raised("AttributeError", f"{attr!r} (still being looked up)", implicit=True)
            raise Undecidable(f"recursive __getattr__({attr!r})")
        self._getattr_active.add(key)
        try:
            return self.call(fn.with_receiver(obj), [Const(value=attr)], {}, mode=mode)
        finally:
            self._getattr_active.discard(key)

    _getattr_active: set[tuple[int, str]]

    def _bind_member(self, m: Any, obj: Value | None, cls: ClassV, mode: Mode) -> Any:
        """A class member seen through ``obj`` (None: through the class): descriptors apply."""
        if isinstance(m, ClassAttr):
            return self._class_attr_value(m, mode)
        assert isinstance(m, FunctionV)
        decos = {_deco_name(d) for d in m.decorators}
        if "property" in decos or "cached_property" in decos:
            if obj is None:
                return Unknown(text=f"{cls.name}.{m.name}")
            return self.call(m.with_receiver(obj), [], {}, mode=mode)
        if "staticmethod" in decos:
            return m
        if "classmethod" in decos:
            return m.with_receiver(cls)
        m = decorated(self, m, mode)  # what its decorators made of it
        return m if obj is None else m.with_receiver(obj)

    def _class_attr_value(self, m: ClassAttr, mode: Mode) -> Value:
        owner = m.owner
        mod = ModuleV(name=owner.module, path=owner.path)
        if mode.strict:
            try:
                return self.imports.eval_text(m.expr, mod, m.line)
            except Undecidable:
                return Unknown(text=m.expr, module=owner.module, path=owner.path, line=m.line)
        node = self.imports.parsed(m.expr, m.line, "eval")
        return self.eval(node, Frame(mod=mod, src=owner.src, locals={}, mode=mode,
                                     owner=owner))

    # ------------------------------------------------------------ classes
    def _class_attr(self, cls: ClassV, attr: str, mode: Mode) -> Any:
        found = self.member(cls, attr)
        if found is not None:
            return self._bind_member(found[1], None, cls, mode)
        if attr == "__name__":
            return Const(value=cls.name)
        if attr == "__mro__":
            return Seq(items=list(self.mro(cls)), kind="tuple")
        return MISSING

    def member(self, cls: ClassV, name: str, after: Value | None = None,
               start: ClassV | None = None) -> tuple[ClassV, Any] | None:
        """The first class of ``start``'s MRO (default ``cls``'s) after ``after`` that
        defines ``name`` in its body: (that class, unbound FunctionV or ClassAttr)."""
        chain = self.mro(start or cls)
        if after is not None:
            key = class_key(after)
            idx = next((i for i, c in enumerate(chain) if class_key(c) == key), None)
            chain = chain[idx + 1:] if idx is not None else []
        for c in chain:
            if not isinstance(c, ClassV):
                continue
            info = c.info
            fn = info.methods.get(name)
            if fn is not None:
                return c, FunctionV(src=c.src, info=fn, owner=c, modname=c.modname)
            attr = info.attrs.get(name)
            if attr is not None:
                return c, ClassAttr(c, attr[0], attr[1])
        return None

    def class_bases(self, c: ClassV) -> list[Any]:
        """The bases of ``c`` as values, evaluated in the defining module at the ``class``
        line; a base that cannot be followed is an ``Unknown`` carrying the text as written.
        No bases means ``object`` (Python 3 semantics, also what TF's ``(object)`` spells)."""
        mod = ModuleV(name=c.module, path=c.path)
        out: list[Any] = []
        for btxt in c.info.bases:
            try:
                with self.imports.ns.quiet():
                    bv = self.imports.eval_text(btxt, mod, c.info.line)
            except (Undecidable, Raised, SyntaxError, RecursionError):
                bv = None
            if not isinstance(bv, ClassV | BuiltinClassV):
                bv = Unknown(text=btxt, module=c.module, path=c.path, line=c.info.line)
            elif isinstance(bv, BuiltinClassV) and bv.name == "typing.NamedTuple":
                bv = self._typed_namedtuple(c, mod) or Unknown(
                    text=btxt, module=c.module, path=c.path, line=c.info.line)
            out.append(bv)
        return out or [BuiltinClassV(name="object")]

    def _typed_namedtuple(self, c: ClassV, mod: ModuleV) -> NamedTupleClassV | None:
        """``class C(NamedTuple): a: int; b: str = "x"`` is the namedtuple of the body's
        annotated names, in order, the values assigned to the last ones their defaults (as
        ``typing.NamedTupleMeta`` makes it); None when the body cannot be read or a default
        cannot be evaluated."""
        node = c.node
        if node is None:
            return None
        fields: list[str] = []
        defaults: list[Value] = []
        for st in node.body:
            if not isinstance(st, ast.AnnAssign) or not isinstance(st.target, ast.Name):
                continue
            fields.append(st.target.id)
            if st.value is not None:
                try:
                    with self.imports.ns.quiet():
                        defaults.append(self.imports.eval_text(
                            ast.unparse(st.value), mod, st.value.lineno))
                except (Undecidable, Raised, SyntaxError, RecursionError):
                    return None
            elif defaults:  # Python refuses a field without a default after one with
                return None
        return NamedTupleClassV(name=c.name, fields=tuple(fields), defaults=tuple(defaults))

    def c3_mro(self, cls: ClassV | BuiltinClassV | Unknown) -> list[Any] | None:
        """Python's C3 linearization of ``cls`` (``cls.__mro__``), bases resolved across
        modules. Unknown bases stay in the list with unknown ancestry. None when no
        consistent order exists (Python raises TypeError creating the class)."""
        key = class_key(cls)
        if key in self._mro_memo:
            return self._mro_memo[key]
        if isinstance(cls, Unknown):
            return [cls]
        if isinstance(cls, NamedTupleClassV):
            return [cls, BuiltinClassV(name="tuple"), BuiltinClassV(name="object")]
        if isinstance(cls, BuiltinClassV):
            return [cls] if cls.name == "object" else [cls, BuiltinClassV(name="object")]
        if key in self._mro_active:  # a cycle Python could never build: no order
            return None
        self._mro_active.add(key)
        try:
            bases = self.class_bases(cls)
            seqs: list[list[Any]] = []
            for b in bases:
                sub = self.c3_mro(b)
                if sub is None:
                    self._mro_memo[key] = None
                    return None
                seqs.append(list(sub))
            seqs.append(list(bases))
            result = c3_merge([cls], seqs)
        finally:
            self._mro_active.discard(key)
        self._mro_memo[key] = result
        return result

    def mro(self, cls: ClassV | BuiltinClassV | Unknown) -> list[Any]:
        """``cls.__mro__`` for attribute lookup: C3 (see ``c3_mro``); when Python would refuse
        the class, the bases in depth-first order so lookups still see something."""
        order = self.c3_mro(cls)
        if order is not None:
            return order
        out: list[Any] = []
        seen: set[tuple[Any, ...]] = set()

        def visit(c: Any, depth: int) -> None:
            k = class_key(c)
            if k in seen or depth > 30:
                return
            seen.add(k)
            out.append(c)
            if isinstance(c, ClassV):
                for b in self.class_bases(c):
                    visit(b, depth + 1)

        visit(cls, 0)
        return out

    def source_mro(self, cls: ClassV) -> list[ClassV]:
        """The MRO's classes that have source (builtins and unknown bases left out)."""
        return [c for c in self.mro(cls) if isinstance(c, ClassV)]

    def is_subclass(self, cls: Any, of: ClassV | BuiltinClassV) -> bool:
        key = class_key(of)
        return any(class_key(c) == key for c in self.mro(cls))

    # ------------------------------------------------------------ super()
    def _super_attr(self, sup: SuperV, attr: str, mode: Mode) -> Any:
        obj = sup.obj
        start = obj.cls if isinstance(obj, Instance) else sup.cls
        chain = self.mro(start)
        key = class_key(sup.cls)
        idx = next((i for i, c in enumerate(chain) if class_key(c) == key), None)
        for c in chain[idx + 1:] if idx is not None else []:
            if isinstance(c, BuiltinClassV):
                if c.name == "ModuleType" and attr == "__init__":
                    return BuiltinV(name="ModuleType.__init__", fn=_module_type_init(obj),
                                    bound=obj)
                continue
            if not isinstance(c, ClassV):
                continue
            fn = c.info.methods.get(attr)
            if fn is not None:
                m = FunctionV(src=c.src, info=fn, owner=c, modname=c.modname)
                return self._bind_member(m, obj, c, mode)
            a = c.info.attrs.get(attr)
            if a is not None:
                return self._class_attr_value(ClassAttr(c, a[0], a[1]), mode)
        return self.object_method(obj, attr)

    def object_method(self, obj: Value, attr: str) -> Any:
        """Methods of ``object`` reached through ``super()``: plain attribute storage."""
        fns = _object_methods(obj)
        if attr in fns:
            return BuiltinV(name=f"object.{attr}", fn=fns[attr], bound=obj)
        return MISSING


def _deco_name(d: str) -> str:
    if d.endswith(".setter"):
        return "setter"
    return decorator_name(d)


def _module_type_init(obj: Value) -> Any:
    def init(it: Any, a: list[Value], k: dict[str, Value], mode: Mode) -> Value:
        if isinstance(obj, Instance) and a:
            obj.attrs["__name__"] = a[0]
        return Const(value=None)

    return init


def _object_methods(obj: Value) -> dict[str, Any]:
    """``object.__init__`` / ``__setattr__`` / ``__getattribute__`` / ``__delattr__``."""

    def init(it: Any, a: list[Value], k: dict[str, Value], mode: Mode) -> Value:
        return Const(value=None)

    def setattr_(it: Any, a: list[Value], k: dict[str, Value], mode: Mode) -> Value:
        if isinstance(obj, Instance) and len(a) > 1 and isinstance(a[0], Const):
            obj.attrs[str(a[0].value)] = a[1]
        return Const(value=None)

    def getattribute(it: Any, a: list[Value], k: dict[str, Value], mode: Mode) -> Value:
        if isinstance(obj, Instance) and a and isinstance(a[0], Const) \
                and a[0].value in obj.attrs:
            return obj.attrs[a[0].value]
        name = a[0].describe() if a else ""
        raise Raised("AttributeError", f"no attribute {name}", implicit=True)

    def delattr_(it: Any, a: list[Value], k: dict[str, Value], mode: Mode) -> Value:
        if isinstance(obj, Instance) and a and isinstance(a[0], Const):
            obj.attrs.pop(str(a[0].value), None)
        return Const(value=None)

    return {"__init__": init, "__setattr__": setattr_, "__getattribute__": getattribute,
            "__delattr__": delattr_}
