"""A None-means-default rule written inline, in the expression that passes the initializer.

TF 1.x ``GRUCell.build`` (tensorflow/python/ops/rnn_cell_impl.py) creates its gates bias with
``initializer=(self._bias_initializer if self._bias_initializer is not None else
init_ops.constant_initializer(1.0, dtype=self.dtype))``: the constructor's ``bias_initializer``
defaults to None, and None means "the layer's own default", decided right at the call that
creates the variable. The user passed nothing and the layer's rule chose, so the weight is a
fallback (DESIGN.md section 4), exactly like a None followed into the library
(rules/none_fallback.py). The same holds for ``initializer or default``.

The rule reads the expression as written at the call: a conditional expression whose test
compares a plain name or attribute with ``None`` (``is``/``is not``/``==``/``!=``), or an
``or`` whose first operand is such a name, and whose tested value is None here. The provenance
gets where that None came from and the line of the test.

The same choice written as a statement, before the call (TF 1.2-1.4 ``GRUCell.call``:
``bias_ones = self._bias_initializer`` / ``if self._bias_initializer is None: bias_ones =
init_ops.constant_initializer(1.0, dtype=dtype)``; their ``_linear``: ``if bias_initializer is
None: bias_initializer = init_ops.constant_initializer(0.0, dtype=dtype)``), is
``none_default_assignment``: an initializer assigned to a local directly in the body of an
``if`` whose test -- such a None comparison -- was true when it ran (decided, not assumed). The
assigned value carries the test's line and where the None came from; the weight collector
makes a weight whose initializer carries them a fallback.
"""

from __future__ import annotations

import ast
from typing import Any

from tfinit_audit.analysis.engine.frames import Frame
from tfinit_audit.analysis.engine.values import Const, Value, with_hops
from tfinit_audit.analysis.model import Hop
from tfinit_audit.analysis.rules.none_fallback import is_initializer


def inline_none_default(it: Any, frame: Frame, expr: ast.expr | None) -> list[Hop] | None:
    """The hops of a None-means-default choice made by ``expr`` in ``frame`` (the expression
    the code passes as ``initializer``), or None when ``expr`` makes no such choice."""
    if expr is None or frame.src is None:
        return None
    if isinstance(expr, ast.IfExp):
        tested = _none_test(expr.test)
        if tested is None:
            return None
        operand, none_means_body = tested
        default = expr.body if none_means_body else expr.orelse
        return _chosen(it, frame, operand, default, expr.test.lineno)
    if isinstance(expr, ast.BoolOp) and isinstance(expr.op, ast.Or) and len(expr.values) > 1 \
            and _plain(expr.values[0]):
        rest = expr.values[1:]
        default = rest[0] if len(rest) == 1 else ast.BoolOp(op=ast.Or(), values=rest)
        return _chosen(it, frame, expr.values[0], default, expr.values[0].lineno)
    return None


def none_default_assignment(it: Any, frame: Frame, value: Value,
                            st: ast.stmt) -> tuple[Value, Hop] | None:
    """``value`` (an initializer assigned by ``st`` in ``frame``) with the hops of the
    None-means-default choice that assigns it, and the hop of the test; None when ``st`` is not
    directly in the body of a taken ``if <plain> is None:`` whose operand is None."""
    if not frame.taken or frame.src is None or not is_initializer(value):
        return None
    node = frame.taken[-1]
    if not any(s is st for s in node.body):
        return None
    tested = _none_test(node.test)
    if tested is None or not tested[1]:
        return None
    if not isinstance(st, ast.Assign | ast.AnnAssign) or st.value is None:
        return None
    hops = _chosen(it, frame, tested[0], st.value, node.test.lineno)
    if hops is None:
        return None
    return with_hops(value, [hops[-1], *hops[:-1]]), hops[-1]


def _none_test(test: ast.expr) -> tuple[ast.expr, bool] | None:
    """``X is None`` -> (X, True: the body is the default); ``X is not None`` -> (X, False)."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1
            and len(test.comparators) == 1):
        return None
    left, right, op = test.left, test.comparators[0], test.ops[0]
    if _is_none(right) and _plain(left):
        operand = left
    elif _is_none(left) and _plain(right):
        operand = right
    else:
        return None
    if isinstance(op, ast.Is | ast.Eq):
        return operand, True
    if isinstance(op, ast.IsNot | ast.NotEq):
        return operand, False
    return None


def _chosen(it: Any, frame: Frame, operand: ast.expr, default: ast.expr,
            line: int) -> list[Hop] | None:
    value = it.eval(operand, frame)
    if not (isinstance(value, Const) and value.value is None):
        return None
    text = it.unparse(operand)
    hop = frame.hop(line, f"{frame.func_name}: {text} is None, so the layer's default "
                          f"{it.unparse(default)}")
    return [*value.hops, hop]


def _is_none(e: ast.expr) -> bool:
    return isinstance(e, ast.Constant) and e.value is None


def _plain(e: ast.expr) -> bool:
    """A name or a chain of attributes of a name: reading it again has no effect."""
    while isinstance(e, ast.Attribute):
        e = e.value
    return isinstance(e, ast.Name)
