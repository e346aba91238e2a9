"""TF 1.x variable scopes: the names and default initializers of variables made at call time."""

from __future__ import annotations

import ast
from typing import Any

from tfinit_audit.analysis.engine.frames import Mode
from tfinit_audit.analysis.engine.hooks import CallSite, Rule
from tfinit_audit.analysis.engine.values import (
    BuiltinV,
    ClassV,
    Const,
    FunctionV,
    Unknown,
    Value,
)
from tfinit_audit.analysis.rules.custom_getters import composed
from tfinit_audit.analysis.rules.none_fallback import is_initializer
from tfinit_audit.analysis.rules.values import DType, ScopeV

_SCOPE_FUNCTIONS = ("variable_scope", "variable_op_scope")
_SETTERS = ("set_partitioner", "set_caching_device", "set_regularizer", "set_dtype",
            "set_use_resource", "set_custom_getter", "reuse_variables", "set_constraint")


class VariableScopes(Rule):
    """``with variable_scope(name_or_scope, default_name=None, ..., initializer=None)``
    (``tensorflow/python/ops/variable_scope.py``, every 0.x/1.x release): the variables
    ``get_variable`` creates inside are named under the scope (``gates/kernel``), and one
    created with no initializer gets the innermost scope's ``initializer`` (a scope inherits
    its parent's). ``variable_scope(scope_object)`` -- e.g. the caller's
    ``get_variable_scope()`` -- re-enters that scope's name; ``variable_scope(None,
    default_name="x")`` is named "x" (its first use). ``scope.set_initializer(init)`` sets the
    default for the rest of the scope. ``custom_getter=`` is kept on the scope (a sub-scope
    or the scope re-entered keeps it; a nested scope's getter runs first and gets the outer
    one as its ``getter`` where the release's ``variable_scope`` module wraps them --
    ``_maybe_wrap_custom_getter``, TF 1.2 on --, else it replaces the outer one):
    rules/custom_getters.py runs it for each variable made inside; a scope's
    ``custom_getter`` attribute is None without one, the getter itself with one, the wrapped
    getters with several (TF 1.0-1.2 ``tf.layers`` read ``get_variable_scope().custom_getter``
    before wrapping theirs).
    ``reuse=True`` (inherited by sub-scopes) only gets
    existing variables, ``reuse=tf.AUTO_REUSE`` gets or creates. Names are relative to the
    layer's own scope, and the layer is called outside any scope of the user's (as in a fresh
    model).

    Added for one layer's call with ``Interpreter.hooks``; ``active`` is off while the library's
    own ``get_variable`` is followed: ``get_variable_scope()`` is then the library's own object
    (whose ``get_variable`` is followed), while scopes opened on the way are still tracked."""

    name = "variable-scopes"

    def __init__(self) -> None:
        self.stack: list[ScopeV] = [ScopeV(path=())]
        self.active = True

    @property
    def current(self) -> ScopeV:
        return self.stack[-1]

    def call_site(self, it: Any, site: CallSite) -> Value | None:
        f = site.callee
        if _is_next(site) and site.args and isinstance(site.args[0], ScopeV):
            # ``next(variable_scope(...).gen)``: the scope object, kept (TF 1.0-1.2 tf.layers)
            return site.args[0]
        if not isinstance(f, FunctionV | ClassV) \
                or f.module.rsplit(".", 1)[-1] != "variable_scope":
            return None
        if f.name == "get_variable_scope":
            return self.current if self.active else None
        if f.name not in _SCOPE_FUNCTIONS:
            return None
        env = _bind(it, f, site.args, site.kwargs)
        if env is None:
            return None
        target = env.get("name_or_scope", Const(value=None))
        default = env.get("default_name", Const(value=None))
        init = env.get("initializer", Const(value=None))
        reuse = _reuse(env.get("reuse", Const(value=None)))
        cur = self.current
        if isinstance(target, ScopeV):
            path, inherited, init_hop = target.path, target.initializer, target.init_hop
            inherited_reuse, name_hops, getters = target.reuse, target.name_hops, target.getters
        else:
            if isinstance(target, Const) and isinstance(target.value, str) and target.value:
                part = target.value
            elif isinstance(target, Const) and target.value is None and \
                    isinstance(default, Const) and isinstance(default.value, str):
                part = default.value
            else:  # a name the evaluation cannot know: shown as what it was
                shown = default if isinstance(target, Const) and target.value is None \
                    else target
                part = "{" + (shown.text if isinstance(shown, Unknown) and shown.text
                              else shown.describe()) + "}"
            path, inherited, init_hop = (*cur.path, part), cur.initializer, cur.init_hop
            inherited_reuse, getters = cur.reuse, cur.getters
            name_hops = (*cur.name_hops, site.frame.hop(
                site.node.lineno, f"{site.frame.func_name}: variable_scope {part!r} names the "
                                  f"variables created in it"))
        if is_initializer(init):
            inherited = init
            init_hop = site.frame.hop(site.node.lineno,
                                      f"{site.frame.func_name}: variable_scope with "
                                      f"initializer={init.describe()} (the default of the "
                                      f"variables created in it)")
        getter = env.get("custom_getter", Const(value=None))
        if not (isinstance(getter, Const) and getter.value is None):
            nests = _nests(f)
            hop = site.frame.hop(
                site.node.lineno, f"{site.frame.func_name}: variable_scope with custom_getter="
                                  f"{_shown(getter)} (the variables created in it are got "
                                  f"through it" + ("" if nests or not getters else
                                                   ", in place of the enclosing scope's") + ")")
            getters = ((getter, hop), *getters) if nests else ((getter, hop),)
        return ScopeV(path=path, initializer=inherited, init_hop=init_hop,
                      reuse=reuse if reuse is not None else inherited_reuse,
                      name_hops=name_hops, getters=getters)

    def enter(self, it: Any, ctx: Value, frame: Any) -> Value | None:
        if not isinstance(ctx, ScopeV):
            return None
        self.stack.append(ctx)
        return ctx

    def leave(self, it: Any, ctx: Value) -> None:
        if isinstance(ctx, ScopeV) and len(self.stack) > 1 and self.stack[-1] is ctx:
            self.stack.pop()

    def attr(self, it: Any, obj: Value, attr: str) -> Value | None:
        if not isinstance(obj, ScopeV):
            return None
        if attr in ("name", "original_name_scope") and any(p.startswith("{") for p in obj.path):
            return Unknown(text=f"variable_scope {'/'.join(obj.path)!r}.{attr}")
        if attr == "name":
            return Const(value="/".join(obj.path))
        if attr == "original_name_scope":
            return Const(value="/".join(obj.path) + "/" if obj.path else "")
        if attr == "gen":  # the generator of the context manager: next() enters the scope
            return obj
        if attr == "initializer":
            return obj.initializer or Const(value=None)
        if attr == "dtype":
            return DType(name="float32")
        if attr == "reuse":
            return Const(value=False)
        if attr == "custom_getter":
            return composed([g for g, _ in obj.getters]) if obj.getters else Const(value=None)
        if attr == "set_initializer":
            return BuiltinV(name="VariableScope.set_initializer", fn=_set_initializer(obj),
                            bound=obj)
        if attr in _SETTERS:
            return BuiltinV(name=f"VariableScope.{attr}", fn=_none, bound=obj)
        return Unknown(text=f"variable_scope.{attr}")


