"""Composite initializers: initializers applied to parts of a shape, then concatenated."""

from __future__ import annotations

from typing import Any

from tfinit_audit.analysis.engine.hooks import CallSite, Rule
from tfinit_audit.analysis.engine.values import Const, FunctionV, Seq, Value
from tfinit_audit.analysis.rules.values import Applied, Composite, InitV


class CompositeRule(Rule):
    """Keras ``LSTM(unit_forget_bias=True)`` builds its bias with a nested function
    (keras ``recurrent.py`` ``bias_initializer(_, *args, **kwargs)``) that concatenates
    ``self.bias_initializer((units,))``, ``initializers.Ones()((units,))`` and
    ``self.bias_initializer((units * 2,))``. An initializer called on a shape is an applied
    part; ``concatenate``/``concat`` of applied parts with known sizes is a composite
    initializer whose parts cover consecutive column ranges."""

    name = "composite"

    def call(self, it: Any, callee: Value, args: list[Value],
             kwargs: dict[str, Value]) -> Value | None:
        if isinstance(callee, InitV | Applied) and args:
            return Applied(init=callee, shape=shape_list(args[0]), hops=callee.hops)
        return None

    def call_site(self, it: Any, site: CallSite) -> Value | None:
        f = site.callee
        if isinstance(f, FunctionV) and f.name in ("concatenate", "concat") and site.args:
            return composite(site.args[0])
        return None


def shape_list(v: Value) -> list[Any] | None:
    if isinstance(v, Seq):
        return [i.value if isinstance(i, Const) else None for i in v.items]
    if isinstance(v, Const) and isinstance(v.value, int):
        return [v.value]
    return None


def composite(v: Value) -> Composite | None:
    if not isinstance(v, Seq) or not v.items or not all(isinstance(i, Applied) for i in v.items):
        return None
    parts: list[tuple[Value, int, int]] = []
    start = 0
    for i in v.items:
        assert isinstance(i, Applied)
        if not i.shape or i.shape[-1] is None:
            return None
        parts.append((i.init, start, start + int(i.shape[-1])))
        start += int(i.shape[-1])
    return Composite(parts=parts)
