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


# ------------------------------------------------------------------ written as a statement
STATEMENT = '''
    """Mimics TF 1.2-1.4 GRUCell and its _linear helper: the None-means-default choice is an
    ``if x is None: x = default`` statement before the creating call, in the layer's method
    (gates bias) or in the helper it calls (candidate bias). ``other`` is assigned under a None
    test that is false; ``guessed`` under a test of an unknown value (both arms run); ``assumed``
    under a test whose other arm raises (assumed, not decided)."""
    from mylib.layers import base
    from mylib.ops import init_ops


    def _make(layer, name, shape, initializer=None):
        if initializer is None:
            initializer = init_ops.Zeros()
        return layer.add_variable(name, shape=shape, initializer=initializer)


    class Cell(base.Layer):
        def __init__(self, units, bias_initializer=None):
            self.units = units
            self._bias_initializer = bias_initializer
            self._mystery = unknown_function()

        def build(self, input_shape):
            bias_ones = self._bias_initializer
            if self._bias_initializer is None:
                bias_ones = init_ops.Constant(1.0)
            self.gate_bias = _make(self, "gates/bias", [2 * self.units], bias_ones)
            self.cand_bias = _make(self, "candidate/bias", [self.units], self._bias_initializer)
            other = init_ops.Zeros()
            if self.units is None:
                other = init_ops.Constant(2.0)
            self.other = self.add_variable("other", shape=[self.units], initializer=other)
            guessed = self._mystery
            if self._mystery is None:
                guessed = init_ops.Constant(3.0)
            self.guessed = self.add_variable("guessed", shape=[1], initializer=guessed)
            assumed = self._mystery
            if assumed is None:
                assumed = init_ops.Constant(4.0)
            else:
                raise ValueError("no")
            self.assumed = self.add_variable("assumed", shape=[1], initializer=assumed)
    '''


def statement_weights(t: Any, **kwargs: Any) -> dict[str, Weight]:
    it = interp(t)
    cls = it.value_at(C, "Cell")
    assert isinstance(cls, ClassV)
    _, captured, _ = build_layer(it, cls, kwargs, Dims(units=4), [None, 3])
    return {w.name: w for w in to_weights(it, captured)}


def test_a_none_default_assigned_before_the_call_is_a_fallback() -> None:
    t = tree(STATEMENT)
    w = statement_weights(t)
    g, c = w["gates/bias"], w["candidate/bias"]
    assert (g.initializer.kind, g.initializer.params, g.fallback) == (
        "constant", {"value": 1.0}, True)
    assert where(g.provenance)[:5] == [
        at(t, C, "return layer.add_variable(name, shape=shape, initializer=initializer)"),
        at(t, C, "bias_ones = init_ops.Constant(1.0)"),
        at(t, C, "if self._bias_initializer is None:"),
        at(t, C, "self._bias_initializer = bias_initializer"),
        at(t, C, "def __init__(self, units, bias_initializer=None):"),
    ]
    assert g.provenance[2].note == ("build: self._bias_initializer is None, so the layer's "
                                    "default init_ops.Constant(1.0)")
    # the helper's own ``if initializer is None:`` decides the candidate bias
    assert (c.initializer.kind, c.fallback) == ("zeros", True)
    assert at(t, C, "if initializer is None:") in where(c.provenance)
    assert c.provenance[2].note == ("_make: initializer is None, so the layer's default "
                                    "init_ops.Zeros()")
    assert_real_lines(t, g.provenance)
    assert_real_lines(t, c.provenance)


def test_a_statement_default_follows_the_source() -> None:
    t = tree(STATEMENT.replace("bias_ones = init_ops.Constant(1.0)",
                               "bias_ones = init_ops.Constant(5.0)"))
    g = statement_weights(t)["gates/bias"]
    assert (g.initializer.params, g.fallback) == ({"value": 5.0}, True)
    # without the test, the same initializer is the layer's plain choice
    t = tree(STATEMENT.replace("            if self._bias_initializer is None:\n"
                               "                bias_ones = init_ops.Constant(1.0)\n",
                               "            bias_ones = init_ops.Constant(1.0)\n"))
    g = statement_weights(t)["gates/bias"]
    assert (g.initializer.params, g.fallback) == ({"value": 1.0}, False)


def test_a_statement_default_the_user_overrides_is_not_a_fallback() -> None:
    it = interp(tree(STATEMENT))
    ones = it.instantiate(it.value_at("mylib/ops/init_ops.py", "Constant"), [Const(value=7.0)],
                          {})
    cls = it.value_at(C, "Cell")
    assert isinstance(cls, ClassV)
    ws = {w.name: w for w in to_weights(it, _captured_with(it, cls, {"bias_initializer": ones}))}
    for name in ("gates/bias", "candidate/bias"):
        assert (ws[name].initializer.params, ws[name].fallback) == ({"value": 7.0}, False)


def test_statements_under_undecided_or_false_tests_are_not_fallbacks() -> None:
    w = statement_weights(tree(STATEMENT))
    assert (w["other"].initializer.kind, w["other"].fallback) == ("zeros", False)
    # an unknown tested value: both arms run; the merge keeps the known arm, not a decision
    assert w["guessed"].fallback is False
    # a test assumed true because its other arm raises is not a decided None either
    assert (w["assumed"].initializer.params, w["assumed"].fallback) == ({"value": 4.0}, False)
