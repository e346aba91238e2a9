"""A decorated method is what its decorators return.

Python's ``class`` statement stores under a method's name the result of applying its
decorators, innermost first (``build = shape_type_conversion(build)``); looking the name up
on the class or an instance finds that result, and a call of ``layer.build(x)`` runs it. The
engine does the same when it binds a class member: each decorator expression is evaluated in
the defining module and called on the function, and when the result is a function from the
source (a wrapper closure: TF 1.8-2.x Keras ``shape_type_conversion``'s ``wrapper(instance,
input_shape)``) that is the member, bound as a method; it remembers the method as written
(``FunctionV.decorates``). The descriptors the binding itself models (``property``,
``staticmethod``, ``classmethod``, setters) are left to it. A decorator that gives back the
function itself, anything else than a function from the source (an object whose ``__call__``
forwards: TF's ``tf_decorator.make_decorator``), or a decoration the engine cannot follow
leaves the method as written. Import-time (strict) lookups are left as written too.

Which methods' decorators run is a rule's answer (the ``decorated`` hook, rules/
decorated_build.py): the rules follow library functions by the names they are written with
(a weight creator behind TF's ``deprecation`` wrapper would be a ``new_func`` forwarding
``*args``), so a method stays as written unless a rule asks.
"""

from __future__ import annotations

import ast
import dataclasses
from typing import Any

from tfinit_audit.analysis.engine.frames import ABSTRACT, Frame, Mode, PathEnds, Raised, Undecidable
from tfinit_audit.analysis.engine.values import Decorated, FunctionV, ModuleV, decorator_name

# decorators the member binding models itself (engine/attributes.py)
_DESCRIPTORS = frozenset({"property", "cached_property", "staticmethod", "classmethod",
                          "setter", "deleter", "getter"})

Key = tuple[str, int, int, str]


def decorated(it: Any, m: FunctionV, mode: Mode) -> FunctionV:
    """The function the class holds under ``m``'s name: its decorators' result when that is
    a function from the source, else ``m``."""
    node = m.node
    if mode.strict or m.bound is not None or m.decorates is not None \
            or not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) \
            or not node.decorator_list:
        return m
    if not any(r.decorated(it, m) for r in it.rules.asked("decorated")):
        return m
    key: Key = (m.src.path, node.lineno, node.col_offset, m.module)
    memo: dict[Key, FunctionV | None] = it.decorated_members
    if key not in memo:
        memo[key] = None  # a decoration that looks the member up again sees it as written
        memo[key] = _apply(it, m, node)
    return memo[key] or m


def _apply(it: Any, m: FunctionV, node: ast.FunctionDef | ast.AsyncFunctionDef) \
        -> FunctionV | None:
    names = {decorator_name(ast.unparse(d)).rpartition(".")[2] for d in node.decorator_list}
    if names & _DESCRIPTORS:
        return None
    frame = Frame(mod=ModuleV(name=m.module, path=m.src.path), src=m.src, locals={},
                  mode=ABSTRACT, owner=m.owner, quiet=True)
    value: Any = m
    for d in reversed(node.decorator_list):
        try:
            deco = it.eval(d, frame)
            value = it.call(deco, [value], {}, mode=ABSTRACT)
        except (Raised, Undecidable, PathEnds, RecursionError):
            return None
        if not isinstance(value, FunctionV) or value.node is None or value.bound is not None:
            return None
    assert isinstance(value, FunctionV)
    if value.node is node:  # the decorator gave the function back
        return None
    return dataclasses.replace(value, decorates=Decorated(owner=m.owner, name=m.name,
                                                          original=m))
