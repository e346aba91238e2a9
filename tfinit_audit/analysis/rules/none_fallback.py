"""Following a ``None`` until the library's code decides what it means.

``LSTMCell(initializer=None)`` passes ``initializer=self._initializer`` (None) to
``add_variable``, which passes it on to ``get_variable``, ... until a line of the library
assigns a real initializer to that function's ``initializer`` (TF 1.x ``VariableScope.
_get_default_initializer``: glorot_uniform for floats; Keras ``add_weight``'s
``if initializer is None:`` branch). The same holds for an initializer's own parameters:
``RandomUniform(maxval=None)`` means what the function ``__call__`` hands it to decides
(``if maxval is None: maxval = 1``). A ``Watch`` on the followed local of each call records the
lines that kept it None and stops (``Fixed``) at the line that decides it.
"""

from __future__ import annotations

import ast
from typing import Any

from tfinit_audit.analysis.engine.frames import Frame
from tfinit_audit.analysis.engine.hooks import CallSite
from tfinit_audit.analysis.engine.values import (
    ClassV,
    Const,
    FunctionV,
    Unknown,
    Value,
)
from tfinit_audit.analysis.model import Hop
from tfinit_audit.analysis.rules.values import Composite, InitV


class Fixed(Exception):  # noqa: N818 - control flow, not an error
    """A followed variable received its value (``hops``: the lines that led there)."""

    def __init__(self, value: Value, hops: list[Hop]) -> None:
        super().__init__()
        self.value = value
        self.hops = hops


def is_initializer(v: Value) -> bool:
    """An initializer object, or a nested function used as one (``bias_initializer(...)``)."""
    return isinstance(v, InitV | Composite) or (isinstance(v, FunctionV) and v.closure is not None)


def undecided(v: Value) -> bool:
    """An initializer argument whose meaning the called code decides: None, or a string
    identifier (``add_weight(initializer="glorot_uniform")`` looks it up itself)."""
    return isinstance(v, Const) and (v.value is None or isinstance(v.value, str))


class InitializerWatch:
    """Follows ``initializer`` in one call: a real initializer assigned to it or passed on
    decides; None (or a string identifier) passed on to another source function is followed
    into that function."""

    name = "initializer"

    def __init__(self) -> None:
        self.trail: list[Hop] = []  # lines that kept it None

    def on_assign(self, it: Any, frame: Frame, name: str, value: Value, st: ast.stmt) -> None:
        if name != "initializer":
            return
        if is_initializer(value):
            hop = frame.hop(st.lineno, f"{frame.func_name}: initializer = {value.describe()}")
            raise Fixed(value, [*self.trail, hop])
        if isinstance(value, Const):
            src = it.unparse(st.value) if isinstance(st, ast.Assign) else "..."
            self.trail.append(frame.hop(
                st.lineno, f"{frame.func_name}: initializer = {src} -> {value.value!r}"))
        elif isinstance(value, Unknown):
            # what it holds now cannot be known: a later ``if initializer is None`` would be a
            # guess (an identifier the release's lookup does not know stays unresolved)
            raise Fixed(value, list(self.trail))

    def on_call(self, it: Any, site: CallSite) -> Value | None:
        f, e, frame = site.callee, site.node, site.frame
        if not isinstance(f, FunctionV | ClassV):
            return None
        init_arg = initializer_arg(f, site.args, site.kwargs)
        forwards_all = any(isinstance(a, ast.Starred) for a in e.args) or any(
            k.arg is None for k in e.keywords)
        if init_arg is None and forwards_all and isinstance(f, FunctionV) \
                and has_param(f, "initializer"):
            init_arg = Const(value=None)  # *args/**kwargs pass-through without an initializer
        if init_arg is None:
            return None
        if is_initializer(init_arg):
            hop = frame.hop(e.lineno,
                            f"{frame.func_name}: passes initializer={init_arg.describe()}")
            raise Fixed(init_arg, [hop])
        if undecided(init_arg) and isinstance(f, FunctionV):
            assert isinstance(init_arg, Const)
            kw = next((k for k in e.keywords if k.arg == "initializer"), None)
            line = kw.value.lineno if kw is not None else e.lineno
            expr = it.unparse(kw.value) if kw is not None else "initializer"
            hop = frame.hop(line, f"{frame.func_name}: passes {expr} = {init_arg.value!r} on "
                                  f"to {f.name}")
            value, hops = follow_none_initializer(it, f, site.args, site.kwargs,
                                                  (frame, e))
            if hops is None:
                raise Fixed(value, [hop])
            raise Fixed(value, [*self.trail, hop, *hops])
        return None


