"""A parameter nobody gave, left at its default ``None``, that the build hands to an operator
Python refuses for it.

TF 1.15 ``tf.contrib.distributions.bijectors.masked_dense(inputs, units, num_blocks=None)``
computes ``n_in // num_blocks`` in ``_gen_slices``: with the default, Python raises
``TypeError: unsupported operand type(s) for //: 'int' and 'NoneType'`` before any variable
exists. The engine records such a raise on a decided path as a ``Refusal`` (engine/frames.py)
with the operands it refused; the default of a parameter carries the hop ``default
num_blocks=None`` wherever it goes (engine/calls.py ``default_hop``). A refused ``None``
carrying the hop of a parameter the table did not give names that parameter: the symbol
needs it (``needs-args``), with the expression and where it raised as the reason.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from typing import TYPE_CHECKING

from tfinit_audit.analysis.engine.values import ClassV, Const, FunctionV
from tfinit_audit.analysis.model import SuppliedArgument
from tfinit_audit.analysis.plans import Plan

if TYPE_CHECKING:
    from tfinit_audit.analysis.engine.frames import Refusal
    from tfinit_audit.analysis.engine.interp import Interpreter
    from tfinit_audit.analysis.model import Hop


def refused_default(it: Interpreter, functions: Iterable[FunctionV | None],
                    supplied: list[SuppliedArgument], refusals: list[Refusal]) -> Plan | None:
    """What the symbol needs when one of ``refusals`` (made while it was built with
    ``supplied``) has a ``None`` operand that is the default of a parameter of ``functions``
    (the symbol's function, or its constructor) nobody gave: that parameter, with the raise
    as the note; None when no refusal is one."""
    if not refusals:
        return None
    given = {a.name for a in supplied}
    defaults: dict[str, Hop] = {}
    for f in functions:
        if f is None:
            continue
        for p in _none_defaults(f):
            hop = it.default_hop(f, p)
            if p not in given and hop is not None:
                defaults.setdefault(p, hop)
    for r in refusals:
        for v in r.operands:
            if not (isinstance(v, Const) and v.value is None):
                continue
            for p, hop in defaults.items():
                if hop in v.hops:
                    return Plan(supplied=supplied, missing=[p], notes=[
                        f"its code raises {r.what} at `{r.expression}` ({r.path}:{r.line}) "
                        f"with {p} left at its default None ({hop.path}:{hop.line})"])
    return None


def constructor_of(it: Interpreter, cls: ClassV) -> FunctionV | None:
    """The ``__init__`` a call of ``cls`` runs (its parameters are the constructor's)."""
    found = it.member(cls, "__init__")
    return found[1] if found is not None and isinstance(found[1], FunctionV) else None


def _none_defaults(f: FunctionV) -> list[str]:
    """The parameters of ``f`` whose default is the literal ``None``."""
    node = f.node
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
        return []
    a = node.args
    pos = [*a.posonlyargs, *a.args]
    pairs = [*zip(pos[len(pos) - len(a.defaults):], a.defaults, strict=True),
             *zip(a.kwonlyargs, a.kw_defaults, strict=True)]
    return [p.arg for p, d in pairs if isinstance(d, ast.Constant) and d.value is None]
