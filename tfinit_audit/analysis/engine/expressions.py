"""Expressions: one handler per syntax node type (``EXPRESSIONS``), in both modes."""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from typing import Any

from tfinit_audit.analysis.engine import arrays
from tfinit_audit.analysis.engine.base import STEP_BUDGET, InterpreterBase
from tfinit_audit.analysis.engine.calls import Calls
from tfinit_audit.analysis.engine.frames import (
    Frame,
    PathEnds,
    Raised,
    RaiseSignal,
    Refusal,
    Refused,
    Undecidable,
)
from tfinit_audit.analysis.engine.values import (
    DELETED,
    MISSING,
    BuiltinClassV,
    ClassV,
    Const,
    DictV,
    FunctionV,
    Instance,
    Seq,
    Unknown,
    Value,
    concrete,
    from_value,
    is_plain,
    to_value,
)

_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARYOPS: dict[type, Callable[[Any], Any]] = {
    ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Invert: operator.invert,
}
# the Python types a Const holds exactly: an operator Python refuses on them is refused by
# the real program too (a shape's entry may stand for a TF 1.x Dimension, never a Const
# of another type)
_SCALAR_TYPES = (type(None), bool, int, float, complex, str, bytes)
_CMPOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge,
}


class Expressions(InterpreterBase):
    _globals: dict[tuple[str, str], Any]  # module-level names as abstract code sees them

    def eval(self, node: ast.expr, frame: Frame) -> Value:
        if frame.mode.strict:  # self.tick(frame), inlined: this runs for every node
            self.steps += 1
            if self.steps > STEP_BUDGET:
                self.over_budget(frame)
        else:
            self.abstract_steps += 1
            if self.abstract_steps > self.abstract_budget:
                self.over_budget(frame)
        handler = EXPRESSIONS.get(type(node))
        if handler is None:
            return self.undecidable(frame, self.unparse(node), node)
        return handler(self, node, frame)

    # ------------------------------------------------------------ names
    def _e_constant(self, e: ast.Constant, frame: Frame) -> Value:
        return Const(value=e.value)

    def _e_name(self, e: ast.Name, frame: Frame) -> Value:
        name = e.id
        if name in frame.locals:
            return frame.locals[name]
        if frame.closure and name in frame.closure:
            return frame.closure[name]
        v = self.global_name(frame, name)
        if v is MISSING or (not frame.mode.strict and isinstance(v, Unknown)):
            b = self.builtin(name)
            if b is not MISSING:
                return b
        if v is MISSING:
            if frame.mode.strict:
                raise Raised("NameError", f"name '{name}' is not defined", frame.path, 0)
            return Unknown(text=name, path=frame.path or "", line=e.lineno)
        return v

    def global_name(self, frame: Frame, name: str) -> Any:
        """A module-level name of the frame's module (no builtins), or MISSING. What a
        function set through ``global`` is what function code reads (module-level code, run
        at import, reads the module's own binding)."""
        if self.global_writes:
            written = self.global_writes.get((frame.mod.name, name))
            if written is not None and (not frame.mode.strict or name in frame.declared):
                return written
        ns = self.imports.ns
        if frame.mode.strict:
            if frame.quiet:
                with ns.quiet():
                    v = ns.lookup_global(frame.mod, name, frame.before, builtins=False)
            else:
                v = ns.lookup_global(frame.mod, name, frame.before, builtins=False)
            return v
        key = (frame.mod.name, name)
        v = self._globals.get(key)
        if v is not None:
            return v
        try:
            with ns.quiet():
                v = ns.lookup_global(frame.mod, name, None, builtins=False)
        except (Raised, Undecidable, RecursionError):
            v = Unknown(text=name, path=frame.path or "")
        if v is DELETED:
            v = MISSING
        self._globals[key] = v
        return v

    def _e_attribute(self, e: ast.Attribute, frame: Frame) -> Value:
        base = self.eval(e.value, frame)
        if frame.mode.strict:
            v = self.getattr(base, e.attr, frame.mode)
            if v is MISSING:
                raise Raised("AttributeError", f"no attribute {e.attr!r}", frame.path, e.lineno,
                             implicit=True)
            return v
        if isinstance(base, Unknown):
            return Unknown(text=self.unparse(e))
        v = self.getattr(base, e.attr, frame.mode)
        if v is not MISSING:
            return v
        if isinstance(base, Instance):
            return Unknown(text=f"{base.cls.name}.{e.attr}")
        return Unknown(text=self.unparse(e))

    # ------------------------------------------------------------ operators
    def binop(self, op: ast.operator, a: Value, b: Value, frame: Frame,
              node: ast.AST | None = None) -> Value:
        """``a <op> b`` (``node``: the expression or augmented assignment, for where)."""
        if isinstance(a, Seq) and isinstance(b, Seq) and isinstance(op, ast.Add):
            return Seq(items=a.items + b.items, kind=a.kind)
        fn = _BINOPS.get(type(op))
        if fn is not None and is_plain(a) and is_plain(b):
            try:
                return to_value(fn(from_value(a), from_value(b)))
            except TypeError as exc:
                if _scalars(a, b):  # Python refuses these operands: it raises here
                    return self.python_raises(frame, node, "TypeError", str(exc), (a, b))
            except Exception:  # noqa: BLE001 - Python would raise: we do not know the value
                pass
        r = arrays.binop(op, a, b)  # a numpy array of known values
        if r is not None:
            return r
        for rule in self.rules.asked("binop"):
            try:
                r = rule.binop(self, op, a, b)
            except Refused as exc:  # TensorFlow refuses these operands: it raises here
                return self.python_raises(frame, node, exc.exc, exc.message, exc.operands)
            if r is not None:
                return r
        return self.undecidable(frame, "arithmetic")

    def _e_binop(self, e: ast.BinOp, frame: Frame) -> Value:
        return self.binop(e.op, self.eval(e.left, frame), self.eval(e.right, frame), frame, e)

    def python_raises(self, frame: Frame, node: ast.AST | None, exc: str, message: str,
                      operands: tuple[Value, ...]) -> Value:
        """Python itself raises ``exc`` evaluating ``node``: an operator on ``operands`` it
        refuses (or a rule's ``Refused``: TensorFlow refuses them). Abstract mode records it
        as a ``Refusal`` when the path is decided (no arm of an undecidable ``if`` on the way)
        and ends the path as a ``raise`` statement does: the statement running ``node`` is
        the function's last (``PathEnds``; a ``try`` whose handler catches ``exc`` forgets the
        record). Import mode gives up on the running call, as before (module namespaces are
        read binding by binding: a ``try`` around one is not seen there)."""
        text = self.unparse(node) if node is not None else "arithmetic"
        line = getattr(node, "lineno", 0)
        if frame.mode.strict:
            return self.undecidable(frame, text, node)
        if frame.path is not None and not frame.speculative and not self.speculating:
            self.refusals.append(Refusal(frame.path, line, text, f"{exc}: {message}",
                                         operands))
        raise PathEnds(RaiseSignal(path=frame.path or "", line=line))

    def truth(self, v: Value, frame: Frame) -> bool | None:
        if frame.mode.strict and isinstance(v, DictV):
            return bool(v.items)
        return v.truth()

    def _e_boolop(self, e: ast.BoolOp, frame: Frame) -> Value:
        cur: Value = Const(value=None)
        for i, sub in enumerate(e.values):
            cur = self.eval(sub, frame)
            if i == len(e.values) - 1:
                return cur
            t = self.truth(cur, frame)
            if t is None:
                return self.undecidable(frame, self.unparse(e), e)
            if isinstance(e.op, ast.Or) and t:
                return cur
            if isinstance(e.op, ast.And) and not t:
                return cur
        return cur

    def _e_unaryop(self, e: ast.UnaryOp, frame: Frame) -> Value:
        v = self.eval(e.operand, frame)
        if isinstance(e.op, ast.Not):
            t = self.truth(v, frame)
            return Unknown(text=self.unparse(e)) if t is None else Const(value=not t)
        if isinstance(v, Const) and isinstance(v.value, int | float):
            if isinstance(e.op, ast.USub):
                return Const(value=-v.value)
            if isinstance(e.op, ast.UAdd):
                return v
        fn = _UNARYOPS.get(type(e.op))
        if fn is not None and isinstance(v, Const) and _scalars(v):
            try:
                return Const(value=fn(v.value))
            except TypeError as exc:  # ``-None``: Python raises here
                return self.python_raises(frame, e, "TypeError", str(exc), (v,))
        return self.undecidable(frame, self.unparse(e), e)

    def compare(self, op: ast.cmpop, a: Value, b: Value) -> bool | None:
        """Python's comparison of two values, None when it depends on something unknown."""
        if isinstance(op, ast.Is | ast.IsNot):
            r = _identical(a, b)
            return None if r is None else (r if isinstance(op, ast.Is) else not r)
        if isinstance(op, ast.In | ast.NotIn):
            r = self.contains(b, a)
            return None if r is None else (r if isinstance(op, ast.In) else not r)
        try:
            x, y = concrete(a), concrete(b)
        except KeyError:
            if isinstance(op, ast.Eq | ast.NotEq) and (
                (_is_none(a) and not isinstance(b, Unknown))
                or (_is_none(b) and not isinstance(a, Unknown))
            ):
                return isinstance(op, ast.NotEq)
            return None
        try:
            return bool(_CMPOPS[type(op)](x, y))
        except Exception:  # noqa: BLE001
            return None

    def contains(self, container: Value, item: Value) -> bool | None:
        try:
            key = from_value(item)
            hash(key)
        except (KeyError, TypeError):
            return None
        if isinstance(container, DictV):
            return key in container.items
        if isinstance(container, Seq | Const):
            try:
                return key in from_value(container)
            except (KeyError, TypeError):
                return None
        special = self.container_keys(container)
        return None if special is None else key in special

    def container_keys(self, container: Value) -> set[Any] | None:
        """Keys of a modelled container (``sys.modules``), None for anything else."""
        return None

    def _e_compare(self, e: ast.Compare, frame: Frame) -> Value:
        left = self.eval(e.left, frame)
        for op, rx in zip(e.ops, e.comparators, strict=True):
            right = self.eval(rx, frame)
            r = self.compare(op, left, right)
            if r is None:
                if frame.mode.strict:
                    return Unknown(text="compare")
                return Unknown(text=self.unparse(e), path=frame.path or "", line=e.lineno)
            if not r:
                return Const(value=False)
            left = right
        return Const(value=True)

    def _e_ifexp(self, e: ast.IfExp, frame: Frame) -> Value:
        t = self.truth(self.eval(e.test, frame), frame)
        if t is True:
            return self.eval(e.body, frame)
        if t is False:
            return self.eval(e.orelse, frame)
        return self.undecidable(frame, self.unparse(e), e)

    # ------------------------------------------------------------ containers
    def _elts(self, elts: list[ast.expr], frame: Frame) -> list[Value]:
        out: list[Value] = []
        for x in elts:
            if isinstance(x, ast.Starred):
                v = self.eval(x.value, frame)
                if isinstance(v, Seq):
                    out.extend(v.items)
                else:
                    out.append(self.undecidable(frame, self.unparse(x), x))
            else:
                out.append(self.eval(x, frame))
        return out

    def _e_tuple(self, e: ast.Tuple, frame: Frame) -> Value:
        return Seq(items=self._elts(e.elts, frame), kind="tuple")

    def _e_list(self, e: ast.List, frame: Frame) -> Value:
        return Seq(items=self._elts(e.elts, frame), kind="list")

    def _e_set(self, e: ast.Set, frame: Frame) -> Value:
        return Seq(items=self._elts(e.elts, frame), kind="set")

    def _e_dict(self, e: ast.Dict, frame: Frame) -> Value:
        d = DictV()
        for k, v in zip(e.keys, e.values, strict=True):
            if k is None:
                more = self.eval(v, frame)
                if isinstance(more, DictV):
                    d.items.update(more.items)
                elif frame.mode.strict:
                    raise Undecidable("dict unpacking")
                continue
            kv = self.eval(k, frame)
            if isinstance(kv, Const):
                d.items[kv.value] = self.eval(v, frame)
            elif frame.mode.strict:
                raise Undecidable("dict key")
        return d

    def _e_subscript(self, e: ast.Subscript, frame: Frame) -> Value:
        obj = self.eval(e.value, frame)
        if isinstance(e.slice, ast.Slice):
            return self._slice(obj, e, e.slice, frame)
        key = self.eval(e.slice, frame)
        return self.subscript(obj, key, frame, e)

    def subscript(self, obj: Value, key: Value, frame: Frame, e: ast.AST) -> Value:
        strict = frame.mode.strict
        if isinstance(obj, Seq) and isinstance(key, Const) and isinstance(key.value, int):
            try:
                return obj.items[key.value]
            except IndexError:
                if strict:
                    raise Raised("IndexError", f"{obj.kind} index out of range",
                                 frame.path, 0) from None
                return Unknown(text=self.unparse(e))
        if isinstance(obj, DictV) and isinstance(key, Const):
            try:
                return obj.items[key.value]
            except (KeyError, TypeError):
                if strict:
                    raise Raised("KeyError", repr(key.value), frame.path, 0) from None
        if isinstance(obj, Const) and isinstance(key, Const):
            try:
                return Const(value=obj.value[key.value])
            except Exception:  # noqa: BLE001
                pass
        special = self.special_subscript(obj, key, frame)
        if special is not None:
            return special
        if strict:
            raise Undecidable("subscript")
        return Unknown(text=self.unparse(e), path=frame.path or "", line=getattr(e, "lineno", 0))

    def special_subscript(self, obj: Value, key: Value, frame: Frame) -> Value | None:
        """``obj[key]`` of a modelled object (``sys.modules``, ``globals()``); else None."""
        return None

    def _e_slice(self, e: ast.Slice, frame: Frame) -> Value:
        """``a:b`` inside a subscript's tuple (``mask[a:b, c:d]``): the slice object."""
        parts = [self.eval(p, frame) if p is not None else Const(value=None)
                 for p in (e.lower, e.upper, e.step)]
        return arrays.make_slice(self, parts, {}, frame.mode)

    def _slice(self, obj: Value, e: ast.Subscript, sl: ast.Slice, frame: Frame) -> Value:
        try:
            lo = from_value(self.eval(sl.lower, frame)) if sl.lower else None
            hi = from_value(self.eval(sl.upper, frame)) if sl.upper else None
            step = from_value(self.eval(sl.step, frame)) if sl.step else None
            if isinstance(obj, Seq):
                return Seq(items=obj.items[lo:hi:step])
            if isinstance(obj, Const) and isinstance(obj.value, str | bytes | tuple):
                return Const(value=obj.value[lo:hi:step])
        except (KeyError, TypeError, ValueError):
            pass
        return self.undecidable(frame, self.unparse(e), e)

    def _comprehension(self, e: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp,
                       frame: Frame) -> Value:
        if len(e.generators) != 1:
            return self.undecidable(frame, self.unparse(e), e)
        g = e.generators[0]
        it = self.eval(g.iter, frame)
        if isinstance(it, DictV):
            it = Seq(items=[Const(value=k) for k in it.items])
        elif isinstance(it, Const) and isinstance(it.value, str):  # a string's characters
            it = Seq(items=[Const(value=c) for c in it.value])
        if not isinstance(it, Seq) or (len(it.items) > 256 and not frame.mode.strict):
            return self.undecidable(frame, self.unparse(e), e)
        inner = Frame(**{**frame.__dict__, "locals": dict(frame.locals), "module_level": False})
        items: list[Value] = []
        d = DictV()
        for item in it.items:
            self.assign(g.target, item, inner, ast.Pass(lineno=e.lineno), local=True)
            ok = True
            for cond in g.ifs:
                t = self.truth(self.eval(cond, inner), inner)
                if t is None:
                    return self.undecidable(frame, self.unparse(e), e)
                ok = ok and t
            if not ok:
                continue
            if isinstance(e, ast.DictComp):
                k = self.eval(e.key, inner)
                if not isinstance(k, Const):
                    return self.undecidable(frame, self.unparse(e), e)
                d.items[k.value] = self.eval(e.value, inner)
            else:
                items.append(self.eval(e.elt, inner))
        if isinstance(e, ast.GeneratorExp):  # run at once; ``next`` advances it
            return Seq(items=items, kind="generator")
        return d if isinstance(e, ast.DictComp) else Seq(items=items)

    def _e_yield(self, e: ast.Yield, frame: Frame) -> Value:
        """``yield v`` in a generator run as a context manager: the ``with`` body runs."""
        if frame.on_yield is None:
            return Unknown(text="yield")
        return frame.on_yield(self.eval(e.value, frame) if e.value is not None
                              else Const(value=None))

    def _e_lambda(self, e: ast.Lambda, frame: Frame) -> Value:
        assert frame.src is not None
        env = dict(frame.closure or {})
        env.update(frame.locals)
        return FunctionV(src=frame.src, owner=frame.owner, closure=env, fnode=e,
                         modname=frame.mod.name)

    def _e_starred(self, e: ast.Starred, frame: Frame) -> Value:
        return self.eval(e.value, frame)

