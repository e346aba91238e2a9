"""A TensorFlow op's Python wrapper that raises ``ValueError`` for the arguments a layer
hands it refuses the construction.

An op's wrapper in ``tensorflow/python/ops/`` checks the static shapes of its arguments
before it makes the op: TF 1.2 ``nn_impl.separable_conv2d`` raises ``ValueError("Refusing to
perform an overparameterized separable convolution: channel_multiplier * in_channels = ...
> ... = out_channels")`` -- ``tf.layers.separable_conv2d`` with the table's 8 filters on 32
input channels. The rule observes the assignments of code outside those modules (a layer's
``call``): ``outputs = nn.separable_conv2d(...)`` whose value is the engine's mark of a call
that raised in the function it called (engine/calls.py: an Unknown of the call's own text,
with where it raised) in an ops module, on a decided path, with a ``ValueError``
(``Interpreter.raised``). A value some deeper call left and the wrapper handed back, a
raise in a speculative arm, or any other exception (the registry of compiled ops the
analysis does not have) is not such a refusal. The refusals (no operands: which width would
do is not read from them) are what analysis/refused_inputs.py reports."""

from __future__ import annotations

import ast
import re
from typing import Any

from tfinit_audit.analysis.engine.frames import Refusal
from tfinit_audit.analysis.engine.hooks import Rule
from tfinit_audit.analysis.engine.values import Unknown, Value

_OPS = re.compile(r"(^|/)tensorflow(_core)?/python/ops/[^/]+\.py$")


class OpChecks(Rule):
    """Record each ``ValueError`` an op's wrapper raised for what a statement handed it."""

    name = "op-checks"

    def __init__(self) -> None:
        self.refusals: list[Refusal] = []

    def assigned(self, it: Any, frame: Any, name: str, value: Value,
                 stmt: Any) -> Value | None:
        if not isinstance(value, Unknown) or not value.path or not _OPS.search(value.path) \
                or frame.speculative or frame.path is None or _OPS.search(frame.path) \
                or not isinstance(stmt, ast.Assign) or not isinstance(stmt.value, ast.Call) \
                or value.text != it.unparse(stmt.value):
            return None
        what = next((w for p, n, w in it.raised if p == value.path and n == value.line), None)
        if what is None or not what.startswith("ValueError"):
            return None
        src = it.module_source(value.path)
        code = src.code(value.line) if src is not None else "raise"
        self.refusals.append(Refusal(value.path, value.line, code, what, ()))
        return None
