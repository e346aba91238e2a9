"""Whether a wrapper's own code ever builds the layer it wraps.

A layer's weights are made by its ``build``, which the Layer API runs from the methods that
call it (Keras ``Layer.__call__`` calls ``self.build``; tf.layers ``apply`` calls
``self.__call__``): those are the layer's *building methods*, read from the wrapper's own MRO
(it is a layer too). A wrapper holds its inner layer as ``self.<attr> = <param>``; it builds
it when its own code (its MRO below the Layer-API machinery) calls ``self.<attr>(...)`` or
``self.<attr>.<building method>(...)`` -- Keras 2.4 ``Wrapper.build`` does
``self.layer.build(input_shape)``. The abstract Keras ``Wrapper`` of TF 1.4-1.12 only sets
``self.built = True`` and reads ``self.layer``'s properties: the inner layer is never built,
and ``Wrapper(Dense(64))`` has no weights, as live TensorFlow shows. Undecided (None) when the
wrapper hands ``self.<attr>`` to other code (an argument, a copy), which may build it -- but
Python's own ``hasattr``/``getattr``/``isinstance`` only look at it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from typing import Any

from tfinit_audit.analysis.engine.values import ClassV, FunctionV

BUILD = "build"
# Python builtins that only look at an object (``hasattr(self.layer, "x")``): never a build
_LOOKS = frozenset(("hasattr", "getattr", "isinstance", "type", "id", "repr", "str"))


def _methods(cls: ClassV, classes: Iterable[ClassV]) -> list[FunctionV]:
    return [FunctionV(src=c.src, info=info, owner=c, modname=c.modname)
            for c in classes for info in c.info.methods.values()]


def _is_self(n: ast.AST) -> bool:
    return isinstance(n, ast.Name) and n.id == "self"


def building_methods(it: Any, cls: ClassV) -> set[str]:
    """``build`` and the methods of ``cls``'s MRO that call it on ``self``, directly or
    through another such method (``self(...)`` counts as ``__call__``)."""
    names = {BUILD}
    bodies = [(f.info.name, f.node) for f in _methods(cls, it.source_mro(cls))
              if f.info is not None and f.node is not None]
    changed = True
    while changed:
        changed = False
        for name, node in bodies:
            if name in names:
                continue
            for n in ast.walk(node):
                if isinstance(n, ast.Call) and (
                        (_is_self(n.func) and "__call__" in names)
                        or (isinstance(n.func, ast.Attribute) and _is_self(n.func.value)
                            and n.func.attr in names)):
                    names.add(name)
                    changed = True
                    break
    return names


def _held_as(own: list[FunctionV], params: list[str]) -> dict[str, str]:
    """``self.<attr> = <param>`` in the wrapper's own methods: attr -> param."""
    out: dict[str, str] = {}
    for f in own:
        for n in ast.walk(f.node) if f.node is not None else ():
            if isinstance(n, ast.Assign) and isinstance(n.value, ast.Name) \
                    and n.value.id in params:
                for t in n.targets:
                    if isinstance(t, ast.Attribute) and _is_self(t.value):
                        out[t.attr] = n.value.id
    return out


def never_built(it: Any, cls: ClassV, own_classes: list[ClassV],
                params: list[str]) -> str | None:
    """Why a wrapper (``own_classes``: its MRO below the machinery) never builds its inner
    layer ``params``; None when it does, or may (``self.<attr>`` handed elsewhere)."""
    own = _methods(cls, own_classes)
    held = _held_as(own, params)
    if not held:
        return None
    entries = building_methods(it, cls)
    parents: dict[int, ast.AST] = {}
    for f in own:
        for p in ast.walk(f.node) if f.node is not None else ():
            for c in ast.iter_child_nodes(p):
                parents[id(c)] = p
    for f in own:
        for n in ast.walk(f.node) if f.node is not None else ():
            if not (isinstance(n, ast.Attribute) and _is_self(n.value) and n.attr in held
                    and isinstance(n.ctx, ast.Load)):
                continue
            up = parents.get(id(n))
            if isinstance(up, ast.Call) and up.func is n:
                if "__call__" in entries:
                    return None  # self.layer(...)
                continue
            if isinstance(up, ast.Call) and isinstance(up.func, ast.Name) \
                    and up.func.id in _LOOKS:
                continue
            if isinstance(up, ast.Attribute) and up.value is n:
                call = parents.get(id(up))
                if isinstance(call, ast.Call) and call.func is up and up.attr in entries:
                    return None  # self.layer.build(...)
                continue  # a property read, or a method that does not build
            return None  # handed to other code: it may build it
    attr, param = next(iter(held.items()))
    where = ", ".join(sorted({c.src.path for c in own_classes}))
    return (f"{cls.name} never builds its {param}: its own code ({where}) neither calls "
            f"self.{attr} nor calls one of its building methods "
            f"({', '.join(sorted(entries))}) on it")
