"""TF 1.x custom getters: a variable made inside ``variable_scope(..., custom_getter=f)`` is
got through ``f``, which may rename it or change its initializer.

``tensorflow/python/ops/variable_scope.py`` (``_VariableStore.get_variable``): with a custom
getter the store calls ``custom_getter(getter=_true_getter, name=name, shape=shape,
dtype=dtype, initializer=initializer, ...)`` and the variable is whatever reaches the true
getter; scopes nest their getters (``_maybe_wrap_custom_getter``: the inner one runs first and
gets the outer one, bound to the true getter, as its ``getter``). ``tf.contrib.layers``
(``contrib/layers/python/layers/layers.py``) builds its layers this way: ``fully_connected``,
``conv2d_transpose``, ``separable_conv2d``... open ``variable_scope(scope, ...,
custom_getter=_build_variable_getter({'bias': 'biases', 'kernel': 'weights'}))``, whose getter
renames the last name component through that dict before ``variables.model_variable`` hands
the name on to ``getter`` -- so ``fully_connected/kernel`` is ``fully_connected/weights``.

The rule runs the release's own getter code on the variable's name, shape and initializer, the
true getter standing for the variable store: the name (and initializer) the true getter is
called with is the variable's. Nothing about any getter is known in advance; a getter whose
code does not reach the true getter leaves the name shown as unknown (never a guess).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tfinit_audit.analysis.engine.frames import Mode
from tfinit_audit.analysis.engine.values import BuiltinV, Const, FunctionV, Unknown, Value
from tfinit_audit.analysis.model import Hop
from tfinit_audit.analysis.rules.values import ScopeV


@dataclass
class Got:
    """What the true getter was called with: the variable's name and initializer."""

    name: str
    init: Value
    hops: list[Hop] = field(default_factory=list)


def through_custom_getters(it: Any, scope: ScopeV, name: str, shape: Value,
                           init: Value) -> Got | None:
    """The variable ``name`` made in ``scope``, as its custom getters hand it to the store;
    None when the scope has none. A name the getters' code does not decide is shown braced,
    as an expression (``fully_connected/{getter(kernel)}``)."""
    if not scope.getters:
        return None
    hops = [h for _, h in scope.getters]
    reached: list[tuple[Value, Value]] = []

    def true_getter(it2: Any, args: list[Value], kwargs: dict[str, Value],
                    mode: Mode) -> Value:
        got = args[0] if args else kwargs.get("name", Unknown(text="name"))
        reached.append((got, kwargs.get("initializer", init)))
        return Unknown(text=f"variable {name}")

    # the store calls the scope's getter with the true one (``_true_getter``) by keyword
    it.call(composed([g for g, _ in scope.getters]), [], {
        "getter": BuiltinV(name="true getter", fn=true_getter), "name": Const(value=name),
        "shape": shape, "dtype": Unknown(text="dtype"), "initializer": init})
    got_name = reached[0][0] if len(reached) == 1 else None
    if isinstance(got_name, Const) and isinstance(got_name.value, str):
        got_init = reached[0][1]
        if got_name.value != name:
            hops.append(_renamed_hop(scope.getters[0], name, got_name.value))
        return Got(name=got_name.value, init=got_init, hops=[*hops, *got_name.hops])
    head, _, last = name.rpartition("/")
    shown = "{custom getter(" + last + ")}"
    return Got(name=f"{head}/{shown}" if head else shown, init=init, hops=hops)


def composed(getters: list[Value]) -> Value:
    """A scope's custom getter as ``_maybe_wrap_custom_getter`` makes it from its getters
    (innermost first): one getter is itself; a getter nested in others is wrapped so that it
    gets the outer ones, bound to the getter it is given, as its ``getter``."""
    inner = getters[0]
    if len(getters) == 1:
        return inner
    outer = composed(getters[1:])

    def wrapped(it: Any, args: list[Value], kwargs: dict[str, Value], mode: Any) -> Value:
        rest = dict(kwargs)
        getter = args[0] if args else rest.pop("getter", Unknown(text="getter"))

        def bound(it2: Any, a2: list[Value], k2: dict[str, Value], m2: Any) -> Value:
            out: Value = it2.call(outer, [getter, *a2], k2)
            return out

        out: Value = it.call(inner, [BuiltinV(name="functools.partial(old_getter, getter)",
                                              fn=bound), *args[1:]], rest)
        return out

    return BuiltinV(name="wrapped_custom_getter", fn=wrapped)


def _renamed_hop(getter: tuple[Value, Hop], name: str, new: str) -> Hop:
    """The line of the getter's code (its ``def``; else the scope's line) that renamed it."""
    f, at = getter
    note = f"the custom getter hands {name!r} to the store as {new!r}"
    if isinstance(f, FunctionV) and f.node is not None:
        return f.src.hop(f.node.lineno, f"{f.name}: {note}")
    return Hop(at.package, at.path, at.line, at.code, note)
