"""Statements: one handler per syntax node type (``STATEMENTS``), in both modes.

Control flow is signalled by return values (``Return``; ``RaiseSignal`` in abstract mode) and, in
import mode, by the ``Raised`` / ``Undecidable`` exceptions (see engine/frames.py).
"""

from __future__ import annotations

import ast
import contextlib
from collections.abc import Callable
from typing import Any, TypeVar

from tfinit_audit.analysis.engine import arrays
from tfinit_audit.analysis.engine.base import STEP_BUDGET, InterpreterBase
from tfinit_audit.analysis.engine.frames import (
    Frame,
    LoopSignal,
    PathEnds,
    Raised,
    RaiseSignal,
    Refusal,
    Return,
    Signal,
    Undecidable,
)
from tfinit_audit.analysis.engine.introspection import set_function_attr
from tfinit_audit.analysis.engine.joins import join_globals, merge
from tfinit_audit.analysis.engine.loops import MAX_ABSTRACT_LOOP, forget_loop_effects, s_while
from tfinit_audit.analysis.engine.values import (
    MISSING,
    BuiltinClassV,
    Const,
    DictV,
    ExceptionV,
    FunctionV,
    GeneratorV,
    Instance,
    ModuleV,
    Seq,
    Unknown,
    Value,
    with_hops,
)

# exception class -> its base, for ``except`` matching of the exceptions import code raises
EXC_PARENTS = {"ModuleNotFoundError": "ImportError", "KeyError": "LookupError",
               "IndexError": "LookupError"}