def _nests(f: FunctionV | ClassV) -> bool:
    """Whether this release's scopes nest custom getters: its ``variable_scope`` module wraps
    a scope's getter around the enclosing one's (``_maybe_wrap_custom_getter``, TF 1.2 on);
    before, a scope's ``custom_getter`` took the enclosing one's place (TF 1.0-1.1
    ``set_custom_getter``)."""
    return f.src.function_info("_maybe_wrap_custom_getter") is not None


def _shown(v: Value) -> str:
    if isinstance(v, FunctionV):
        return v.name
    return v.text if isinstance(v, Unknown) and v.text else v.describe()


def _is_next(site: CallSite) -> bool:
    """A call of the builtin ``next`` (not a function of the release's own)."""
    fn = getattr(site.node, "func", None)
    return isinstance(fn, ast.Name) and fn.id == "next" \
        and not isinstance(site.callee, FunctionV | ClassV)


def _reuse(v: Value) -> bool | str | None:
    """``reuse=``: True, "auto" (``tf.AUTO_REUSE``, an enum member), None (inherit)."""
    if isinstance(v, Const):
        return True if v.value is True else None
    return "auto"


def _bind(it: Any, f: FunctionV | ClassV, args: list[Value],
          kwargs: dict[str, Value]) -> dict[str, Value] | None:
    if isinstance(f, ClassV):
        found = it.member(f, "__init__")
        if found is None or not isinstance(found[1], FunctionV):
            return None
        fn = found[1].with_receiver(Unknown(text="scope"))
    else:
        fn = f
    if fn.node is None:
        return None
    env: dict[str, Value] | None = it.bind(fn, args, kwargs)
    return env


def _none(it: Any, args: list[Value], kwargs: dict[str, Value], mode: Mode) -> Value:
    return Const(value=None)


def _set_initializer(scope: ScopeV) -> Any:
    def call(it: Any, args: list[Value], kwargs: dict[str, Value], mode: Mode) -> Value:
        init = args[0] if args else kwargs.get("initializer")
        if init is not None and is_initializer(init):
            scope.initializer = init
            scope.init_hop = next(iter(init.hops), None)
        return Const(value=None)

    return call
