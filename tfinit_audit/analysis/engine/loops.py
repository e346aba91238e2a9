"""``while`` loops in both modes, and what an abstract run of a loop leaves behind.

Abstract mode runs a ``while`` at most ``MAX_ABSTRACT_LOOP`` times. A loop whose exits are all
undecided (``while True:`` whose ``break`` arm branches on an unknown value: an undecided
``if`` whose other arm goes on is taken, see ``Statements._s_if``) therefore runs to that bound
and then forgets what it assigns. Such a loop usually reaches a *fixpoint* after an iteration
or two: an iteration that starts from the same state as the one before it does the same thing
again (the engine is deterministic), so the remaining iterations cannot change the result. The
run stops there and completes the effect of the skipped iterations exactly: their steps are
counted against the budget, and an *accumulator* (a local list the loop only grows with
``name.append(x)`` and reads only as ``name[-1]`` -- its length is not observable in the loop)
gets the items they would have appended. The state compared is every local of the frame and
what it reaches (lists, dicts, instances' and functions' attributes, the values other values
hold; classes, modules and builtins by identity; mutable containers of other kinds make a
state not comparable), and an
iteration that recorded a raise, a refused operator or a new decided branch, called a source
function or had a call answered by a rule (rules may record what they see), or ran under a
watch, never counts as a repeat -- but for a call of a plain function that can change nothing
(``effect_free``: TF 2.x ``unwrap`` calls ``_has_tf_decorator_attr`` each time round, and ran
all 64 iterations for every Keras layer's name).
"""

from __future__ import annotations

import ast
from typing import Any

from tfinit_audit.analysis.engine.base import InterpreterBase
from tfinit_audit.analysis.engine.frames import (
    Frame,
    LoopSignal,
    RaiseSignal,
    Return,
    Signal,
    Undecidable,
)
from tfinit_audit.analysis.engine.mutations import MUTATORS
from tfinit_audit.analysis.engine.parsing import node_fact
from tfinit_audit.analysis.engine.values import (
    BuiltinClassV,
    BuiltinV,
    ClassV,
    Const,
    DictV,
    ExceptionV,
    FunctionV,
    Instance,
    ModuleV,
    Seq,
    SuperV,
    Unknown,
    Value,
)

MAX_ABSTRACT_LOOP = 64  # abstract mode runs loops over at most this many known items
MAX_IMPORT_LOOP = 10_000  # import mode follows a ``while`` loop this many times at most
FIXPOINT = True  # stop an abstract ``while`` at a fixpoint (tests compare with the full run)
_MAX_DEPTH = 6  # how deep a state's fingerprint follows containers (deeper: not a repeat)



# values no statement changes in place: the same object, the same value
_FIXED = (ClassV, ModuleV, BuiltinV, BuiltinClassV, SuperV, ExceptionV)


class _Deep(Exception):  # noqa: N818 - the state is too deep or holds mutable opaque objects
    pass


def forget_loop_effects(st: ast.For | ast.While, frame: Frame) -> None:
    """A loop the abstract run does not go through (an unknown or long iterable): what it
    would have done is not known -- the names it assigns, and the local containers it changes
    (``shape.append(d)``, ``m[k] = v``), become unknown rather than keep their values from
    before the loop."""
    for n in node_fact(st, "loop_changes", _changed_in):
        if n in frame.locals:
            what = f"over {ast.unparse(st.iter)}" if isinstance(st, ast.For) \
                else f"while {ast.unparse(st.test)}"
            frame.locals[n] = Unknown(text=f"{n} after a loop {what}")


def _changed_in(st: ast.For | ast.While) -> tuple[str, ...]:
    """The names a loop assigns and the local containers it changes in place, first first."""
    names: dict[str, None] = {}
    for node in ast.walk(st):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names[node.id] = None
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in MUTATORS and isinstance(node.func.value, ast.Name):
            names[node.func.value.id] = None
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store) \
                and isinstance(node.value, ast.Name):
            names[node.value.id] = None
    return tuple(names)


# builtins that change nothing (a property or ``__getattr__`` they reach runs as a call of its own)
_INERT_BUILTINS = frozenset({"hasattr", "isinstance", "issubclass", "getattr", "callable", "len",
                             "type"})
# statements and expressions through which a function could change what it did not create,
# bind a name outside itself, or run code the call itself does not show
_EFFECTFUL = (ast.Global, ast.Nonlocal, ast.Delete, ast.For, ast.AsyncFor, ast.While, ast.With,
              ast.AsyncWith, ast.Try, ast.TryStar, ast.FunctionDef, ast.AsyncFunctionDef,
              ast.ClassDef, ast.Lambda, ast.Import, ast.ImportFrom, ast.Yield, ast.YieldFrom,
              ast.Await, ast.NamedExpr, ast.ListComp, ast.SetComp, ast.DictComp,
              ast.GeneratorExp, ast.Match)