class Statements(InterpreterBase):
    def exec_block(self, body: list[ast.stmt], frame: Frame) -> Signal:
        strict = frame.mode.strict
        for st in body:
            if strict:  # self.tick(frame), inlined
                self.steps += 1
                if self.steps > STEP_BUDGET:
                    self.over_budget(frame)
            else:
                self.abstract_steps += 1
                if self.abstract_steps > self.abstract_budget:
                    self.over_budget(frame)
            handler = STATEMENTS.get(type(st))
            if handler is None:
                if frame.mode.strict:
                    raise Undecidable(type(st).__name__)
                continue
            sig = _run(handler, self, st, frame)
            if sig is not None:
                return sig
        return None

    # ------------------------------------------------------------ assignments
    def _s_expr(self, st: ast.Expr, frame: Frame) -> Signal:
        self.eval(st.value, frame)
        return None

    def _s_assign(self, st: ast.Assign, frame: Frame) -> Signal:
        v = self.eval(st.value, frame)
        for t in st.targets:
            self.assign(t, v, frame, st)
        return None

    def _s_annassign(self, st: ast.AnnAssign, frame: Frame) -> Signal:
        if st.value is not None:
            self.assign(st.target, self.eval(st.value, frame), frame, st)
        return None

    def _s_augassign(self, st: ast.AugAssign, frame: Frame) -> Signal:
        if isinstance(st.target, ast.Subscript) and not frame.mode.strict:
            cur: Value = Unknown()
        else:
            cur = self.eval(st.target, frame)
        self.assign(st.target, self.binop(st.op, cur, self.eval(st.value, frame), frame, st),
                    frame, st)
        return None

    def assign(self, target: ast.expr, value: Value, frame: Frame, st: ast.stmt,
               local: bool = False) -> None:
        if isinstance(target, ast.Name):
            if frame.module_level and not local:
                return  # module-level names are the summary's binding events
            if target.id in frame.declared:
                set_global(self, frame, target.id, value, st)
                return
            if frame.watch is not None:
                frame.watch.on_assign(self, frame, target.id, value, st)
            if frame.src is not None:
                value = self.rules.assigned(self, frame, target.id, value, st) or value
            if frame.src is not None and self.rules.traced(self, value, "assign"):
                value = with_hops(value, [frame.hop(
                    st.lineno, f"{frame.func_name}: {target.id} = {value.describe()}")])
            frame.locals[target.id] = value
        elif isinstance(target, ast.Tuple | ast.List):
            if isinstance(value, Seq) and len(value.items) == len(target.elts):
                items = value.items
            else:
                items = [Unknown(text=self.unparse(target)) for _ in target.elts]
            for t, i in zip(target.elts, items, strict=True):
                self.assign(t, i, frame, st, local=True)
        elif isinstance(target, ast.Attribute):
            self._assign_attr(target, value, frame, st)
        elif isinstance(target, ast.Subscript):
            obj = self.eval(target.value, frame)
            key = self.eval(target.slice, frame)
            self.set_item(obj, key, value, frame)

    def _assign_attr(self, target: ast.Attribute, value: Value, frame: Frame,
                     st: ast.stmt) -> None:
        obj = self.eval(target.value, frame)
        if isinstance(obj, FunctionV):
            set_function_attr(self, obj, target.attr, value)
        if not isinstance(obj, Instance):
            return
        if frame.mode.attribute_hooks:
            hook = self.getattr(obj.cls, "__setattr__", frame.mode) \
                if not isinstance(obj.cls, BuiltinClassV) else MISSING
            if isinstance(hook, FunctionV):
                self.call(hook.with_receiver(obj), [Const(value=target.attr), value], {},
                          mode=frame.mode)
                return
        if obj.pending is not None:
            self.force(obj)
        if frame.src is None:
            obj.attrs[target.attr] = value
            return
        hop = frame.hop(st.lineno, f"{frame.func_name}: self.{target.attr} = {value.describe()}")
        obj.attrs[target.attr] = with_hops(value, [hop]) if not isinstance(value,
                                                                           Instance) else value
        obj.attr_lines[target.attr] = hop

    def set_item(self, obj: Value, key: Value, value: Value, frame: Frame) -> None:
        if isinstance(obj, arrays.ArrayV):
            arrays.set_item(obj, key, value)
        elif isinstance(obj, Seq) and isinstance(key, Const) and isinstance(key.value, int) \
                and -len(obj.items) <= key.value < len(obj.items):
            obj.items[key.value] = value
        elif isinstance(obj, DictV) and isinstance(key, Const):
            with contextlib.suppress(TypeError):
                obj.items[key.value] = value

    # ------------------------------------------------------------ control flow
    def _s_return(self, st: ast.Return, frame: Frame) -> Signal:
        rv = self.eval(st.value, frame) if st.value is not None else Const(value=None)
        if frame.src is not None and self.rules.traced(self, rv, "return"):
            rv = with_hops(rv, [frame.hop(st.lineno,
                                          f"{frame.func_name} returns {rv.describe()}")])
        return Return(rv)

    def _s_raise(self, st: ast.Raise, frame: Frame) -> Signal:
        if not frame.mode.strict:
            if not frame.speculative and frame.path is not None:  # a raise on a decided path
                exc = self.eval(st.exc, frame) if st.exc is not None else None
                what = f"{exc.name}: {exc.message}" if isinstance(exc, ExceptionV) and \
                    exc.message else (exc.name if isinstance(exc, ExceptionV) else
                                      self.unparse(st.exc) if st.exc is not None else "raise")
                self.raised.append((frame.path, st.lineno, what))
            return RaiseSignal(path=frame.path or "", line=st.lineno)
        exc = self.eval(st.exc, frame) if st.exc is not None else None
        name = exc.name if isinstance(exc, ExceptionV | BuiltinClassV) else None
        if name is None:
            raise Undecidable("raise of an unknown exception")
        self.imports.ns.hop(frame.path, st.lineno, f"raises {name}")
        msg = exc.message if isinstance(exc, ExceptionV) else ""
        raise Raised(name, msg, frame.path, st.lineno)

    def _s_if(self, st: ast.If, frame: Frame) -> Signal:
        t = self.truth(self.eval(st.test, frame), frame)
        if frame.mode.strict:
            if t is None:
                raise Undecidable("branch on an unknown value")
            return self.exec_block(st.body if t else st.orelse, frame)
        text = self.unparse(st.test)
        if frame.path is not None:  # what each ``if`` decided (None: not always the same)
            key = (frame.path, st.lineno)
            seen = self.decided.get(key, t) if not frame.speculative else None
            self.decided[key] = t if seen == t else None
        if t is True:
            return self._under(st.body, frame, text, taken=st)
        if t is False:
            return self.exec_block(st.orelse, frame)
        body_exits = exits(st.body)
        else_exits = exits(st.orelse) if st.orelse else False
        if body_exits and not else_exits:  # a special case that leaves: not taken
            return self.exec_block(st.orelse, frame)
        if else_exits and not body_exits:
            return self._under(st.body, frame, text)
        f1, f2 = frame.branch(text), frame.branch(f"not ({text})")
        s1, s2 = _both_arms(self, st, f1, f2)
        if isinstance(s1, Return) and isinstance(s2, Return):
            return s1 if not isinstance(s1.value, Unknown) else s2
        if isinstance(s1, Return):
            return s1
        if isinstance(s2, Return):
            return s2
        for k in set(f1.locals) | set(f2.locals):
            frame.locals[k] = merge(f1.locals.get(k), f2.locals.get(k))
        if isinstance(s1, LoopSignal) or isinstance(s2, LoopSignal):
            same = isinstance(s1, LoopSignal) and isinstance(s2, LoopSignal) \
                and s1.kind == s2.kind
            return s1 if same else LoopSignal("unknown")
        return None

    def _under(self, body: list[ast.stmt], frame: Frame, cond: str,
               taken: ast.If | None = None) -> Signal:
        """``body`` under ``cond``: assumed, or (``taken``) the decided test of that ``if``."""
        frame.conds.append(cond)
        if taken is not None:
            frame.taken.append(taken)
        try:
            return self.exec_block(body, frame)
        finally:
            frame.conds.pop()
            if taken is not None:
                frame.taken.pop()

    def _s_for(self, st: ast.For, frame: Frame) -> Signal:
        seq = self.eval(st.iter, frame)
        items: list[Value] | None = None
        if isinstance(seq, Seq):
            items = list(seq.items)
        elif isinstance(seq, DictV):
            items = [Const(value=k) for k in seq.items]
        elif isinstance(seq, Const) and isinstance(seq.value, str):
            items = [Const(value=c) for c in seq.value]
        if frame.mode.strict:
            if items is None:
                raise Undecidable("loop over an unknown value")
        elif items is None or len(items) > MAX_ABSTRACT_LOOP:
            forget_loop_effects(st, frame)
            return None
        for elem in items or []:
            self.assign(st.target, elem, frame, st, local=True)
            sig = self.exec_block(st.body, frame)
            if isinstance(sig, Return | RaiseSignal):
                return sig
            if isinstance(sig, LoopSignal) and sig.kind == "break":
                return None  # ``else`` runs only when the loop was not broken
            if isinstance(sig, LoopSignal) and sig.kind == "unknown":
                forget_loop_effects(st, frame)
                return None
        return self.exec_block(st.orelse, frame)

    def _s_try(self, st: ast.Try, frame: Frame) -> Signal:
        if not frame.mode.strict:
            n0, r0 = len(self.raised), len(self.refusals)
            try:
                sig = self.exec_block(st.body, frame)
                _forget_caught(self.raised, st, n0)
                _forget_refused(self.refusals, st, r0)
                if sig is None:
                    sig = self.exec_block(st.orelse, frame)
            except Raised as exc:  # an exception a rule says the library raises here
                handler = next((h for h in st.handlers if self._handles(h, exc, frame)), None)
                if handler is None:
                    self.exec_block(st.finalbody, frame)
                    raise
                _forget_refused(self.refusals, st, r0)
                if handler.name:
                    frame.locals[handler.name] = Unknown(text=exc.message_line())
                sig = self.exec_block(handler.body, frame)
            fin = self.exec_block(st.finalbody, frame)
            return sig if sig is not None and not isinstance(sig, RaiseSignal) else fin
        try:
            try:
                sig = self.exec_block(st.body, frame)
            except Raised as exc:
                for h in st.handlers:
                    if self._handles(h, exc, frame):
                        if h.name:
                            frame.locals[h.name] = Unknown(text=exc.message_line())
                        return self.exec_block(h.body, frame)
                raise
            if sig is None:
                sig = self.exec_block(st.orelse, frame)
            return sig
        finally:
            fin = self.exec_block(st.finalbody, frame)
            if fin is not None:
                return fin  # noqa: B012 - Python's own rule: finally's return wins

    def _handles(self, h: ast.ExceptHandler, exc: Raised, frame: Frame) -> bool:
        return _handles_name(h, exc.exc)

    def _s_with(self, st: ast.With, frame: Frame) -> Signal:
        if frame.mode.strict:
            for item in st.items:
                if item.optional_vars is not None:
                    self.assign(item.optional_vars, Unknown(text="context manager"), frame, st)
            return self.exec_block(st.body, frame)
        return self._with_items(st, frame, 0)

    def _with_items(self, st: ast.With, frame: Frame, i: int) -> Signal:
        """Enter ``st.items[i:]`` in order, run the body, leave them in reverse order (rules
        told at both ends). A generator context manager (``@contextmanager``) runs its body
        around the rest: its ``yield`` runs the remaining items and the body."""
        if i == len(st.items):
            return self.exec_block(st.body, frame)
        item = st.items[i]
        ctx = self.eval(item.context_expr, frame)
        if isinstance(ctx, GeneratorV):
            return self._with_generator(ctx, st, frame, i)
        value = self._enter(ctx, frame, item.optional_vars is not None)
        try:
            if item.optional_vars is not None:
                self.assign(item.optional_vars, value, frame, st)
            return self._with_items(st, frame, i + 1)
        finally:
            for rule in self.rules.asked("leave"):
                rule.leave(self, ctx)

    def _with_generator(self, gen: GeneratorV, st: ast.With, frame: Frame, i: int) -> Signal:
        item = st.items[i]
        results: list[Signal] = []

        def on_yield(value: Value) -> Value:
            if item.optional_vars is not None:
                self.assign(item.optional_vars, value, frame, st)
            results.append(self._with_items(st, frame, i + 1))
            return Const(value=None)  # what the with statement sends back: nothing

        self.run_generator(gen, on_yield, frame.mode)
        return next((r for r in results if r is not None), None)

    def _enter(self, ctx: Value, frame: Frame, bound: bool) -> Value:
        """``with X as y``: y is what ``X.__enter__()`` returns (a rule's answer, else, when
        bound, evaluated from source)."""
        for rule in self.rules.asked("enter"):
            r = rule.enter(self, ctx, frame)
            if r is not None:
                return r
        if bound and isinstance(ctx, Instance):
            ent = self.getattr(ctx, "__enter__")
            if isinstance(ent, FunctionV):
                return self.call(ent, [], {})
        return Unknown(text="context manager")

    # ------------------------------------------------------------ imports and definitions
    def _s_import(self, st: ast.Import, frame: Frame) -> Signal:
        for alias in st.names:
            if frame.mode.strict:
                m = self.imports.import_module(alias.name)
                if m is MISSING:
                    self.imports.ns.hop(frame.path, st.lineno,
                                        f"import of {alias.name} fails here")
                    raise Raised("ModuleNotFoundError", f"No module named '{alias.name}'",
                                 frame.path, st.lineno)
                top = m if alias.asname else self.imports.import_module(
                    alias.name.split(".")[0])
            else:
                top = self._quiet_import(alias.name if alias.asname else
                                         alias.name.split(".")[0])
            self.assign(ast.Name(alias.asname or alias.name.split(".")[0]), top, frame, st)
        return None

    def _s_importfrom(self, st: ast.ImportFrom, frame: Frame) -> Signal:
        module = st.module or ""
        if st.level:
            if frame.mode.strict:
                raise Undecidable("relative import inside a function")
            assert frame.src is not None
            pkg = frame.src.dotted.split(".")
            if not frame.src.is_pkg:
                pkg = pkg[:-1]
            if st.level > 1:
                pkg = pkg[: -(st.level - 1)]
            module = ".".join(pkg + ([module] if module else []))
        if frame.mode.strict:
            m = self.imports.import_module(module)
            if m is MISSING:
                raise Raised("ModuleNotFoundError", f"No module named '{module}'", frame.path,
                             st.lineno)
        else:
            m = self._quiet_import(module)
        for alias in st.names:
            if alias.name == "*":
                continue
            v = self._from(m, module, alias.name, frame)
            if v is MISSING:
                raise Raised("ImportError", f"cannot import name '{alias.name}'", frame.path,
                             st.lineno)
            self.assign(ast.Name(alias.asname or alias.name), v, frame, st)
        return None

    def _quiet_import(self, name: str) -> Value:
        try:
            with self.imports.ns.quiet():
                m = self.imports.import_module(name)
        except (Raised, Undecidable, RecursionError):
            m = MISSING
        return ModuleV(name=name, path=None) if m is MISSING else m

    def _from(self, m: Value, module: str, name: str, frame: Frame) -> Any:
        if frame.mode.strict:
            return self.getattr(m, name, frame.mode)
        try:
            with self.imports.ns.quiet():
                v = self.getattr(m, name, frame.mode)
        except (Raised, Undecidable, RecursionError):
            v = MISSING
        return Unknown(text=f"{module}.{name}", path=frame.path or "") if v is MISSING else v

    def _s_functiondef(self, st: ast.FunctionDef, frame: Frame) -> Signal:
        if frame.module_level or frame.src is None:
            return None
        env = dict(frame.closure or {})
        env.update(frame.locals)
        f = FunctionV(src=frame.src, owner=frame.owner, closure=env, fnode=st,
                      modname=frame.mod.name)
        env[st.name] = f
        frame.locals[st.name] = f
        return None

    def _s_classdef(self, st: ast.ClassDef, frame: Frame) -> Signal:
        if not frame.module_level:
            frame.locals[st.name] = Unknown(text=st.name)
        return None

    def _s_nothing(self, st: ast.stmt, frame: Frame) -> Signal:
        return None


