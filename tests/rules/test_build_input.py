"""rules/shapes.py ``build_input``: Keras hands an undecorated ``build`` a TensorShape, a
``build`` decorated with ``tf_utils.shape_type_conversion`` tuples; and
rules/sublayers.py: a sub-layer made in ``build`` with ``input_shape=`` is built on the input
it was declared for."""

from __future__ import annotations

from typing import Any

from rule_fixtures import evaluate, interp, make_tree

from tfinit_audit.analysis.engine.values import ClassV, Const, Seq
from tfinit_audit.analysis.layers import build_layer
from tfinit_audit.analysis.model import Dims, Weight
from tfinit_audit.analysis.rules.weights import to_weights

TENSOR_SHAPE = '''
    class TensorShape(object):
        def __init__(self, dims):
            self._dims = list(dims)

        def as_list(self):
            return list(self._dims)
    '''

TF_UTILS = '''
    """Mimics keras/utils/tf_utils.py: the decorator turns TensorShapes into tuples."""
    from mylib.framework import tensor_shape


    def shape_type_conversion(fn):
        def wrapper(instance, input_shape):
            if isinstance(input_shape, tensor_shape.TensorShape):
                input_shape = tuple(input_shape.as_list())
            return fn(instance, input_shape)
        return wrapper
    '''

INIT_OPS = '''
    class Ones(object):
        pass
    '''

BASE = '''
    """Mimics keras/engine/base_layer.py: ``input_shape=`` is kept as ``_batch_input_shape``."""
    from mylib.keras.utils import tf_utils


    class Layer(object):
        def __init__(self, **kwargs):
            if "input_shape" in kwargs:
                self._batch_input_shape = (None,) + tuple(kwargs["input_shape"])

        def add_weight(self, name, shape, initializer=None):
            return name
    '''

LAYERS = '''
    """``build`` names the weight after the arm it takes: a tuple or list, a TensorShape."""
    from mylib.framework import tensor_shape
    from mylib.keras import base_layer
    from mylib.keras.utils import tf_utils
    from mylib.ops import init_ops


    class Plain(base_layer.Layer):
        def __init__(self, units=4, **kwargs):
            super(Plain, self).__init__(**kwargs)
            self.units = units

        def build(self, input_shape):
            if isinstance(input_shape, (tuple, list)):
                name = "listed"
            elif isinstance(input_shape, tensor_shape.TensorShape):
                name = "shaped"
            else:
                name = "other"
            if name == "shaped":  # a TensorShape's list, added to a list
                assert isinstance([None] + input_shape.as_list()[1:], list)
            last = input_shape[-1]
            assert len(input_shape) == len([d for d in input_shape])
            self.kernel = self.add_weight(name, shape=(last, self.units),
                                          initializer=init_ops.Ones())


    class Converted(Plain):
        @tf_utils.shape_type_conversion
        def build(self, input_shape):
            super(Converted, self).build(input_shape)


    class Outer(base_layer.Layer):
        def build(self, input_shape):
            self.inner = Plain(units=3, input_shape=input_shape)
            self.bias = self.add_weight("bias", shape=(3,), initializer=init_ops.Ones())

        def call(self, inputs):
            return self.inner(inputs)
    '''

P = "mylib/layers/core.py"


def tree(tf_utils: str = TF_UTILS) -> Any:
    return make_tree({"mylib/framework/tensor_shape.py": TENSOR_SHAPE,
                      "mylib/keras/utils/tf_utils.py": tf_utils,
                      "mylib/keras/base_layer.py": BASE,
                      "mylib/ops/init_ops.py": INIT_OPS, P: LAYERS})


def weights(t: Any, cls_name: str) -> dict[str, Weight]:
    it = interp(t)
    cls = it.value_at(P, cls_name)
    assert isinstance(cls, ClassV)
    _, captured, _ = build_layer(it, cls, {}, Dims(units=4), [None, 32])
    return {w.name: w for w in to_weights(it, captured)}


def test_an_undecorated_build_gets_a_tensor_shape() -> None:
    got = weights(tree(), "Plain")
    assert list(got) == ["shaped"]
    assert got["shaped"].shape == [32, 4]  # indexing, len, iteration, as_list, + of lists


def test_a_decorated_build_gets_tuples() -> None:
    got = weights(tree(), "Converted")
    assert list(got) == ["listed"]
    assert got["listed"].shape == [32, 4]


def test_without_the_decorator_in_the_framework_builds_get_tuples() -> None:
    # Keras 3: no ``shape_type_conversion``, every build gets tuples
    got = weights(tree(TF_UTILS.replace("def shape_type_conversion", "def other")), "Plain")
    assert list(got) == ["listed"]
    assert got["listed"].shape == [32, 4]


def test_a_sub_layer_is_built_on_the_input_it_was_declared_for() -> None:
    got = weights(tree(), "Outer")
    assert got["bias"].shape == [3]
    kernel = next(w for n, w in got.items() if n.endswith("shaped"))
    assert kernel.shape == [32, 3]
    assert any("input_shape argument declares: (None, None, 32)" in h.note
               for h in kernel.provenance)


NEST = '''
    def is_sequence(seq):
        raise NotImplementedError  # a C helper in most releases: NestRule answers
    '''

USES_NEST = '''
    from mylib.framework import tensor_shape
    from mylib.util import nest
    '''


def test_a_tensor_shape_is_not_a_nest_structure() -> None:
    # tensorflow/python/util/nest.py: a TensorShape is an atom, a tuple a structure
    it = interp(make_tree({"mylib/framework/tensor_shape.py": TENSOR_SHAPE,
                           "mylib/util/nest.py": NEST, "mylib/uses.py": USES_NEST}))
    shape = evaluate(it, "mylib/uses.py", "nest.is_sequence(tensor_shape.TensorShape([None, 32]))")
    assert isinstance(shape, Const) and shape.value is False
    tup = evaluate(it, "mylib/uses.py", "nest.is_sequence((None, 32))")
    assert isinstance(tup, Const) and tup.value is True
    made = evaluate(it, "mylib/uses.py", "tensor_shape.TensorShape([None, 32])")
    assert isinstance(made, Seq) and made.kind == "shape" and isinstance(made.cls, ClassV)
    assert evaluate(it, "mylib/uses.py",
                    "isinstance(tensor_shape.TensorShape([1]), (tuple, list))").value is False
    assert evaluate(it, "mylib/uses.py",
                    "isinstance(tensor_shape.TensorShape([1]), tensor_shape.TensorShape)"
                    ).value is True
