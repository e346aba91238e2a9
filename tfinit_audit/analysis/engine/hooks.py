"""Hook points where rules teach the engine a library's conventions.

The engine knows Python; what TensorFlow or Keras mean by a call or a value is a ``Rule``
(analysis/rules). A rule overrides only the hooks it needs; the engine asks the rules in the
order they were registered and takes the first answer that is not None.

Hook points, in the order the engine reaches them:

- ``call_site(it, site)``: a call expression is about to be evaluated (the arguments are
  evaluated; ``site.frame`` and ``site.node`` say where). Answer a value to replace the call.
- ``call(it, callee, args, kwargs)``: any call, also the ones the engine or a rule makes itself.
- ``instantiate(it, cls, args, kwargs)``: a source class is called.
- ``module_attr(it, module, attr)``: an attribute of a module, before the module's namespace.
- ``attr(it, obj, attr)``: an attribute of any other value, before Python's own lookup.
- ``binop(it, op, left, right)``: an arithmetic operator on values that are not plain Python
  constants (a tensor times a tensor).
- ``enter(it, ctx, frame)`` / ``leave(it, ctx)``: a ``with`` block (abstract mode) enters the
  context manager ``ctx`` (answer the value bound by ``as``) and leaves it, also when the block
  ends by an exception.
- ``assigned(it, frame, name, value, stmt)``: a value is about to be bound to the local
  ``name`` by ``stmt`` (``frame.taken`` says which ``if`` tests were true on the way). Answer
  the value to bind instead (e.g. the same value with more hops).
- ``removed(it, module, name)``: a public name the module's namespace binds is about to be
  answered; a rule that knows the module deletes it at the end of its import by a call the
  engine does not follow answers where (a ``Hop``): the name is then absent, for attribute
  access and star imports alike.
- ``traced(it, value, event)``: True for values whose lines are worth recording in provenance
  when they are assigned to a local ("assign"), returned ("return") or bound by a module-level
  assignment ("alias"); the engine then adds a hop to the value.

Per-question hooks (e.g. the collector of created weights) are added for a block with
``Interpreter.hooks(rule)``, a context manager; nothing stays installed after the block.
A ``Watch`` follows one local variable of one call (``Interpreter.call(..., watch=w)``) and of
the calls that variable is passed on to.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

from tfinit_audit.analysis.engine.frames import CallSite, Watch
from tfinit_audit.analysis.engine.values import ClassV, ModuleV, Value

__all__ = ["HOOKS", "CallSite", "Rule", "RuleSet", "Watch"]


class Rule:
    """One convention of a library the analysis relies on. Subclasses document, in their
    docstring, what convention they encode and where in TensorFlow/Keras it comes from."""

    name = "rule"

    def call_site(self, it: Any, site: CallSite) -> Value | None:
        return None

    def call(self, it: Any, callee: Value, args: list[Value],
             kwargs: dict[str, Value]) -> Value | None:
        return None

    def instantiate(self, it: Any, cls: ClassV, args: list[Value],
                    kwargs: dict[str, Value]) -> Value | None:
        return None

    def module_attr(self, it: Any, module: ModuleV, attr: str) -> Value | None:
        return None

    def attr(self, it: Any, obj: Value, attr: str) -> Value | None:
        return None

    def binop(self, it: Any, op: Any, left: Value, right: Value) -> Value | None:
        return None

    def enter(self, it: Any, ctx: Value, frame: Any) -> Value | None:
        return None

    def leave(self, it: Any, ctx: Value) -> None:
        return None

    def assigned(self, it: Any, frame: Any, name: str, value: Value,
                 stmt: Any) -> Value | None:
        return None

    def removed(self, it: Any, module: ModuleV, name: str) -> Any:
        return None

    def decorated(self, it: Any, fn: Value) -> bool:
        """Run the decorators of this method (engine/decorators.py) when it is looked up on
        its class? The engine leaves a method as written unless a rule asks."""
        return False

    def traced(self, it: Any, value: Value, event: str) -> bool:
        """Record a hop when ``value`` is assigned to a local ("assign"), returned from a
        function ("return") or bound by a module-level assignment ("alias")?"""
        return False


HOOKS = ("call_site", "call", "instantiate", "module_attr", "attr", "binop", "enter", "leave",
         "assigned", "removed", "decorated", "traced")


class RuleSet:
    """The registered rules, plus the rules added for the current block; indexed by the hooks
    each one overrides so that a hook nobody uses costs nothing."""

    def __init__(self, rules: Sequence[Rule] = ()) -> None:
        self.base: list[Rule] = list(rules)
        self.extra: list[Rule] = []
        self.by_hook: dict[str, list[Rule]] = {}
        self.extra_by_hook: dict[str, list[Rule]] = {}
        self._asked: dict[str, list[Rule]] = {}
        self._index()

    def _index(self) -> None:
        def overriding(rules: list[Rule], hook: str) -> list[Rule]:
            return [r for r in rules if getattr(type(r), hook) is not getattr(Rule, hook)]

        self.by_hook = {h: overriding(self.base, h) for h in HOOKS}
        self.extra_by_hook = {h: overriding(self.extra, h) for h in HOOKS}
        self._asked = {h: [*self.extra_by_hook[h], *self.by_hook[h]] for h in HOOKS}

    @contextlib.contextmanager
    def added(self, rules: Sequence[Rule], replace: bool = False) -> Iterator[None]:
        """Rules for one block: asked before the registered ones (``replace``: instead of the
        other rules added for enclosing blocks)."""
        saved = self.extra
        self.extra = list(rules) if replace else [*rules, *saved]
        self._index()
        try:
            yield
        finally:
            self.extra = saved
            self._index()

    def asked(self, hook: str) -> list[Rule]:
        """The rules to ask at ``hook``, in order: the block's, then the registered ones."""
        return self._asked[hook]  # (made when the rules change: asked on every lookup)

    def assigned(self, it: Any, frame: Any, name: str, value: Value, stmt: Any) -> Value | None:
        for r in self.asked("assigned"):
            got = r.assigned(it, frame, name, value, stmt)
            if got is not None:
                return got
        return None

    def removed(self, it: Any, module: ModuleV, name: str) -> Any:
        return None

    def traced(self, it: Any, value: Value, event: str) -> bool:
        for r in self.asked("traced"):  # noqa: SIM110 - asked on every assignment: no genexpr
            if r.traced(it, value, event):
                return True
        return False
