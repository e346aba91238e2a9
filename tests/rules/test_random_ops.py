"""RandomOpRule (rules/random_ops.py): a nested initializer function that computes its numbers
from the shape and ends in ``random_ops.random_uniform(shape, -limit, limit)`` (TF 1.x
``tf.contrib.layers`` ``variance_scaling_initializer``/``xavier_initializer``) is that random
initializer, with the numbers the code computed for the weight's shape."""

from __future__ import annotations

import math
from typing import Any

from rule_fixtures import assert_real_lines, at, interp, make_tree, where

from tfinit_audit.analysis.engine.values import ClassV
from tfinit_audit.analysis.layers import build_layer
from tfinit_audit.analysis.model import Dims, Weight
from tfinit_audit.analysis.rules.weights import to_weights

RANDOM_OPS = '''
    """Mimics random_ops.py: the draws, whose kernels are outside the Python source."""


    def random_uniform(shape, minval=0, maxval=None, dtype=None, seed=None, name=None):
        return _execute("RandomUniform", shape, minval, maxval)


    def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None, name=None):
        return _execute("TruncatedNormal", shape, mean, stddev)
    '''

INITIALIZERS = '''
    """A factory in the contrib style: the numbers come from the shape, in the nested
    function (no vocabulary parameter names in the signature)."""
    import math

    from mylib.ops import random_ops


    def scaled_initializer(factor=1.0, uniform=True):
        def _initializer(shape, dtype=None, partition_info=None):
            fan_in, fan_out = float(shape[-2]), float(shape[-1])
            n = (fan_in + fan_out) / 2.0
            if uniform:
                limit = math.sqrt(3.0 * factor / n)
                return random_ops.random_uniform(shape, -limit, limit, dtype)
            stddev = math.sqrt(1.3 * factor / n)
            return random_ops.truncated_normal(shape, 0.0, stddev, dtype)
        return _initializer
    '''

LAYER = '''
    from mylib import initializers
    from mylib.ops import random_ops


    class Layer(object):
        def add_weight(self, name, shape, initializer=None):
            return name


    class Dense(Layer):
        def __init__(self, units, kernel_initializer=initializers.scaled_initializer()):
            self.units = units
            self.kernel_initializer = kernel_initializer

        def build(self, input_shape):
            self.kernel = self.add_weight("kernel", shape=[input_shape[-1], self.units],
                                          initializer=self.kernel_initializer)
    '''

INITS = "mylib/initializers.py"
L = "mylib/layers.py"


def weights(layer: str = LAYER, inits: str = INITIALIZERS,
            **kwargs: Any) -> tuple[Any, dict[str, Weight]]:
    t = make_tree({"mylib/ops/random_ops.py": RANDOM_OPS, INITS: inits, L: layer})
    it = interp(t)
    cls = it.value_at(L, "Dense")
    assert isinstance(cls, ClassV)
    _, captured, _ = build_layer(it, cls, {"units": 64, **kwargs}, Dims(units=64), [None, 32])
    return t, {w.name: w for w in to_weights(it, captured)}


# ------------------------------------------------------------------ decided
def test_the_draw_on_the_shape_is_the_initializer() -> None:
    t, ws = weights()
    k = ws["kernel"]
    assert (k.shape, k.initializer.kind) == ([32, 64], "random_uniform")
    assert k.initializer.params == {"minval": -0.25, "maxval": 0.25}  # sqrt(3 / 48)
    assert k.initializer.limit == 0.25
    assert at(t, INITS, "return random_ops.random_uniform(shape, -limit, limit, dtype)") \
        in where(k.provenance)
    assert_real_lines(t, k.provenance)


def test_the_answer_follows_the_source() -> None:
    # the factor and the branch are the release's: factor 2, a truncated normal
    _, ws = weights(LAYER.replace("initializers.scaled_initializer()",
                                  "initializers.scaled_initializer(2.0, uniform=False)"))
    i = ws["kernel"].initializer
    assert i.kind == "truncated_normal"
    assert i.params["mean"] == 0.0
    assert i.params["stddev"] == math.sqrt(1.3 * 2.0 / 48)


# ------------------------------------------------------------------ left alone
def test_a_draw_on_an_unknown_shape_or_number_is_left_to_the_source() -> None:
    # maxval left None (the op decides): not a known number
    _, ws = weights(inits=INITIALIZERS.replace(
        "random_ops.random_uniform(shape, -limit, limit, dtype)",
        "random_ops.random_uniform(shape, -limit)"))
    assert ws["kernel"].initializer.kind == "unresolved"
    # a shape the code does not know
    _, ws = weights(inits=INITIALIZERS.replace(
        "random_ops.random_uniform(shape, -limit, limit, dtype)",
        "random_ops.random_uniform(unknown_shape(), -limit, limit, dtype)"))
    assert ws["kernel"].initializer.kind == "unresolved"


def test_another_module_s_function_of_that_name_is_not_taken() -> None:
    t = make_tree({"mylib/ops/random_ops.py": RANDOM_OPS, "mylib/ops/other_ops.py": RANDOM_OPS,
                   INITS: INITIALIZERS.replace("from mylib.ops import random_ops",
                                           "from mylib.ops import other_ops as random_ops"),
                   L: LAYER})
    it = interp(t)
    cls = it.value_at(L, "Dense")
    assert isinstance(cls, ClassV)
    _, captured, _ = build_layer(it, cls, {"units": 64}, Dims(units=64), [None, 32])
    [k] = to_weights(it, captured)
    assert k.initializer.kind == "unresolved"
