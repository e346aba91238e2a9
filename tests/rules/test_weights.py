"""WeightCollector and the conversion to weights (rules/weights.py): the calls that create a
layer's variables, and what their initializers mean for the weight's shape."""

from __future__ import annotations

import ast
import math
from typing import Any

import pytest
from rule_fixtures import assert_real_lines, at, interp, make_tree, where

from tfinit_audit.analysis.engine.values import ClassV, Const, Instance, Seq
from tfinit_audit.analysis.layers import build_layer
from tfinit_audit.analysis.model import Dims, Weight
from tfinit_audit.analysis.rules.weights import WeightCollector, to_weights

INIT_OPS = '''
    """A minimal init_ops with a preset over VarianceScaling."""


    class Initializer(object):
        def __call__(self, shape, dtype=None):
            raise NotImplementedError


    class Zeros(Initializer):
        pass


    class Ones(Initializer):
        pass


    class VarianceScaling(Initializer):
        def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal"):
            self.scale = scale


    class GlorotUniform(VarianceScaling):
        def __init__(self):
            super(GlorotUniform, self).__init__(scale=1.0, mode="fan_avg",
                                                distribution="uniform")
    '''

BASE = '''
    """Mimics the Keras / tf.layers ``Layer``: ``add_weight`` supplies glorot_uniform for a
    None initializer and calls the next creator down; ``add_variable`` forwards to it."""
    from mylib.ops import init_ops


    class Layer(object):
        def __init__(self, name=None):
            self.name = name

        def add_weight(self, name, shape, initializer=None, trainable=True):
            if initializer is None:
                initializer = init_ops.GlorotUniform()
            return self._add_variable_with_getter(name, shape, initializer)

        def _add_variable_with_getter(self, name, shape, initializer):
            return name

        def add_variable(self, *args, **kwargs):
            return self.add_weight(*args, **kwargs)
    '''

CORE = '''
    """Mimics a Dense layer: a kernel created with the constructor's None, a bias only when
    ``use_bias``, a scale created on both arms of an ``if`` the analysis cannot decide (with
    the initializer class passed uninstantiated), a call that creates no variable, and a
    recurrent-style bias built by a nested function that concatenates parts. ``RNN`` builds its
    cell on a shape it cannot compute here; ``Stacked`` (like Keras ``StackedRNNCells``, whose
    next cell is built on ``(batch, previous cell's units)``) on a computed one."""
    from mylib.layers import base
    from mylib.ops import init_ops
    from mylib import backend


    class Dense(base.Layer):
        def __init__(self, units, use_bias=True, kernel_initializer=None,
                     bias_initializer=init_ops.Zeros()):
            super(Dense, self).__init__()
            self.units = units
            self.use_bias = use_bias
            self.kernel_initializer = kernel_initializer
            self.bias_initializer = bias_initializer
            self.mode = unknown_setting()

        def build(self, input_shape):
            self.kernel = self.add_variable(
                "kernel", shape=[input_shape[-1], self.units],
                initializer=self.kernel_initializer)
            if self.use_bias:
                self.bias = self.add_weight("bias", shape=(self.units,),
                                            initializer=self.bias_initializer)
            if self.mode:
                self.scale = self.add_weight("scale", (self.units,), initializer=init_ops.Ones)
            else:
                self.scale = self.add_weight("scale", (self.units,), initializer=init_ops.Ones)
            self.slots = self.make_slots("slots", shape=(self.units,))

        def make_slots(self, name, shape):
            return name


    class LSTMCell(base.Layer):
        def __init__(self, units):
            super(LSTMCell, self).__init__()
            self.units = units
            self.bias_initializer = init_ops.Zeros()

        def build(self, input_shape):
            def bias_initializer(_, *args, **kwargs):
                return backend.concatenate([
                    self.bias_initializer((self.units,), *args, **kwargs),
                    init_ops.Ones()((self.units,), *args, **kwargs),
                    self.bias_initializer((self.units * 2,), *args, **kwargs),
                ])
            self.bias = self.add_weight("bias", shape=(self.units * 4,),
                                        initializer=bias_initializer)


    class RNN(base.Layer):
        def __init__(self, cell):
            super(RNN, self).__init__()
            self.cell = cell

        def build(self, input_shape):
            step_input_shape = step_shape_of(input_shape)
            self.cell.build(step_input_shape)


    class LSTM(RNN):
        def __init__(self, units):
            super(LSTM, self).__init__(Dense(units, use_bias=False))


    class Stacked(RNN):
        def __init__(self, units):
            super(Stacked, self).__init__(Dense(units, use_bias=False))

        def build(self, input_shape):
            self.cell.build((input_shape[0], 7))
    '''

BACKEND = '''
    def concatenate(tensors, axis=-1):
        return tensors
    '''

L = "mylib/layers/core.py"
B = "mylib/layers/base.py"


def tree(base: str = BASE) -> Any:
    return make_tree({"mylib/ops/init_ops.py": INIT_OPS, B: base, L: CORE,
                      "mylib/backend.py": BACKEND})