def effect_free(f: FunctionV) -> bool:
    """A plain function (not a method, not decorated) whose code cannot change anything but its
    own locals: no ``global``/``nonlocal``, no attribute or item stored or deleted, no loop,
    ``with``, ``try``, nested scope or import, and calls only of the inert builtins
    (``hasattr``, ``isinstance``, ``getattr``...) -- TF's ``_has_tf_decorator_attr``. Its call
    is no event for a loop's fixpoint: what it reads, a later iteration reads alike, and a
    source function it reaches (a property, a shadowing definition) is a call of its own,
    counted. A fact of the source text, kept on the node."""
    node = f.node
    if f.owner is not None or f.bound is not None or not isinstance(node, ast.FunctionDef):
        return False
    return node_fact(node, "effect_free", _effect_free)


def _effect_free(node: ast.FunctionDef) -> bool:
    if node.decorator_list:
        return False
    for n in ast.walk(ast.Module(body=node.body, type_ignores=[])):
        if isinstance(n, _EFFECTFUL):
            return False
        if isinstance(n, ast.Attribute | ast.Subscript) and not isinstance(n.ctx, ast.Load):
            return False
        if isinstance(n, ast.Call) and not (isinstance(n.func, ast.Name)
                                            and n.func.id in _INERT_BUILTINS):
            return False
    return True


def accumulators(st: ast.While) -> frozenset[str]:
    """The names ``st`` uses only as ``name.append(x)`` and ``name[-1]`` (none when it defines
    a function, lambda or class: those could see the name another way). A fact of the source
    text, kept on the node (as calls.py keeps a function's signature)."""
    memo = st.__dict__.get("_tfa_accumulators")
    if memo is not None:
        return memo
    allowed: set[int] = set()  # the Name nodes in an allowed position
    nested = False
    nodes = list(ast.walk(ast.Module(body=[*st.body, ast.Expr(st.test)], type_ignores=[])))
    for node in nodes:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            nested = True
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr == "append" and isinstance(node.func.value, ast.Name) \
                and len(node.args) == 1 and not node.keywords:
            allowed.add(id(node.func.value))
        elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) \
                and isinstance(node.ctx, ast.Load) and isinstance(node.slice, ast.UnaryOp) \
                and isinstance(node.slice.op, ast.USub) \
                and isinstance(node.slice.operand, ast.Constant) \
                and node.slice.operand.value == 1:
            allowed.add(id(node.value))
    names: set[str] = set()
    bad: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Name):
            (names if id(node) in allowed else bad).add(node.id)
    result: frozenset[str] = frozenset() if nested else frozenset(names - bad)
    st.__dict__["_tfa_accumulators"] = result
    return result


def _fp(v: Any, depth: int, seen: set[int]) -> Any:
    """A comparable fingerprint of what ``v`` holds (two equal fingerprints: the engine treats
    the values alike)."""
    if type(v) is Const:
        return ("C", type(v.value), v.value, _hops(v))
    if type(v) is Unknown:
        return ("U", v.text, v.path, v.line, v.module, _hops(v))
    if not isinstance(v, Value):
        return ("O", id(v))
    if depth > _MAX_DEPTH:
        raise _Deep
    if id(v) in seen:
        return ("R", id(v))
    seen.add(id(v))
    if type(v) is Seq:
        return ("S", id(v), v.kind, v.fields, id(v.cls), _hops(v),
                tuple(_fp(i, depth + 1, seen) for i in v.items))
    if type(v) is DictV:
        return ("D", id(v), _hops(v), tuple((repr(k), _fp(i, depth + 1, seen))
                                            for k, i in v.items.items()))
    if type(v) is FunctionV:  # its attributes, receiver and closure can change
        return ("F", id(v), _hops(v), _fp(v.bound, depth + 1, seen),
                tuple((k, _fp(i, depth + 1, seen)) for k, i in v.attrs.items()),
                tuple((k, _fp(i, depth + 1, seen)) for k, i in (v.closure or {}).items()))
    if type(v) is Instance:
        return ("I", id(v), v.pending is not None, _hops(v),
                tuple((k, _fp(i, depth + 1, seen)) for k, i in v.attrs.items()),
                tuple((k, _hop(h)) for k, h in v.attr_lines.items()))
    if isinstance(v, _FIXED):
        return ("V", id(v), _hops(v))
    return ("V", id(v), _hops(v), tuple(_field(x, depth, seen) for x in vars(v).values()))


def _field(x: Any, depth: int, seen: set[int]) -> Any:
    """A field of another value (a rule's tensor, an array): the values it holds compared
    like the others."""
    if isinstance(x, list | dict | set):
        raise _Deep  # mutable contents this fingerprint does not follow
    if isinstance(x, Value):
        return _fp(x, depth + 1, seen)
    if isinstance(x, tuple):
        return tuple(_field(i, depth, seen) for i in x)
    return ("O", id(x))


