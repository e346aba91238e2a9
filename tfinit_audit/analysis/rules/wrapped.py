"""What a wrapper requires of the layer it wraps, read from the wrapper's own checks.

Some Keras wrappers accept only inner layers with a given attribute and say so in their build:
``SpectralNormalization.build`` (Keras 2 ``keras/src/layers/normalization/
spectral_normalization.py``, Keras 3 the same path) reads

    if hasattr(self.layer, "kernel"): ...
    elif hasattr(self.layer, "embeddings"): ...
    else: raise ValueError(... "has no attribute 'kernel' nor 'embeddings'")

so an ``LSTM`` (whose kernel belongs to its cell) is refused. This rule reads such a chain --
``hasattr(self.<param>, "NAME")`` tests, one after the other in ``elif``s, ending in an
``else`` that raises -- in the wrapper's ``__init__`` and ``build``, and whether a candidate
inner class's own code can give its instances one of those attributes (a method, property or
class attribute of that name, or a ``self.NAME = ...`` in one of its methods). The argument
table's inner entry lists its candidates in order (analysis/arguments.py: ``layer`` is LSTM,
else Dense); the first one the wrapper accepts is built.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from tfinit_audit.analysis.engine.values import ClassV, FunctionV

_CHECKED_METHODS = ("__init__", "build")


@dataclass(frozen=True)
class Requirement:
    """The inner layer held as ``self.<attr>`` must have one of ``names``; else the wrapper
    raises at ``path:line``."""

    attr: str
    names: tuple[str, ...]
    path: str
    line: int
    code: str


def requirement(it: Any, wrapper: ClassV, attr: str) -> Requirement | None:
    """The first ``hasattr(self.<attr>, ...)`` chain ending in a ``raise`` in the methods
    the wrapper runs when it is constructed and built (None when there is none)."""
    for name in _CHECKED_METHODS:
        found = it.member(wrapper, name)
        if found is None or not isinstance(found[1], FunctionV):
            continue
        fn = found[1]
        node = fn.node
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for stmt in ast.walk(node):
            if not isinstance(stmt, ast.If):
                continue
            chain = _chain(stmt, attr)
            if chain is not None:
                names, raised = chain
                return Requirement(attr, names, fn.src.path, raised.lineno,
                                   fn.src.code(raised.lineno))
    return None


def _chain(stmt: ast.If, attr: str) -> tuple[tuple[str, ...], ast.Raise] | None:
    names: list[str] = []
    cur: ast.stmt = stmt
    while isinstance(cur, ast.If):
        name = _hasattr_test(cur.test, attr)
        if name is None:
            return None
        names.append(name)
        if len(cur.orelse) == 1 and isinstance(cur.orelse[0], ast.If):
            cur = cur.orelse[0]
            continue
        raised = next((s for s in cur.orelse if isinstance(s, ast.Raise)), None)
        return (tuple(names), raised) if raised is not None else None
    return None


def _hasattr_test(test: ast.expr, attr: str) -> str | None:
    """``NAME`` of ``hasattr(self.<attr>, "NAME")``."""
    if not (isinstance(test, ast.Call) and isinstance(test.func, ast.Name)
            and test.func.id == "hasattr" and len(test.args) == 2 and not test.keywords):
        return None
    obj, name = test.args
    if isinstance(obj, ast.Attribute) and obj.attr == attr and isinstance(obj.value, ast.Name) \
            and obj.value.id == "self" and isinstance(name, ast.Constant) \
            and isinstance(name.value, str):
        return name.value
    return None


def provides(it: Any, cls: ClassV, names: tuple[str, ...]) -> str | None:
    """The first of ``names`` that the code of ``cls`` (its MRO with source) can give its
    instances: a method, property or class attribute of that name, or ``self.NAME = ...``
    in one of its methods. None when its code sets none of them."""
    for c in it.source_mro(cls):
        for name in names:
            if name in c.info.methods or name in c.info.attrs:
                return name
        for info in c.info.methods.values():
            node = c.src.function_node(info)
            if node is None:
                continue
            hit = next((n for n in _self_stores(node) if n in names), None)
            if hit is not None:
                return hit
    return None


def _self_stores(node: ast.AST) -> list[str]:
    out = []
    for n in ast.walk(node):
        if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store) \
                and isinstance(n.value, ast.Name) and n.value.id == "self":
            out.append(n.attr)
    return out
