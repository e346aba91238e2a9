"""Which methods of a class can run, read from its code (for analysis/listing.py, which asks
whether a member's code can create a variable).

A layer or an RNN cell is used through what its users and the Layer API call: its public
methods (``build``, ``call``, ``adapt``...) and the special ones Python calls itself
(``__init__``, ``__call__``, a property's getter by its name...). A private method
(``_add_state_variable`` of Keras 2.4 ``CombinerPreprocessingLayer``, used only by the
subclasses that need state) runs only when code that runs uses it by name. An object that is
neither (TF 1.x ``VariableScope``, an ``Estimator``) runs, for the code that builds it, its
constructor and the special methods, and the methods that code uses by name
(``get_variable_scope()`` makes a ``VariableScope`` and never calls its ``get_variable``).
Names, not objects: ``x.f`` anywhere counts for every ``f``.
"""

from __future__ import annotations

import ast

from tfinit_audit.analysis.engine.values import FunctionV

# what runs of an object when it is made, or used through a protocol no name is written for
CONSTRUCTION = frozenset(("__new__", "__init__", "__post_init__", "__call__", "__enter__",
                          "__exit__", "__getattr__", "__setattr__"))


def used(node: ast.AST) -> frozenset[str]:
    """Every attribute name ``node`` reads (``self._helper``, ``x.f(...)``)."""
    return frozenset(n.attr for n in ast.walk(node)
                     if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Load))


def running(functions: list[FunctionV], run: frozenset[str] | None) -> set[str]:
    """The names of ``functions`` (methods of a class's MRO) that can run: with ``run`` None
    every public or special one, else ``CONSTRUCTION`` and ``run``; then, in turn, every one
    of them that those read by name (every definition of a name: an override's ``super()``
    call reaches the base's)."""
    by_name: dict[str, list[FunctionV]] = {}
    for f in functions:
        if f.info is not None:
            by_name.setdefault(f.info.name, []).append(f)
    if run is None:
        names = {m for m in by_name if not m.startswith("_") or m.endswith("__")}
    else:
        names = set(CONSTRUCTION | run)
    todo = [m for m in names if m in by_name]
    done: set[str] = set()
    while todo:
        m = todo.pop()
        if m in done:
            continue
        done.add(m)
        for f in by_name[m]:
            node = f.node
            for name in used(node) if node is not None else ():
                names.add(name)
                if name in by_name and name not in done:
                    todo.append(name)
    return names