def build(cls: str, t: Any = None, shape: list[int | None] | None = None,
          **kwargs: Any) -> tuple[Any, Any, Any]:
    it = interp(t or tree())
    c = it.value_at(L, cls)
    assert isinstance(c, ClassV)
    _, captured, _ = build_layer(it, c, kwargs, Dims(units=4), shape or [None, 3])
    return it, captured, to_weights(it, captured)


def by_name(weights: list[Weight]) -> dict[str, Weight]:
    return {w.name: w for w in weights}


def init_zeros(it: Any) -> Any:
    return it.instantiate(it.value_at("mylib/ops/init_ops.py", "Zeros"), [], {})


def evaluate_in_layer(it: Any, obj: Instance, expr: str) -> Any:
    """``expr`` evaluated as code of a method of the layer (``self`` bound, named ``build``)."""
    src = it.module_source(B)
    frame = it.frame(src, func_name="build")
    frame.locals["self"] = obj
    return it.eval(ast.parse(expr, mode="eval").body, frame)


# ------------------------------------------------------------------ decided
def test_a_none_initializer_is_followed_into_the_library() -> None:
    t = tree()
    _, captured, weights = build("Dense", t)
    k = by_name(weights)["kernel"]
    assert (k.shape, k.shape_expr, k.fallback, k.condition) == (
        [3, 4], "[input_shape[-1], self.units]", True, None)
    assert k.initializer.kind == "glorot_uniform"
    assert k.initializer.limit == pytest.approx(math.sqrt(6 / (3 + 4)))
    assert where(k.provenance) == [
        at(t, L, "self.kernel = self.add_variable("),
        at(t, L, "self.kernel_initializer = kernel_initializer"),
        at(t, L, "def __init__(self, units, use_bias=True, kernel_initializer=None,"),
        at(t, B, "return self.add_weight(*args, **kwargs)"),
        at(t, B, "initializer = init_ops.GlorotUniform()"),
        at(t, "mylib/ops/init_ops.py", "class GlorotUniform(VarianceScaling):"),
        at(t, "mylib/ops/init_ops.py",
           'super(GlorotUniform, self).__init__(scale=1.0, mode="fan_avg",'),
    ]
    assert k.provenance[0].note == \
        "build: creates 'kernel' with initializer=self.kernel_initializer"
    assert_real_lines(t, k.provenance)


def test_a_given_initializer_and_the_condition_on_the_way() -> None:
    t = tree()
    _, _, weights = build("Dense", t)
    b = by_name(weights)["bias"]
    assert (b.shape, b.fallback, b.condition, b.initializer.kind) == (
        [4], False, "self.use_bias", "zeros")
    assert [h.code for h in b.provenance] == [
        'self.bias = self.add_weight("bias", shape=(self.units,),',
        "self.bias_initializer = bias_initializer",
        "bias_initializer=init_ops.Zeros()):",
        "class Zeros(Initializer):"]
    assert_real_lines(t, b.provenance)


def test_a_weight_made_on_both_arms_of_an_undecidable_if_is_reported_once() -> None:
    t = tree()
    _, captured, weights = build("Dense", t)
    assert [c.condition for c in captured if c.name == "scale"] == ["self.mode",
                                                                    "not (self.mode)"]
    s = [w for w in weights if w.name == "scale"]
    assert len(s) == 1 and s[0].condition is None
    # the class was passed uninstantiated: it is called with its defaults
    assert s[0].initializer.kind == "ones"
    assert s[0].provenance[-1].note == "class passed uninstantiated; class Ones"
    assert_real_lines(t, s[0].provenance)


def test_a_nested_function_concatenating_parts_is_a_composite() -> None:
    t = tree()
    _, _, weights = build("LSTMCell", t)
    bias = by_name(weights)["bias"]
    assert bias.shape == [16] and bias.initializer.kind == "composite"
    parts = [(p["initializer"].kind, p["start"], p["stop"])
             for p in bias.initializer.params["parts"]]
    assert parts == [("zeros", 0, 4), ("ones", 4, 8), ("zeros", 8, 16)]
    codes = [h.code for h in bias.provenance]
    assert "def bias_initializer(_, *args, **kwargs):" in codes
    assert "return backend.concatenate([" in codes
    assert_real_lines(t, bias.provenance)


def test_a_cell_built_on_an_uncomputable_shape_gets_the_per_step_input() -> None:
    _, captured, weights = build("LSTM", shape=[None, 10, 5])
    assert [(w.name, w.shape) for w in weights] == [("kernel", [5, 4]), ("scale", [4])]
    assert all(isinstance(c.owner, Instance) and c.owner.cls.name == "Dense" for c in captured)


def test_the_answer_follows_the_source() -> None:
    changed = tree(BASE.replace("initializer = init_ops.GlorotUniform()",
                                "initializer = init_ops.Zeros()"))
    _, _, weights = build("Dense", changed)
    k = by_name(weights)["kernel"]
    assert (k.initializer.kind, k.fallback) == ("zeros", True)
    assert "initializer = init_ops.Zeros()" in [h.code for h in k.provenance]


