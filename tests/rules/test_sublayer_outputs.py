"""rules/sublayers.py ``output_of`` and rules/tensors.py ``einsum``: what a sub-layer the
parent's call applies returns has the shape of the sub-layer's own ``compute_output_shape``,
and ``einsum`` gives its output subscripts' sizes, so the next sub-layer is built on it."""

from __future__ import annotations

from keras_fixture import answer, tree

from tfinit_audit.analysis.engine.values import Const
from tfinit_audit.analysis.rules.tensors import _einsum
from tfinit_audit.analysis.rules.values import TensorV

LAYERS = '''
    """``Pool`` halves nothing: its own compute_output_shape keeps the input's shape;
    ``Stack`` applies ``Pool`` then builds ``Dense`` on what it returns."""
    from kl import base
    from tensorflow.python.ops import special_math_ops


    class Dense(base.Layer):
        def __init__(self, units, name=None):
            super().__init__(name=name)
            self.units = units

        def build(self, input_shape):
            self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.units),
                                          initializer="glorot_uniform")


    class Pool(base.Layer):
        def compute_output_shape(self, input_shape):
            return input_shape


    class Stack(base.Layer):
        def __init__(self, units):
            super().__init__()
            self.units = units
            self.built_once = False

        def call(self, inputs):
            if not self.built_once:
                self.built_once = True
                self.pool = Pool()
                self.out = Dense(self.units, name="out")
            h = self.pool(inputs)
            h = special_math_ops.einsum("ab,bc->ac", h, h)
            return self.out(h)
    '''
OPS = '''
    def einsum(equation, *inputs, **kwargs):
        return _kernel(equation, inputs)
    '''


def _tree(layers: str = LAYERS) -> object:
    return tree(layers, "Stack", {"tensorflow/python/ops/special_math_ops.py": OPS})


def test_the_next_sub_layer_is_built_on_the_output_shape() -> None:
    r = answer(_tree(), "tf.Stack")
    assert r.status == "resolved", r.message
    assert {w.name: w.shape for w in r.weights} == {"out/kernel": [3, 4]}


def test_a_sub_layer_without_its_own_output_shape_leaves_it_unknown() -> None:
    r = answer(_tree(LAYERS.replace("        def compute_output_shape(self, input_shape):\n"
                                    "            return input_shape\n", "        pass\n")),
               "tf.Stack")
    # the output is unknown: ``out`` is built on the outer input's features (the weight
    # collector's fallback for a build whose shape the engine could not compute), not on
    # anything this rule said
    assert {w.name: w.shape for w in r.weights} == {"out/kernel": [3, 4]}


def test_the_output_shape_and_the_equation_change_the_answer() -> None:
    r = answer(_tree(LAYERS.replace("return input_shape", "return (input_shape[0], 7)")),
               "tf.Stack")
    assert {w.name: w.shape for w in r.weights} == {"out/kernel": [7, 4]}


def test_einsum_shapes() -> None:
    def t(*shape: int | None) -> TensorV:
        return TensorV(shape=list(shape))

    out = _einsum([Const(value="abc,cde->abde"), t(None, 5, 32), t(32, 2, 16)], {})
    assert isinstance(out, TensorV) and out.shape == [None, 5, 2, 16]
    assert _einsum([Const(value="...c,cd->...d"), t(2, 3), t(3, 4)], {}) is None  # ellipsis
    assert _einsum([Const(value="ab,bc->ac"), t(2, 3), t(4, 5)], {}) is None  # sizes clash
    bcast = _einsum([Const(value="ab,ab->ab"), t(1, 3), t(2, 3)], {})
    assert isinstance(bcast, TensorV) and bcast.shape == [2, 3]