def _hop(h: Any) -> Any:
    return tuple(vars(h).values()) if hasattr(h, "__dict__") else h


def _hops(v: Value) -> Any:
    return tuple(_hop(h) for h in v.hops) if v.hops else ()


def _state(it: InterpreterBase, frame: Frame, acc: frozenset[str]) -> Any:
    """The fingerprint of the frame's state between two iterations (None: not comparable).
    An accumulator counts by its last item only; the records a repeat must not add by size.
    The roots are the frame's locals and its closure."""
    seen: set[int] = set()
    out: list[Any] = []
    try:
        for k, v in frame.locals.items():
            if k in acc and type(v) is Seq:
                # by its last item; not marked seen: reached another way (an alias), the
                # list is compared whole, and its length counts
                out.append((k, "A", id(v), _fp(v.items[-1], 1, seen) if v.items else None))
            else:
                out.append((k, _fp(v, 0, seen)))
        out.extend((k, _fp(v, 0, seen)) for k, v in (frame.closure or {}).items())
    except _Deep:
        return None
    return (tuple(out), len(it.raised), len(it.refusals), len(it.decided),
            sum(len(a) for a in it.function_attrs.values()), it.calls_seen)


def _complete(it: InterpreterBase, frame: Frame, grown: dict[str, list[Value]],
              steps: int, times: int) -> None:
    """The effect of ``times`` more iterations like the last one: their steps, their appends."""
    for name, items in grown.items():
        seq = frame.locals.get(name)
        if isinstance(seq, Seq):
            seq.items.extend(items * times)
    it.abstract_steps += steps * times
    if it.abstract_steps > it.abstract_budget:
        it.over_budget(frame)


def _lengths(frame: Frame, acc: frozenset[str]) -> dict[str, int]:
    return {n: len(v.items) for n in acc if type(v := frame.locals.get(n)) is Seq}


def s_while(self: InterpreterBase, st: ast.While, frame: Frame) -> Signal:
    """``while test:`` run while its test is decided true, at most ``MAX_ABSTRACT_LOOP``
    times (import mode: ``MAX_IMPORT_LOOP``); ``break``/``continue`` as Python does. An
    undecided test, an undecided exit or a longer loop: import mode cannot follow it,
    abstract mode forgets what the loop assigns. Abstract mode stops at a fixpoint (see the
    module's docstring)."""
    strict = frame.mode.strict
    bound = MAX_IMPORT_LOOP if strict else MAX_ABSTRACT_LOOP
    track = FIXPOINT and not strict and frame.watch is None
    acc = accumulators(st) if track else frozenset()
    prev: tuple[Any, int, dict[str, list[Value]]] | None = None  # the last iteration's
    after: Any = None
    for i in range(bound):
        if track:  # the state this iteration starts from: the one the last one left
            before = after if i else _state(self, frame, acc)
            lens, s0 = _lengths(frame, acc), self.abstract_steps
            track = before is not None  # a state too deep to compare: not followed further
        t = self.truth(self.eval(st.test, frame), frame)
        if t is False:
            return self.exec_block(st.orelse, frame)
        if t is None:
            break
        sig = self.exec_block(st.body, frame)
        if isinstance(sig, Return | RaiseSignal):
            return sig
        if isinstance(sig, LoopSignal) and sig.kind == "break":
            return None
        if isinstance(sig, LoopSignal) and sig.kind == "unknown":
            break
        if not track:
            continue
        after = _state(self, frame, acc)
        grown = {n: v.items[k:] for n, k in lens.items()
                 if isinstance(v := frame.locals.get(n), Seq)}
        steps = self.abstract_steps - s0
        # a repeat: this iteration and the one before it left the state as they found it,
        # with the same steps and alike appends (a cache the first one filled is warm)
        if after is not None and after == before and prev is not None and prev[0] \
                and _same_delta((prev[1], prev[2]), (steps, grown)):
            _complete(self, frame, grown, steps, bound - i - 1)
            break
        prev = (after is not None and after == before, steps, grown)
    if strict:
        raise Undecidable("while loop")
    forget_loop_effects(st, frame)
    return None


def _same_delta(a: tuple[int, dict[str, list[Value]]],
                b: tuple[int, dict[str, list[Value]]]) -> bool:
    """Did two iterations take the same steps and append alike items to the same lists?"""
    if a[0] != b[0] or a[1].keys() != b[1].keys():
        return False
    try:
        return all([_fp(x, 0, set()) for x in a[1][k]] == [_fp(x, 0, set()) for x in b[1][k]]
                   for k in a[1])
    except _Deep:
        return False
