"""The fans of a variance-scaling initializer as the release's own code computes them.

A ``VarianceScaling`` draws with ``scale / fan``, the fans computed by a function of its module
from the weight's shape: ``fan_in, fan_out = _compute_fans(shape)`` in its ``__call__``. Most
releases compute them the usual way -- the receptive field (the product of every dimension but
the last two) times the input and output channels -- but not every one: Keras 2.0.0, in TF 1.1
``tf.contrib.keras``, took the receptive field as the product of the *first two* dimensions
(``np.prod(shape[:2])``), so a ``Conv1D`` kernel ``[3, 32, 8]`` has fan_in 3,072 there, not 96.
So the function is found in the class's own ``__call__`` and run by the engine on the concrete
shape; when it gives two numbers that are not the usual ones, they are the initializer's
``fans`` parameter (``[fan_in, fan_out]``; the limit and stddev follow from them), with the
line that computed them. A function the engine cannot run, or a call of it with more than the
shape, leaves the usual fans (no parameter).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from tfinit_audit.analysis.engine.parsing import node_fact
from tfinit_audit.analysis.engine.values import ClassV, Const, FunctionV, Seq
from tfinit_audit.analysis.model import Hop
from tfinit_audit.analysis.rules import vocabulary as vocab
from tfinit_audit.analysis.rules.values import InitV

_KINDS = ("variance_scaling", *vocab.PRESET_KINDS)


@dataclass
class Fans:
    fan_in: float
    fan_out: float
    hop: Hop


def release_fans(it: Any, v: InitV, shape: list[int] | None) -> Fans | None:
    """The fans ``v``'s own class computes for ``shape``, when they differ from the usual
    ones (``vocabulary.compute_fans``); None otherwise or when they cannot be computed."""
    if shape is None or v.kind not in _KINDS or v.made is None \
            or not isinstance(v.made[0], ClassV):
        return None
    found = it.member(v.made[0], "__call__")
    call = found[1] if found is not None else None
    if not isinstance(call, FunctionV) or not isinstance(call.node, ast.FunctionDef):
        return None
    site = node_fact(call.node, "fans_call", _fans_call)
    if site is None:
        return None
    fn = it.value_at(call.src.path, site[0], call.module)
    if not isinstance(fn, FunctionV):
        return None
    try:
        got = it.call(fn, [Seq(items=[Const(value=d) for d in shape], kind="tuple")], {})
    except Exception:  # noqa: BLE001 - a function the engine cannot run: the usual fans
        return None
    items = got.items if isinstance(got, Seq) else []
    numbers = [x.value for x in items if isinstance(x, Const)]
    if len(items) != 2 or len(numbers) != 2 or not all(
            isinstance(n, int | float) and not isinstance(n, bool) for n in numbers):
        return None
    fan_in, fan_out = float(numbers[0]), float(numbers[1])
    usual = vocab.compute_fans(shape)
    if (fan_in, fan_out) == usual:
        return None
    hop = call.src.hop(site[1], f"{call.qualname}: {site[0]}({list(shape)}) gives fan_in "
                                f"{fan_in:g}, fan_out {fan_out:g} (not the usual "
                                f"{usual[0]:g}, {usual[1]:g})")
    return Fans(fan_in, fan_out, hop)


def _fans_call(node: ast.FunctionDef) -> tuple[str, int] | None:
    """``fan_in, fan_out = NAME(shape)`` in ``__call__(self, shape, ...)``: NAME and the line
    (only a call with the shape alone: another argument could change the answer)."""
    params = [a.arg for a in node.args.args]
    if len(params) < 2:
        return None
    shape = params[1]
    for st in ast.walk(node):
        if isinstance(st, ast.Assign) and len(st.targets) == 1 \
                and isinstance(st.targets[0], ast.Tuple) and len(st.targets[0].elts) == 2 \
                and isinstance(st.value, ast.Call) and isinstance(st.value.func, ast.Name) \
                and not st.value.keywords and len(st.value.args) == 1 \
                and isinstance(st.value.args[0], ast.Name) and st.value.args[0].id == shape:
            return st.value.func.id, st.lineno
    return None
