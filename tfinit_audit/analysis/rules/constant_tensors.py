"""A tensor made from a Python number is that number, and ``constant_value`` gives it back.

``ops.convert_to_tensor(1.0)`` (``tensorflow/python/framework/ops.py``) makes a constant
tensor of the number, whose value ``tensor_util.constant_value`` (``framework/
tensor_util.py``) computes: the number. As ``constant(number)`` is the number
(rules/expressions.py), ``convert_to_tensor`` of a number is it, and ``constant_value`` of a
number is it. TF 1.2-1.x ``DropoutWrapper.__init__`` (``python/ops/rnn_cell_impl.py``) keeps
``float(constant_value(convert_to_tensor(input_keep_prob)))`` when it is known, and its
``__call__`` applies dropout only when ``not isinstance(p, float) or p < 1``: with the default
1.0 no dropout runs and the cell gets its input as it is. Anything else (a tensor of unknown
values, a ``dtype`` given) is left to the source."""

from __future__ import annotations

from typing import Any

from tfinit_audit.analysis.engine.hooks import CallSite, Rule
from tfinit_audit.analysis.engine.values import Const, FunctionV, Value
from tfinit_audit.analysis.rules.tensors import is_number, tf_op_name

_PARAMETER = {"convert_to_tensor": "value", "constant_value": "tensor"}


class ConstantTensorRule(Rule):
    """``convert_to_tensor(number)`` and ``constant_value(number)`` are the number."""

    name = "constant-tensor"

    def call_site(self, it: Any, site: CallSite) -> Value | None:
        f = site.callee
        name = tf_op_name(f)
        if name not in _PARAMETER or not isinstance(f, FunctionV):
            return None
        env = it.bind(f, site.args, site.kwargs)
        if env is None:
            return None
        value = env.get(_PARAMETER[name])
        others = [v for k, v in env.items() if k not in (_PARAMETER[name], "name")]
        if value is None or not is_number(value) or any(
                not (isinstance(v, Const) and v.value in (None, False)) for v in others):
            return None
        assert isinstance(value, Const)
        hop = site.frame.hop(site.node.lineno, f"{site.frame.func_name}: "
                                               f"{it.unparse(site.node)} -> {value.value!r}")
        return Const(value=value.value, hops=(*value.hops, hop))