T = TypeVar("T")


def _forget_caught(raised: list[tuple[str, int, str]], st: ast.Try, n0: int) -> None:
    """Raises recorded on decided paths of the try body (``raised[n0:]``, also in the
    functions it called) that one of its handlers catches did not leave the try: they are
    forgotten (``_fused_can_be_used``: ``try: self._raise_if_fused_cannot_be_used()
    except ValueError: return False``)."""
    _forget(raised, st, n0, lambda r: r[2])


def _forget_refused(refusals: list[Refusal], st: ast.Try, r0: int) -> None:
    """Operators Python refused in the try body (``refusals[r0:]``) that one of its handlers
    catches (``except TypeError``) did not leave the try: they are forgotten."""
    _forget(refusals, st, r0, lambda r: r.what)


def _forget(items: list[T], st: ast.Try, start: int, what: Callable[[T], str]) -> None:
    """Drop the records ``items[start:]`` whose exception (``what``: ``"TypeError: ..."``)
    one of ``st``'s handlers catches."""
    if st.handlers and len(items) > start:
        items[start:] = [x for x in items[start:] if not any(
            _handles_name(h, what(x).partition(":")[0].strip()) for h in st.handlers)]


def _handles_name(h: ast.ExceptHandler, exc: str | None) -> bool:
    if h.type is None:
        return True
    names: list[str] = []
    for t in h.type.elts if isinstance(h.type, ast.Tuple) else [h.type]:
        if isinstance(t, ast.Name):
            names.append(t.id)
        elif isinstance(t, ast.Attribute):
            names.append(t.attr)
    chain = []
    name: str | None = exc
    while name:
        chain.append(name)
        name = EXC_PARENTS.get(name)
    return any(n in ("Exception", "BaseException") or n in chain for n in names)