def _scalars(*vs: Value) -> bool:
    """Every value is a Const of a Python scalar type (what Python would refuse is known)."""
    return all(isinstance(v, Const) and type(v.value) in _SCALAR_TYPES for v in vs)


def _is_none(v: Value) -> bool:
    return isinstance(v, Const) and v.value is None


def _identical(a: Value, b: Value) -> bool | None:
    """``a is b``: None when it depends on something unknown."""
    if a is b:
        return True
    if isinstance(a, Unknown) or isinstance(b, Unknown):
        return None
    if _is_none(a) or _is_none(b):
        return _is_none(a) and _is_none(b)
    if isinstance(a, Const) and isinstance(b, Const):
        return a.value is b.value
    if isinstance(a, Const) or isinstance(b, Const):
        return False
    if isinstance(a, ClassV) and isinstance(b, ClassV):
        return a.key == b.key
    if isinstance(a, BuiltinClassV) and isinstance(b, BuiltinClassV):
        return a.name == b.name
    if isinstance(a, FunctionV) and isinstance(b, FunctionV):
        return a.node is b.node and a.bound is b.bound
    return False


def _e_joinedstr(self: Expressions, e: ast.JoinedStr, frame: Frame) -> Value:
    """An f-string of plain values (a module-level function: one handler of the table)."""
    parts = []
    for part in e.values:
        if isinstance(part, ast.Constant):
            parts.append(str(part.value))
            continue
        assert isinstance(part, ast.FormattedValue)
        v = self.eval(part.value, frame)
        if not is_plain(v):
            return self.undecidable(frame, self.unparse(e), e)
        x = from_value(v)
        if part.conversion == ord("r"):
            x = repr(x)
        elif part.conversion == ord("s"):
            x = str(x)
        spec = ""
        if part.format_spec is not None:
            sv = self.eval(part.format_spec, frame)
            if not isinstance(sv, Const):
                return self.undecidable(frame, self.unparse(e), e)
            spec = str(sv.value)
        try:
            parts.append(format(x, spec))
        except (TypeError, ValueError):
            return self.undecidable(frame, self.unparse(e), e)
    return Const(value="".join(parts))


def _table() -> dict[type, Callable[[Any, Any, Frame], Value]]:
    e = Expressions
    return {
        ast.Constant: e._e_constant, ast.Name: e._e_name, ast.Attribute: e._e_attribute,
        ast.BinOp: e._e_binop, ast.BoolOp: e._e_boolop, ast.UnaryOp: e._e_unaryop,
        ast.Compare: e._e_compare, ast.IfExp: e._e_ifexp, ast.Tuple: e._e_tuple,
        ast.List: e._e_list, ast.Set: e._e_set, ast.Dict: e._e_dict,
        ast.Subscript: e._e_subscript, ast.ListComp: e._comprehension,
        ast.SetComp: e._comprehension, ast.GeneratorExp: e._comprehension,
        ast.DictComp: e._comprehension, ast.Lambda: e._e_lambda,
        ast.JoinedStr: _e_joinedstr, ast.Starred: e._e_starred, ast.Call: Calls._e_call,
        ast.Yield: e._e_yield, ast.Slice: e._e_slice,
    }


EXPRESSIONS = _table()  # node type -> handler: the one dispatch of expressions