# ------------------------------------------------------------------ left alone
def test_one_capture_per_creation() -> None:
    _, captured, _ = build("Dense")
    assert [c.name for c in captured] == ["kernel", "bias", "scale", "scale"]


def test_a_creator_called_by_the_librarys_own_creator_is_not_captured_twice() -> None:
    # the library's creators running with the collector active: add_variable's call of
    # add_weight, and _add_variable_with_getter's call of the scope's get_variable, are the
    # library's own plumbing, not more weights
    with_getter = BASE.replace(
        "def _add_variable_with_getter(self, name, shape, initializer):\n            return name",
        "def _add_variable_with_getter(self, name, shape, initializer):\n"
        "            return get_variable(name, shape, initializer=initializer)")
    with_getter += "\n\n    def get_variable(name, shape, initializer=None):\n        return name\n"
    assert "return get_variable(name, shape, initializer=initializer)" in with_getter
    t = make_tree({"mylib/ops/init_ops.py": INIT_OPS, B: with_getter})
    it = interp(t)
    layer = it.value_at(B, "Layer")
    assert isinstance(layer, ClassV)
    obj = it.instantiate(layer, [], {})
    assert isinstance(obj, Instance)
    it.force(obj)
    collector = WeightCollector()
    args = [Const(value="w"), Seq(items=[Const(value=2)])]
    with it.hooks(collector):
        it.call(it.getattr(obj, "add_variable"), args, {"initializer": init_zeros(it)})
        it.call(it.getattr(obj, "_add_variable_with_getter"), [*args, init_zeros(it)], {})
    assert collector.captured == []
    with it.hooks(collector):  # the same creator, called by layer code, is captured
        evaluate_in_layer(it, obj, 'self.add_weight("w", (2,))')
    assert [c.name for c in collector.captured] == ["w"]


def test_a_weight_under_a_false_condition_is_not_created() -> None:
    _, _, weights = build("Dense", use_bias=False)
    assert "bias" not in by_name(weights)


def test_calls_that_are_not_creators_are_not_captured() -> None:
    _, captured, _ = build("Dense")
    assert "slots" not in [c.name for c in captured]


def test_a_fully_computed_sub_layer_shape_is_used_as_given() -> None:
    _, _, weights = build("Stacked", shape=[2, 10, 5])  # known batch: (2, 7) is concrete
    assert by_name(weights)["kernel"].shape == [7, 4]


def test_a_computed_sub_layer_shape_with_unknown_batch_is_used_as_given() -> None:
    _, _, weights = build("Stacked", shape=[None, 10, 5])
    assert by_name(weights)["kernel"].shape == [7, 4]


def test_an_inactive_collector_captures_nothing() -> None:
    it = interp(tree())
    dense = it.value_at(L, "Dense")
    assert isinstance(dense, ClassV)
    obj = it.instantiate(dense, [Const(value=4)], {})
    assert isinstance(obj, Instance)
    it.force(obj)
    collector = WeightCollector()
    collector.active = False
    with it.hooks(collector):
        it.call(it.getattr(obj, "build"), [Seq(items=[Const(value=None), Const(value=3)])], {})
    assert collector.captured == []
    collector.active = True
    with it.hooks(collector):
        it.call(it.getattr(obj, "build"), [Seq(items=[Const(value=None), Const(value=3)])], {})
    assert [c.name for c in collector.captured] == ["kernel", "bias", "scale", "scale"]


METRIC = '''
    """Mimics a Keras ``Metric``: its ``add_weight`` defaults ``shape=()`` (a scalar state) and
    its subclasses create their state without passing a shape; ``Vector`` passes one."""
    from mylib.layers import base
    from mylib.ops import init_ops


    class Metric(base.Layer):
        def add_weight(self, name, shape=(), initializer=None):
            return super(Metric, self).add_weight(name, shape, initializer=initializer)


    class Mean(Metric):
        def __init__(self):
            super(Mean, self).__init__()
            self.total = self.add_weight("total", initializer=init_ops.Zeros())


    class Vector(Metric):
        def __init__(self):
            super(Vector, self).__init__()
            self.total = self.add_weight("total", shape=(5,), initializer=init_ops.Zeros())
    '''


def test_a_shape_not_passed_is_the_creators_default() -> None:
    t = make_tree({"mylib/ops/init_ops.py": INIT_OPS, B: BASE, "mylib/metrics.py": METRIC})
    for cls, shape, expr in (("Mean", [], "() (add_weight's default)"),
                             ("Vector", [5], "(5,)")):
        it = interp(t)
        c = it.value_at("mylib/metrics.py", cls)
        assert isinstance(c, ClassV)
        _, captured, _ = build_layer(it, c, {}, Dims(units=4), [None, 3])
        [w] = to_weights(it, captured)
        assert (w.name, w.shape, w.shape_expr, w.initializer.kind) == (
            "total", shape, expr, "zeros")