def follow_none_initializer(it: Any, f: FunctionV, args: list[Value],
                            kwargs: dict[str, Value],
                            site: tuple[Frame, ast.Call] | None) -> tuple[Value, list[Hop] | None]:
    """Call ``f`` with its ``initializer`` None (or a string identifier) and follow it: the
    value that decides and the lines that led there (hops None: it stays undecided, the value
    is Unknown)."""
    try:
        it.call(f, args, kwargs, site, watch=InitializerWatch())
    except Fixed as fx:
        return fx.value, fx.hops
    node = f.node
    given = initializer_arg(f, args, kwargs)
    what = "None" if given is None or not isinstance(given, Const) or given.value is None \
        else f"{given.value!r}"
    return Unknown(text=f"initializer stays {what} in {f.name}", path=f.src.path,
                   line=getattr(node, "lineno", 0)), None


class ParamWatch:
    """Follows one None parameter (``name``) of a call until a constant is assigned to it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.trail: list[Hop] = []

    def on_assign(self, it: Any, frame: Frame, name: str, value: Value, st: ast.stmt) -> None:
        if name != self.name:
            return
        if isinstance(value, Const) and value.value is None:
            self.trail.append(frame.hop(st.lineno, f"{frame.func_name}: {name} stays None"))
            return
        if isinstance(value, Const):
            when = f" when {frame.conds[-1]}" if frame.conds else ""
            hop = frame.hop(st.lineno, f"{frame.func_name}: {name} = {value.value!r}{when}")
            raise Fixed(value, [*self.trail, hop])
        raise Fixed(Unknown(text=name), [])

    def on_call(self, it: Any, site: CallSite) -> Value | None:
        return None


def initializer_arg(f: FunctionV | ClassV, args: list[Value],
                    kwargs: dict[str, Value]) -> Value | None:
    """The value a call passes as ``initializer`` (keyword or by position), if any."""
    return passed_arg(f, args, kwargs, "initializer")


def arg_position(f: Any, name: str, usual: int | None = None) -> int | None:
    """Where a call of ``f`` passes parameter ``name`` by position (the receiver of a bound
    method left out), from ``f``'s own signature; ``usual`` when the signature is not known
    or takes ``*args`` without naming ``name``; None when it has no such positional
    parameter. Keras 2.0's ``add_weight(shape, initializer, name=None, ...)`` takes the shape
    first, later ones ``add_weight(name, shape, ...)``."""
    node = f.node if isinstance(f, FunctionV) else None
    if node is None or isinstance(node, ast.Lambda):
        return usual
    pos = [a.arg for a in [*node.args.posonlyargs, *node.args.args]]
    if f.bound is not None:
        pos = pos[1:]
    if name in pos:
        return pos.index(name)
    return usual if node.args.vararg is not None else None


def passed_arg(f: Any, args: list[Value], kwargs: dict[str, Value], name: str,
               usual: int | None = None) -> Value | None:
    """The value a call passes as parameter ``name`` (keyword or by position, ``usual`` as
    ``arg_position`` takes it), if any."""
    if name in kwargs:
        return kwargs[name]
    i = arg_position(f, name, usual)
    return args[i] if i is not None and i < len(args) else None


def has_param(f: FunctionV, name: str) -> bool:
    node = f.node
    if node is None:
        return False
    a = node.args
    return any(p.arg == name for p in [*a.posonlyargs, *a.args, *a.kwonlyargs])
