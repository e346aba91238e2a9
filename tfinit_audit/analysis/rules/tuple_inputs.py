"""A cell whose call takes a tuple of tensors as its input: read from the unpacking it does.

The RNNCell contract is ``cell(inputs, state)``, and ``inputs`` is usually one tensor. Some
cells document and take a tuple instead, and unpack it first: TF 1.x ``tf.contrib.rnn``
``PhasedLSTMCell.call`` (``contrib/rnn/python/ops/rnn_cell.py``) starts with ``(time, x) =
inputs`` -- the timestamps and the features -- and builds its kernels on ``[x, h_prev]``. Such
a cell called on one tensor unpacks nothing the analysis can follow, and its kernel shapes
stay unknown.

This rule reads the unpacking from the source: an assignment of the ``call`` method whose
value is its first parameter and whose target is a tuple or list of names gives the number of
parts and their names. The front end (analysis/layers.py) then calls the cell on a tuple of
that many tensors: one part has the input's features, the others a feature size the analysis
does not know (``None``), and the part that carries the features is the first for which every
weight gets a shape -- so the answer never depends on a size the source does not fix.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tfinit_audit.analysis.engine.frames import BudgetExceeded
from tfinit_audit.analysis.engine.values import ClassV, FunctionV, Seq
from tfinit_audit.analysis.model import Hop
from tfinit_audit.analysis.rules.call_time import step_input
from tfinit_audit.analysis.rules.values import TensorV


@dataclass
class Unpacked:
    """The parts a cell's call unpacks its input into, and the line that does it."""

    names: list[str]
    hop: Hop


def unpacked_input(it: Any, cls: ClassV) -> Unpacked | None:
    """``(a, b, ...) = inputs`` in the ``call`` of ``cls`` (``inputs`` its first parameter
    after ``self``); None when its call does not unpack its input."""
    found = it.member(cls, "call")
    if found is None or not isinstance(found[1], FunctionV):
        return None
    owner, f = found
    node = f.node
    if not isinstance(node, ast.FunctionDef):
        return None
    params = [a.arg for a in [*node.args.posonlyargs, *node.args.args]][1:]
    if not params:
        return None
    first = params[0]
    for st in ast.walk(node):
        if not (isinstance(st, ast.Assign) and len(st.targets) == 1
                and isinstance(st.value, ast.Name) and st.value.id == first):
            continue
        target = st.targets[0]
        if isinstance(target, ast.Tuple | ast.List) and len(target.elts) > 1 and all(
                isinstance(e, ast.Name) for e in target.elts):
            names = [e.id for e in target.elts if isinstance(e, ast.Name)]
            note = (f"{owner.name}.call unpacks its {first} into {len(names)} tensors "
                    f"({', '.join(names)})")
            return Unpacked(names=names, hop=owner.src.hop(st.lineno, note))
    return None


def choose_part(it: Any, cls: ClassV, build: Callable[[tuple[int, int]], Any], made: int
                ) -> tuple[Any, tuple[list[list[int | None]], str]] | None:
    """The part of the tuple that carries the input's features: ``build((n, i))`` builds a
    fresh instance called on a tuple of n inputs whose i-th has the features (the others of
    unknown size) and returns (the build, whose [1] is its weights; every weight has a shape
    and every sub-layer its rank). The part that makes the most weights -- at least
    the ``made`` of the call on one tensor -- each with a shape (the first such part) is
    chosen: (its build, (the shapes of the parts, why)); None when ``cls``'s call unpacks
    nothing or no part does."""
    unpacked = unpacked_input(it, cls)
    if unpacked is None:
        return None
    n = len(unpacked.names)
    found: tuple[Any, int] | None = None
    for i in range(n):
        try:
            got, complete = build((n, i))
        except BudgetExceeded:
            return None
        if complete and len(got[1]) >= made and (found is None
                                                 or len(got[1]) > len(found[0][1])):
            found = got, i
    if found is None:
        return None
    got, i = found
    h = unpacked.hop
    why = (f"its call unpacks the input ({h.path}:{h.line}: {h.note}): called on a tuple "
           f"whose {unpacked.names[i]} has the input's features, the others sizes no weight "
           "depends on")
    step = step_input(it, got[0], got[3])  # (instance, weights, arguments, input shape)
    return got, (part_shapes(step, n, i), why)


def part_shapes(step: list[int | None], count: int, part: int) -> list[list[int | None]]:
    """The shapes of a tuple of ``count`` inputs whose ``part`` carries the features of
    ``step``; the other parts have the batch and unknown sizes."""
    other = [step[0], *([None] * (len(step) - 1))] if step else []
    return [list(step) if i == part else list(other) for i in range(count)]


def tuple_of(shapes: list[list[int | None]]) -> Seq:
    """The tuple of tensors of those shapes a cell is called on."""
    return Seq(items=[TensorV(shape=list(s)) for s in shapes], kind="tuple")
