"""Fixture tests of rules/constant_tensors.py: ``convert_to_tensor(number)`` and
``constant_value(number)`` are the number, so a wrapper that keeps a keep-probability's
constant value decides whether it applies dropout (TF 1.2 ``DropoutWrapper``)."""

from __future__ import annotations

from rule_fixtures import interp, make_tree

from tfinit_audit.analysis.engine.frames import EAGER
from tfinit_audit.analysis.engine.values import Const, FunctionV, Unknown, Value
from tfinit_audit.analysis.rules.values import TensorV

OPS = "tensorflow/python/framework/ops.py"
UTIL = "tensorflow/python/framework/tensor_util.py"
CELL = "tensorflow/python/ops/cells.py"

FILES = {
    OPS: '''
    """Mimics ops.convert_to_tensor: a body the engine cannot follow."""
    def convert_to_tensor(value, dtype=None, name=None, preferred_dtype=None):
        return _registry_lookup(value)(value, dtype)
    ''',
    UTIL: '''
    """Mimics tensor_util.constant_value: a body the engine cannot follow."""
    def constant_value(tensor):
        return tensor.op.get_attr("value")
    ''',
    CELL: '''
    """Mimics TF 1.2 DropoutWrapper: keep-probabilities kept as floats when constant, dropout
    only below 1."""
    from tensorflow.python.framework import ops
    from tensorflow.python.framework import tensor_util


    def keep(prob, dtype=None):
        tensor_prob = ops.convert_to_tensor(prob, dtype=dtype)
        const_prob = tensor_util.constant_value(tensor_prob)
        if const_prob is not None:
            return float(const_prob)
        return tensor_prob


    def step(inputs, prob):
        p = keep(prob)
        if (not isinstance(p, float)) or p < 1:
            inputs = dropout(inputs)
        return inputs


    def dropout(x):
        return x * 2
    ''',
}


def _call(name: str, *args: Value) -> Value:
    it = interp(make_tree(FILES))
    f = it.value_at(CELL, name)
    assert isinstance(f, FunctionV)
    return it.call(f, list(args), {}, mode=EAGER)


def test_a_number_converted_to_a_tensor_keeps_its_constant_value() -> None:
    got = _call("keep", Const(value=1.0))
    assert isinstance(got, Const) and got.value == 1.0


def test_the_default_keep_probability_applies_no_dropout() -> None:
    """The input comes back as it is (with the rule off both arms would be taken)."""
    x = TensorV(shape=[None, 32])
    assert _call("step", x, Const(value=1.0)) is x


def test_a_dtype_given_or_a_tensor_is_left_to_the_source() -> None:
    assert not isinstance(_call("keep", Const(value=1.0), Const(value="float16")), Const)
    assert not isinstance(_call("keep", TensorV(shape=[])), Const)
    assert isinstance(_call("keep", Unknown(text="p")), Unknown | TensorV)
