"""rules/inner_raises.py (with analysis/layers.py): a wrapper whose build hands its inner
layer an input that the inner layer's own build raises on, for every rank tried, is built with
the table's next choice of inner layer, and says why (TF 1.4 Keras ``TimeDistributed(LSTM)``:
the wrapper hands a list, the recurrent layer takes its first item as the shape)."""

from __future__ import annotations

from keras_fixture import answer, tree
from rule_fixtures import line_of

SHAPES = '''
    """Mimics tensorflow/python/framework/tensor_shape.py: a ``TensorShape`` class."""


    class TensorShape(object):
        def __init__(self, dims):
            self._dims = dims
    '''

LAYERS = '''
    """``LSTM`` reads a list as a list of input shapes (its first item); ``TimeDist`` hands
    its inner layer a list, ``TupleTimeDist`` a tuple; ``Checked`` refuses inputs of rank
    below 3 itself."""
    from kl import base
    from kl.tensor_shape import TensorShape


    class LSTM(base.Layer):
        def __init__(self, units):
            super().__init__()
            self.units = units

        def build(self, input_shape):
            if isinstance(input_shape, list):
                input_shape = input_shape[0]
            input_shape = TensorShape(input_shape).as_list()  # LSTM
            self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.units * 4),
                                          initializer="glorot_uniform")


    class Dense(base.Layer):
        def __init__(self, units):
            super().__init__()
            self.units = units

        def build(self, input_shape):
            input_shape = TensorShape(input_shape).as_list()
            self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.units),
                                          initializer="glorot_uniform")


    class TimeDist(base.Layer):
        def __init__(self, layer):
            super().__init__()
            self.layer = layer

        def build(self, input_shape):
            input_shape = TensorShape(input_shape).as_list()
            child_input_shape = [input_shape[0]] + input_shape[2:]
            self.layer.build(child_input_shape)


    class TupleTimeDist(base.Layer):
        def __init__(self, layer):
            super().__init__()
            self.layer = layer

        def build(self, input_shape):
            input_shape = TensorShape(input_shape).as_list()
            child_input_shape = tuple([input_shape[0]] + input_shape[2:])
            self.layer.build(child_input_shape)
    '''
NAMES = "LSTM, Dense, TimeDist, TupleTimeDist"
EXTRA = {"kl/tensor_shape.py": SHAPES}
M = "kl/layers.py"


def test_an_inner_layer_that_raises_on_every_input_gives_way_to_the_next_choice() -> None:
    t = tree(LAYERS, NAMES, EXTRA)
    r = answer(t, "tf.TimeDist")
    assert r.status == "resolved", r.message
    [arg] = r.arguments
    assert (arg.name, arg.source, arg.value["symbol"]) == ("layer", "table", "tf.Dense")
    line = line_of(t, M, "input_shape = TensorShape(input_shape).as_list()  # LSTM")
    assert arg.value["note"] == (
        "LSTM: its build raises ValueError: as_list() is not defined on an unknown "
        f"TensorShape. ({M}:{line}: input_shape = TensorShape(input_shape).as_list()  # LSTM) "
        "on every input TimeDist.build hands it; Dense instead")
    assert {w.name: w.shape for w in r.weights} == {"layer/kernel": [3, 4]}
    assert r.input_shape == [None, 5, 3]


def test_an_inner_layer_built_on_what_it_accepts_is_kept() -> None:
    r = answer(tree(LAYERS, NAMES, EXTRA), "tf.TupleTimeDist")
    assert r.status == "resolved", r.message
    [arg] = r.arguments
    assert arg.value["symbol"] == "tf.LSTM" and "note" not in arg.value
    assert {w.name: w.shape for w in r.weights} == {"layer/kernel": [3, 16]}


def test_a_wrapper_that_hands_a_tuple_keeps_its_first_choice_in_another_module() -> None:
    """With the inner layer in a module of its own (TF 1.4: ``recurrent.py``, the wrapper in
    ``wrappers.py``) the answer is the same."""
    wrappers = LAYERS.replace("class LSTM(base.Layer):", "class _Unused(base.Layer):")
    t = tree(wrappers, NAMES.replace("LSTM", "_Unused"), {
        **EXTRA, "kl/recurrent.py": LAYERS,
        "tensorflow/__init__.py": "from kl.layers import Dense, TimeDist, TupleTimeDist\n"
                                  "from kl.recurrent import LSTM\n"})
    r = answer(t, "tf.TimeDist")
    [arg] = r.arguments
    assert arg.value["symbol"] == "tf.Dense"
    assert "(kl/recurrent.py:" in arg.value["note"]
    assert answer(t, "tf.TupleTimeDist").arguments[0].value["symbol"] == "tf.LSTM"


CONVERSION = '''
    """Mimics TF 1.8 Keras ``shape_type_conversion``: each shape to a tuple before ``build``."""
    from kl.tensor_shape import TensorShape


    def shape_type_conversion(fn):
        def wrapper(instance, input_shape):
            if isinstance(input_shape, list):
                input_shape = [tuple(TensorShape(x).as_list()) for x in input_shape]  # each
            else:
                input_shape = tuple(TensorShape(input_shape).as_list())
            return fn(instance, input_shape)
        return wrapper
    '''

DECORATED = LAYERS.replace('''        def build(self, input_shape):
            if isinstance(input_shape, list):
                input_shape = input_shape[0]
            input_shape = TensorShape(input_shape).as_list()  # LSTM
''', '''        @shape_type_conversion
        def build(self, input_shape):
''').replace("from kl.tensor_shape import TensorShape",
             "from kl.tensor_shape import TensorShape\n    from kl.conversion import "
             "shape_type_conversion")


def test_an_inner_build_whose_decorator_raises_on_every_input_gives_way() -> None:
    """TF 1.8 Keras: ``TimeDistributed.build`` hands ``LSTM.build`` the list ``[None, 3]``;
    the ``shape_type_conversion`` wrapper the class holds as its ``build`` reads it as a list
    of shapes and raises at ``TensorShape(None).as_list()`` -- in the function the inner
    layer's class holds under ``build`` (engine/decorators.py), so the LSTM is refused."""
    assert "@shape_type_conversion" in DECORATED
    t = tree(DECORATED, NAMES, {**EXTRA, "kl/conversion.py": CONVERSION})
    r = answer(t, "tf.TimeDist")
    assert r.status == "resolved", r.message
    [arg] = r.arguments
    assert arg.value["symbol"] == "tf.Dense"
    line = line_of(t, "kl/conversion.py", "input_shape = [tuple(TensorShape(x).as_list()) "
                                          "for x in input_shape]  # each")
    assert arg.value["note"].startswith(
        "LSTM: its build raises ValueError: as_list() is not defined on an unknown "
        f"TensorShape. (kl/conversion.py:{line}: ")
    assert {w.name: w.shape for w in r.weights} == {"layer/kernel": [3, 4]}
    # a tuple is converted whole: the LSTM is kept, built on the width
    r = answer(t, "tf.TupleTimeDist")
    assert r.arguments[0].value["symbol"] == "tf.LSTM"
    assert {w.name: w.shape for w in r.weights} == {"layer/kernel": [3, 16]}
