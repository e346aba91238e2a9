"""What a helper's ``if <param> is None:`` decides when its caller passes a literal (for
analysis/listing.py, which asks whether a member's code can create a variable).

TF 1.12 ``tf.contrib.summary.initialize`` calls ``_graph(x, 0)``; ``graph(param, step=None)``
hands ``step`` to ``_choose_step(step)``, whose only creating line (the global step) is in
``if step is None:``. Called with ``step=0``, that arm never runs. A helper's parameters are
known when the call site gives a literal (or a known parameter of its own caller) or leaves
a literal default; a ``*args``/``**kwargs`` at the call site makes nothing known, and only
the parameters the helper tests that way or hands on (and never assigns) are kept.
"""

from __future__ import annotations

import ast
from typing import Any

UNKNOWN = object()


def bind(call: ast.Call, node: ast.AST | None, caller: dict[str, Any]) -> dict[str, Any]:
    """The parameters of the function ``node`` whose value ``call`` decides: literals,
    known parameters of the caller (``caller``) and literal defaults."""
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or any(
            isinstance(a, ast.Starred) for a in call.args) or any(
            k.arg is None for k in call.keywords):
        return {}
    a = node.args
    params = [x.arg for x in [*a.posonlyargs, *a.args]]
    out: dict[str, Any] = {}
    defaults = a.defaults
    for p, d in zip(params[len(params) - len(defaults):], defaults, strict=True):
        out[p] = _value(d, {})
    for kw, kd in zip(a.kwonlyargs, a.kw_defaults, strict=True):
        if kd is not None:
            out[kw.arg] = _value(kd, {})
    for p, v in zip(params, call.args, strict=False):
        out[p] = _value(v, caller)
    for k in call.keywords:
        out[str(k.arg)] = _value(k.value, caller)
    tested = _tested(node)
    return {p: v for p, v in out.items() if v is not UNKNOWN and p in tested}


def _tested(node: ast.AST) -> set[str]:
    """The names ``node`` tests as ``if <name> is None`` / ``is not None`` or hands on to a
    call as they are, and never assigns (only those can decide an arm)."""
    stored = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)
              and isinstance(n.ctx, ast.Store)}
    passed = {a.id for c in ast.walk(node) if isinstance(c, ast.Call)
              for a in [*c.args, *(k.value for k in c.keywords)] if isinstance(a, ast.Name)}
    return ({name for t in ast.walk(node) if (name := _none_test(t))} | passed) - stored


def _none_test(n: ast.AST) -> str | None:
    """``x`` of ``if x is None:`` / ``if x is not None:``."""
    if (isinstance(n, ast.If) and isinstance(n.test, ast.Compare)
            and isinstance(n.test.left, ast.Name) and len(n.test.ops) == 1
            and isinstance(n.test.ops[0], ast.Is | ast.IsNot)
            and isinstance(n.test.comparators[0], ast.Constant)
            and n.test.comparators[0].value is None):
        return n.test.left.id
    return None


def _value(e: ast.expr, known: dict[str, Any]) -> Any:
    if isinstance(e, ast.Constant):
        return e.value
    if isinstance(e, ast.Name) and e.id in known:
        return known[e.id]
    return UNKNOWN


def dead(node: ast.AST, known: dict[str, Any]) -> set[int]:
    """The ids of the nodes of ``node`` in the arm of an ``if <param> is None:`` (or ``is
    not None``) that ``known`` decides is not taken."""
    out: set[int] = set()
    if not known:
        return out
    for n in ast.walk(node):
        name = _none_test(n)
        if name is None or name not in known:
            continue
        assert isinstance(n, ast.If) and isinstance(n.test, ast.Compare)
        taken = (known[name] is None) == isinstance(n.test.ops[0], ast.Is)
        for st in (n.orelse if taken else n.body):
            out |= {id(x) for x in ast.walk(st)}
    return out