def exits(body: list[ast.stmt]) -> bool:
    """Does the block always leave (return/raise/break/continue as its last statement)?"""
    if not body:
        return False
    last = body[-1]
    if isinstance(last, ast.Return | ast.Raise | ast.Continue | ast.Break):
        return True
    if isinstance(last, ast.If):
        return exits(last.body) and exits(last.orelse)
    if isinstance(last, ast.With):
        return exits(last.body)
    return False


def _both_arms(self: Statements, st: ast.If, f1: Frame, f2: Frame) -> tuple[Signal, Signal]:
    """Run both arms of an undecidable ``if`` (``f1``, ``f2``: their frames), each from the
    module globals as they were before it; the globals they set are joined after."""
    self.speculating += 1  # what the arms call may not happen either
    saved = self.global_writes
    before: dict[tuple[str, str], Any] = {}
    self.globals_before.append(before)
    try:
        self.global_writes = dict(saved)
        s1 = self.exec_block(st.body, f1)
        w1, self.global_writes = self.global_writes, dict(saved)
        s2 = self.exec_block(st.orelse, f2)
        w2 = self.global_writes
    finally:
        self.speculating -= 1
        self.globals_before.pop()
        self.global_writes = saved
    join_globals(saved, before, w1, w2)
    return s1, s2


