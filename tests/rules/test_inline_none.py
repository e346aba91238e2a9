"""rules/inline_none.py: a None-means-default rule written in the expression that passes the
initializer (``x if x is not None else default``, ``x or default``) makes the weight a
fallback, with the lines that kept ``x`` None and the line of the test."""

from __future__ import annotations

from typing import Any

from rule_fixtures import assert_real_lines, at, interp, make_tree, where

from tfinit_audit.analysis.engine.values import ClassV, Const, Instance, Seq
from tfinit_audit.analysis.layers import build_layer
from tfinit_audit.analysis.model import Dims, Weight
from tfinit_audit.analysis.rules.weights import WeightCollector, to_weights

INIT_OPS = '''
    class Initializer(object):
        pass


    class Zeros(Initializer):
        pass


    class Constant(Initializer):
        def __init__(self, value=0.0):
            self.value = value
    '''

BASE = '''
    class Layer(object):
        def add_variable(self, name, shape, initializer=None):
            return name
    '''

CELL = '''
    """Mimics TF 1.x GRUCell: the gates bias defaults to constant 1.0 and the candidate bias to
    zeros when the constructor's bias_initializer is None, decided at the creating call."""
    from mylib.layers import base
    from mylib.ops import init_ops


    class Cell(base.Layer):
        def __init__(self, units, bias_initializer=None, scale_initializer=None):
            self.units = units
            self._bias_initializer = bias_initializer
            self._scale_initializer = scale_initializer

        def build(self, input_shape):
            self.gate_bias = self.add_variable(
                "gates/bias", shape=[2 * self.units],
                initializer=(self._bias_initializer
                             if self._bias_initializer is not None
                             else init_ops.Constant(1.0)))
            self.scale = self.add_variable(
                "scale", shape=[self.units],
                initializer=self._scale_initializer or init_ops.Zeros())
            self.other = self.add_variable(
                "other", shape=[self.units],
                initializer=init_ops.Zeros() if self.units > 2 else init_ops.Constant(2.0))
    '''

C = "mylib/layers/cell.py"


def tree(cell: str = CELL) -> Any:
    return make_tree({"mylib/ops/init_ops.py": INIT_OPS, "mylib/layers/base.py": BASE,
                      C: cell})


def weights(t: Any, **kwargs: Any) -> dict[str, Weight]:
    it = interp(t)
    cls = it.value_at(C, "Cell")
    assert isinstance(cls, ClassV)
    _, captured, _ = build_layer(it, cls, kwargs, Dims(units=4), [None, 3])
    return {w.name: w for w in to_weights(it, captured)}


# ------------------------------------------------------------------ decided
def test_a_none_tested_inline_is_a_fallback_with_its_lines() -> None:
    t = tree()
    b = weights(t)["gates/bias"]
    assert (b.initializer.kind, b.initializer.params, b.fallback) == (
        "constant", {"value": 1.0}, True)
    assert where(b.provenance)[:4] == [
        at(t, C, "self.gate_bias = self.add_variable("),
        at(t, C, "self._bias_initializer = bias_initializer"),
        at(t, C, "def __init__(self, units, bias_initializer=None, scale_initializer=None):"),
        at(t, C, "if self._bias_initializer is not None"),
    ]
    assert b.provenance[3].note == ("build: self._bias_initializer is None, so the layer's "
                                    "default init_ops.Constant(1.0)")
    assert_real_lines(t, b.provenance)


def test_an_or_default_is_a_fallback() -> None:
    t = tree()
    s = weights(t)["scale"]
    assert (s.initializer.kind, s.fallback) == ("zeros", True)
    assert at(t, C, "initializer=self._scale_initializer or init_ops.Zeros())") in where(
        s.provenance)


def test_the_answer_follows_the_source() -> None:
    t = tree(CELL.replace("else init_ops.Constant(1.0)))", "else init_ops.Constant(3.0)))"))
    b = weights(t)["gates/bias"]
    assert (b.initializer.params, b.fallback) == ({"value": 3.0}, True)


# ------------------------------------------------------------------ left alone
def test_an_initializer_the_user_passed_is_not_a_fallback() -> None:
    it = interp(tree())
    zeros = it.instantiate(it.value_at("mylib/ops/init_ops.py", "Zeros"), [], {})
    cls = it.value_at(C, "Cell")
    assert isinstance(cls, ClassV)
    captured = _captured_with(it, cls, {"bias_initializer": zeros, "scale_initializer": zeros})
    ws = {w.name: w for w in to_weights(it, captured)}
    assert (ws["gates/bias"].initializer.kind, ws["gates/bias"].fallback) == ("zeros", False)
    assert (ws["scale"].initializer.kind, ws["scale"].fallback) == ("zeros", False)


def test_a_choice_that_is_not_about_none_is_not_a_fallback() -> None:
    o = weights(tree())["other"]
    assert (o.initializer.kind, o.fallback) == ("zeros", False)


def _captured_with(it: Any, cls: ClassV, kwargs: dict[str, Any]) -> Any:
    """Build ``cls`` with engine values as constructor arguments (an initializer object)."""
    collector = WeightCollector()
    with it.hooks(collector):
        collector.active = False
        obj = it.instantiate(cls, [Const(value=4)], kwargs)
        assert isinstance(obj, Instance)
        it.force(obj)
        collector.active = True
        it.call(it.getattr(obj, "build"), [Seq(items=[Const(value=None), Const(value=3)])], {})
    return collector.captured
