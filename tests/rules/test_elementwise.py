"""ElementwiseConstantRule (rules/elementwise.py): ``sqrt`` of what a constant initializer
fills in is again a constant initializer (Keras ``BatchNormalization(renorm=True)``'s
``moving_stddev``); of a random one it is not."""

from __future__ import annotations

from typing import Any

from rule_fixtures import assert_real_lines, at, interp, make_tree, where

from tfinit_audit.analysis.engine.values import ClassV
from tfinit_audit.analysis.layers import build_layer
from tfinit_audit.analysis.model import Dims, Weight
from tfinit_audit.analysis.rules.weights import to_weights

INIT_OPS = '''
    class Initializer(object):
        pass


    class Ones(Initializer):
        pass


    class Constant(Initializer):
        def __init__(self, value=0.0):
            self.value = value


    class RandomUniform(Initializer):
        def __init__(self, minval=-0.05, maxval=0.05):
            self.minval = minval
    '''

MATH_OPS = '''
    """Ops whose kernels are outside the Python source (``_execute`` is not defined here)."""


    def sqrt(x, name=None):
        return gen_sqrt(x)


    def gen_sqrt(x):
        return _execute("Sqrt", x)
    '''

LAYER = '''
    """Mimics Keras BatchNormalization with renorm: a moving stddev whose nested initializer is
    the square root of the moving-variance initializer's values."""
    from mylib.ops import init_ops
    from mylib.ops import math_ops


    class Layer(object):
        def add_weight(self, name, shape, initializer=None):
            return name


    class BatchNorm(Layer):
        def __init__(self, moving_variance_initializer=init_ops.Ones()):
            self.moving_variance_initializer = moving_variance_initializer

        def build(self, input_shape):
            def moving_stddev_initializer(*args, **kwargs):
                return math_ops.sqrt(self.moving_variance_initializer(*args, **kwargs))
            self.moving_stddev = self.add_weight("moving_stddev", shape=(input_shape[-1],),
                                                 initializer=moving_stddev_initializer)
    '''

L = "mylib/layers/norm.py"


def weights(layer: str = LAYER, **kwargs: Any) -> tuple[Any, dict[str, Weight]]:
    t = make_tree({"mylib/ops/init_ops.py": INIT_OPS, "mylib/ops/math_ops.py": MATH_OPS,
                   L: layer})
    it = interp(t)
    cls = it.value_at(L, "BatchNorm")
    assert isinstance(cls, ClassV)
    _, captured, _ = build_layer(it, cls, kwargs, Dims(units=4), [None, 3])
    return t, {w.name: w for w in to_weights(it, captured)}


# ------------------------------------------------------------------ decided
def test_sqrt_of_ones_is_ones() -> None:
    t, ws = weights()
    s = ws["moving_stddev"]
    assert (s.initializer.kind, s.shape) == ("ones", [3])
    assert at(t, L, "return math_ops.sqrt(self.moving_variance_initializer(*args, **kwargs))") \
        in where(s.provenance)
    assert any(h.note == "moving_stddev_initializer: sqrt of ones() is ones()"
               for h in s.provenance)
    assert_real_lines(t, s.provenance)


def test_the_answer_follows_the_source() -> None:
    _, ws = weights(LAYER.replace("moving_variance_initializer=init_ops.Ones()",
                                  "moving_variance_initializer=init_ops.Constant(4.0)"))
    i = ws["moving_stddev"].initializer
    assert (i.kind, i.params) == ("constant", {"value": 2.0})


# ------------------------------------------------------------------ left alone
def test_sqrt_of_a_random_initializer_stays_unresolved() -> None:
    _, ws = weights(LAYER.replace("moving_variance_initializer=init_ops.Ones()",
                                  "moving_variance_initializer=init_ops.RandomUniform()"))
    assert ws["moving_stddev"].initializer.kind == "unresolved"


def test_another_op_is_not_taken_for_sqrt() -> None:
    _, ws = weights(LAYER.replace("return math_ops.sqrt(", "return math_ops.gen_sqrt("))
    assert ws["moving_stddev"].initializer.kind == "unresolved"