def set_global(self: Statements, frame: Frame, name: str, value: Value, st: ast.stmt) -> None:
    """``name = value`` in a function that declared ``global name`` (``value`` MISSING: ``del
    name``): the module's global from now on, for this question's function code. In an arm of
    an undecidable ``if`` (or a call made there) the arms' writes are joined as locals are
    (``joins.join_globals``)."""
    key = (frame.mod.name, name)
    if frame.src is not None and value is not MISSING \
            and self.rules.traced(self, value, "assign"):
        value = with_hops(value, [frame.hop(
            st.lineno, f"{frame.func_name}: global {name} = {value.describe()}")])
    for before in self.globals_before:  # its value when each running ``if`` began
        if key not in before:
            before[key] = self.global_name(frame, name)
    self.global_writes[key] = value


def _s_global(self: Statements, st: ast.Global, frame: Frame) -> Signal:
    """``global a, b``: from here on the function's assignments to ``a`` and ``b`` set the
    module's globals (Python refuses a use before the declaration, so the rest of the function
    is all it applies to); a no-op at module level."""
    if not frame.module_level:
        frame.declared = frame.declared | frozenset(st.names)
    return None


def _s_delete(self: Statements, st: ast.Delete, frame: Frame) -> Signal:
    for t in st.targets:
        if isinstance(t, ast.Name) and t.id in frame.declared and not frame.module_level:
            set_global(self, frame, t.id, MISSING, st)
        elif isinstance(t, ast.Name) and not frame.module_level:
            frame.locals.pop(t.id, None)
        elif isinstance(t, ast.Subscript) and not frame.module_level:
            # ``del d[key]`` of a dict with a known key (a config copied and trimmed)
            obj = self.eval(t.value, frame)
            key = self.eval(t.slice, frame)
            if isinstance(obj, DictV) and isinstance(key, Const):
                obj.items.pop(key.value, None)
        elif isinstance(t, ast.Attribute) and not frame.module_level:
            obj = self.eval(t.value, frame)
            if isinstance(obj, Instance):
                obj.attrs.pop(t.attr, None)
    return None


