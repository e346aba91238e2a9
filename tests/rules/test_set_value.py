"""rules/set_value.py: a value the Keras backend's ``set_value``/``batch_set_value`` writes into
a weight while the layer is built is that weight's initializer (Keras 2 in TF 1.2/1.3:
``LSTM.build`` writes ones into the forget gate's slice of the bias); a value not known is
``unresolved``, never the initializer it replaced."""

from __future__ import annotations

from keras_fixture import answer, tree
from rule_fixtures import line_of

BACKEND = '''
    """Mimics the Keras backend: ``set_value`` runs an assign op in the backend's session."""


    def set_value(x, value):
        get_session().run(x.assign(value))


    def batch_set_value(tuples):
        for x, value in tuples:
            set_value(x, value)
    '''

OTHER = '''
    """A module that is not the backend, with a function of the same name."""


    def set_value(x, value):
        return value
    '''

LAYERS = '''
    """``Forget`` mimics ``LSTM.build(unit_forget_bias=True)``: zeros, then ones in the second
    quarter by ``set_value``; ``Batch`` writes two weights at once; ``Rows`` a value that
    differs along the first axis; ``Opaque`` a value the engine does not know; ``Maybe`` under a
    condition it cannot decide; ``Elsewhere`` calls a ``set_value`` of another module."""
    import numpy as np
    from kl import backend as K
    from kl import other
    from kl.base import Layer


    class Forget(Layer):
        def __init__(self, units, unit_forget_bias=True):
            super().__init__()
            self.units = units
            self.unit_forget_bias = unit_forget_bias

        def build(self, input_shape):
            self.bias = self.add_weight(name="bias", shape=(self.units * 4,),
                                        initializer="zeros")
            if self.unit_forget_bias:
                value = np.zeros((self.units * 4,))
                value[self.units:self.units * 2] = 1.
                K.set_value(self.bias, value)


    class Batch(Layer):
        def __init__(self, units):
            super().__init__()
            self.units = units

        def build(self, input_shape):
            self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.units),
                                          initializer="glorot_uniform")
            self.bias = self.add_weight(name="bias", shape=(self.units,), initializer="zeros")
            K.batch_set_value([(self.kernel, np.ones((input_shape[-1], self.units)) * 0.5),
                               (self.bias, np.ones((self.units,)))])


    class Rows(Layer):
        def __init__(self, units):
            super().__init__()
            self.units = units

        def build(self, input_shape):
            self.kernel = self.add_weight(name="kernel", shape=(2, self.units),
                                          initializer="zeros")
            value = np.zeros((2, self.units))
            value[0, :] = 1.
            K.set_value(self.kernel, value)


    class Opaque(Layer):
        def __init__(self, units):
            super().__init__()
            self.units = units

        def build(self, input_shape):
            self.bias = self.add_weight(name="bias", shape=(self.units,), initializer="zeros")
            K.set_value(self.bias, self.make_value())


    class Maybe(Layer):
        def __init__(self, units):
            super().__init__()
            self.units = units

        def build(self, input_shape):
            self.bias = self.add_weight(name="bias", shape=(self.units,), initializer="zeros")
            if self.undecidable():
                K.set_value(self.bias, np.ones((self.units,)))


    class Elsewhere(Layer):
        def __init__(self, units):
            super().__init__()
            self.units = units

        def build(self, input_shape):
            self.bias = self.add_weight(name="bias", shape=(self.units,), initializer="zeros")
            other.set_value(self.bias, np.ones((self.units,)))
    '''

M = "kl/layers.py"
NAMES = "Forget, Batch, Rows, Opaque, Maybe, Elsewhere"


def _tree():  # type: ignore[no-untyped-def]
    return tree(LAYERS, NAMES, {"kl/backend.py": BACKEND, "kl/other.py": OTHER})


def _weights(symbol: str, t=None):  # type: ignore[no-untyped-def]
    return {w.name: w for w in answer(t or _tree(), symbol).weights}


def test_a_piecewise_constant_array_is_a_composite_with_the_set_value_line() -> None:
    t = _tree()
    b = _weights("tf.Forget", t)["bias"]
    assert b.shape == [16]
    assert b.initializer.kind == "composite"
    parts = [(p["initializer"].kind, p["start"], p["stop"])
             for p in b.initializer.params["parts"]]
    assert parts == [("zeros", 0, 4), ("ones", 4, 8), ("zeros", 8, 16)]
    last = b.provenance[-1]
    assert (last.path, last.line) == (M, line_of(t, M, "K.set_value(self.bias, value)"))
    assert last.note == "set_value writes value into 'bias': [0:4] zeros, [4:8] ones, " \
                        "[8:16] zeros"
    assert b.provenance[0].line == line_of(t, M, 'self.bias = self.add_weight(name="bias", '
                                                 'shape=(self.units * 4,),')


def test_without_the_call_the_initializer_stands() -> None:
    b = answer(_tree(), "tf.Forget[unit_forget_bias=False]").weights[0]
    assert b.initializer.kind == "zeros"
    assert all("set_value" not in h.code for h in b.provenance)


def test_batch_set_value_writes_each_weight_constant_along_rows() -> None:
    w = _weights("tf.Batch")
    assert (w["kernel"].initializer.kind, w["kernel"].initializer.params) == (
        "constant", {"value": 0.5})
    assert w["kernel"].shape == [3, 4]
    assert w["bias"].initializer.kind == "ones"


def test_a_value_that_differs_along_another_axis_is_unresolved() -> None:
    t = _tree()
    k = _weights("tf.Rows", t)["kernel"]
    assert k.initializer.kind == "unresolved"
    assert k.initializer.params["line"] == line_of(t, M, "K.set_value(self.kernel, value)")
    assert "K.set_value(self.kernel, value)" in k.initializer.params["expression"]


def test_an_unknown_value_is_unresolved_with_the_expression_not_the_stale_zeros() -> None:
    b = _weights("tf.Opaque")["bias"]
    assert b.initializer.kind == "unresolved"
    assert "self.make_value()" in b.initializer.params["expression"]


def test_a_call_under_an_undecidable_condition_is_unresolved() -> None:
    b = _weights("tf.Maybe")["bias"]
    assert b.initializer.kind == "unresolved"
    assert "only when self.undecidable()" in b.initializer.params["expression"]


def test_a_set_value_of_another_module_is_left_alone() -> None:
    b = _weights("tf.Elsewhere")["bias"]
    assert b.initializer.kind == "zeros"
