"""rules/build_call.py: what a layer's own ``__call__`` hands ``build``, read from the code
that calls it (rules/shapes.py ``build_input`` builds on it).

The fixtures mimic TF 1.8 ``tensorflow/python/layers/base.py`` (``input_shapes =
nest.map_structure(lambda x: x.get_shape(), inputs)``: TensorShapes, in a release whose Keras
has no ``tf_utils.shape_type_conversion``), TF 1.4's (``[x.get_shape() for x in input_list]``
then ``input_shapes[0]``), a ``__call__`` that builds on tuples although the framework has the
decorator (the rule decides, not the decorator's presence), and Keras 3's
``self.build(**shapes_dict)`` (not followed: the decorator's presence decides, as before)."""

from __future__ import annotations

from typing import Any

from rule_fixtures import interp, make_tree

from tfinit_audit.analysis.engine.values import ClassV, Const
from tfinit_audit.analysis.layers import build_layer
from tfinit_audit.analysis.model import Dims
from tfinit_audit.analysis.rules import build_call
from tfinit_audit.analysis.rules.weights import to_weights

TENSOR_SHAPE = '''
    class TensorShape(object):
        def __init__(self, dims):
            self._dims = list(dims)

        def as_list(self):
            return list(self._dims)
    '''

NEST = '''
    def map_structure(func, *structure):
        raise NotImplementedError  # rules/tensors.py NestRule answers

    def flatten(structure):
        raise NotImplementedError
    '''

TF_UTILS = '''
    def shape_type_conversion(fn):
        return fn
    '''

BASE_18 = '''
    """TF 1.8 tf.layers: the inputs' get_shape(), TensorShapes."""
    from mylib.framework import tensor_shape
    from mylib.util import nest


    class Layer(object):
        def __init__(self, **kwargs):
            self.built = False

        def __call__(self, inputs, *args, **kwargs):
            input_shapes = None
            if not self.built:
                if all(hasattr(x, "get_shape") for x in nest.flatten(inputs)):
                    input_shapes = nest.map_structure(lambda x: x.get_shape(), inputs)
                self.build(input_shapes)
            return self.call(inputs, *args, **kwargs)

        def add_weight(self, name, shape, initializer=None):
            return name
    '''

BASE_14 = '''
    """TF 1.4 tf.layers: a list of the inputs' get_shape(), its first item for one input."""
    from mylib.framework import tensor_shape
    from mylib.util import nest


    class Layer(object):
        def __init__(self, **kwargs):
            self.built = False

        def __call__(self, inputs, *args, **kwargs):
            if not self.built:
                input_list = nest.flatten(inputs)
                input_shapes = [x.get_shape() for x in input_list]
                if len(input_shapes) == 1:
                    self.build(input_shapes[0])
                else:
                    self.build(input_shapes)
            return self.call(inputs, *args, **kwargs)

        def add_weight(self, name, shape, initializer=None):
            return name
    '''

BASE_TUPLES = '''
    """A Keras whose tf_utils has the decorator, whose __call__ builds on tuples anyway
    (through a method of its own)."""
    from mylib.framework import tensor_shape
    from mylib.keras.utils import tf_utils


    class Layer(object):
        def __init__(self, **kwargs):
            self.built = False

        def __call__(self, *args, **kwargs):
            self._maybe_build(args[0])
            return self.call(*args, **kwargs)

        def _maybe_build(self, inputs):
            if not self.built:
                shape = tuple(inputs.shape)
                self.build(shape)

        def add_weight(self, name, shape, initializer=None):
            return name
    '''

BASE_KERAS3 = '''
    """Keras 3: build(**shapes_dict), not followed; this tf_utils has the decorator."""
    from mylib.framework import tensor_shape
    from mylib.keras.utils import tf_utils


    class Layer(object):
        def __init__(self, **kwargs):
            self.built = False

        def __call__(self, *args, **kwargs):
            shapes_dict = {"input_shape": args[0].shape}
            self.build(**shapes_dict)
            return self.call(*args, **kwargs)

        def add_weight(self, name, shape, initializer=None):
            return name
    '''

LAYERS = '''
    from mylib.framework import tensor_shape
    from mylib.keras import base_layer


    class Fused(base_layer.Layer):
        """A TF 1.x fused cell's build: ``input_shape[2].value`` needs a TensorShape."""

        def build(self, input_shape):
            if isinstance(input_shape, (tuple, list)):
                name = "listed"
            elif isinstance(input_shape, tensor_shape.TensorShape):
                name = "shaped"
            else:
                name = "other"
            self.kernel = self.add_weight(name, shape=(input_shape[-1], 4))
    '''

P = "mylib/layers/core.py"


def tree(base: str, with_utils: bool) -> Any:
    files = {"mylib/framework/tensor_shape.py": TENSOR_SHAPE, "mylib/util/nest.py": NEST,
             "mylib/keras/base_layer.py": base, P: LAYERS}
    if with_utils:
        files["mylib/keras/utils/tf_utils.py"] = TF_UTILS
    return make_tree(files)


def built(base: str, with_utils: bool) -> tuple[list[str], Any]:
    it = interp(tree(base, with_utils))
    cls = it.value_at(P, "Fused")
    assert isinstance(cls, ClassV)
    handed = build_call.handed_to_build(it, cls, [Const(value=None), Const(value=32)])
    _, captured, _ = build_layer(it, cls, {}, Dims(units=4), [None, 32])
    ws = to_weights(it, captured)
    assert [w.shape for w in ws] == [[32, 4]]
    return [w.name for w in ws], handed


def test_tf_1_8_call_hands_tensor_shapes_without_the_decorator_anywhere() -> None:
    names, handed = built(BASE_18, with_utils=False)
    assert names == ["shaped"]
    assert handed is not None and handed[0] == "TensorShape" and handed[1].name == "TensorShape"


def test_tf_1_4_call_hands_the_first_of_a_list_of_tensor_shapes() -> None:
    names, handed = built(BASE_14, with_utils=False)
    assert names == ["shaped"]
    assert handed is not None and handed[0] == "TensorShape"


def test_a_call_that_builds_on_tuples_decides_over_the_decorator() -> None:
    names, handed = built(BASE_TUPLES, with_utils=True)
    assert names == ["listed"]
    assert handed == ("tuple", None)


def test_a_call_the_rule_cannot_follow_leaves_the_decorator_to_decide() -> None:
    assert built(BASE_KERAS3, with_utils=True) == (["shaped"], None)
    assert built(BASE_KERAS3, with_utils=False) == (["listed"], None)