def _s_loop_control(self: Statements, st: ast.Break | ast.Continue,
                    frame: Frame) -> Signal:
    return LoopSignal("break" if isinstance(st, ast.Break) else "continue")


def _table() -> dict[type, Callable[[Any, Any, Frame], Signal]]:
    s = Statements
    return {
        ast.Expr: s._s_expr, ast.Assign: s._s_assign, ast.AnnAssign: s._s_annassign,
        ast.AugAssign: s._s_augassign, ast.Return: s._s_return, ast.Raise: s._s_raise,
        ast.If: s._s_if, ast.For: s._s_for, ast.While: s_while, ast.Try: s._s_try,
        ast.With: s._s_with, ast.AsyncWith: s._s_with, ast.Import: s._s_import,
        ast.ImportFrom: s._s_importfrom, ast.FunctionDef: s._s_functiondef,
        ast.AsyncFunctionDef: s._s_functiondef, ast.ClassDef: s._s_classdef,
        ast.Delete: _s_delete, ast.Pass: s._s_nothing, ast.Global: _s_global,
        ast.Nonlocal: s._s_nothing, ast.Assert: s._s_nothing, ast.Break: _s_loop_control,
        ast.Continue: _s_loop_control,
    }


STATEMENTS = _table()  # node type -> handler: the one dispatch of statements


def _run(handler: Callable[[Any, ast.stmt, Frame], Any], interp: Any, st: ast.stmt,
         frame: Frame) -> Any:
    """One statement; where Python raised in one of its expressions (a refusal ending the
    path), the signal a ``raise`` statement there would give."""
    try:
        return handler(interp, st, frame)
    except PathEnds as ended:
        return ended.signal
