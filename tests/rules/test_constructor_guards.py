"""analysis/layers.py ``_guarded_arguments`` with analysis/guards.py: a constructor that raises
for the arguments given, under a test of what a base class stored (TF 2.4
``rnn_cell_wrapper_v2.DropoutWrapper.__init__(self, *args, **kwargs)`` passes everything to
its bases, one of which sets ``self.cell``, then raises ``ValueError: keras LSTM cell does not
work with DropoutWrapper`` for the table's Keras ``LSTMCell``): the symbol needs another
``cell`` -- never the weights of a construction TensorFlow refuses. A raise under no test of
a parameter (an abstract base whose constructor calls a method that raises
``NotImplementedError``) makes the symbol ``unavailable``: nothing to give would stop it. A
fixture here, the real 2.4.4 wheel in tests/test_refused_inputs_real.py."""

from __future__ import annotations

from keras_fixture import answer, tree

from tfinit_audit.analysis.model import Dims

LAYERS = '''
    """Cells and a wrapper whose constructor refuses one of them."""
    from kl import base


    class LSTMCell(base.Layer):
        def __init__(self, units):
            super().__init__()
            self.units = units

        def build(self, input_shape):
            self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.units * 4),
                                          initializer="glorot_uniform")


    class GRUCell(base.Layer):
        def __init__(self, units):
            super().__init__()
            self.units = units

        def build(self, input_shape):
            self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.units * 3),
                                          initializer="glorot_uniform")


    class WrapperBase(base.Layer):
        def __init__(self, cell, keep_prob=1.0):
            super().__init__()
            self.cell = cell
            self.keep_prob = keep_prob

        def build(self, input_shape):
            self.cell.build(input_shape)


    class Abstract(base.Layer):
        def __init__(self, units):
            super().__init__()
            self.units = units
            self.reset_state()

        def reset_state(self):
            raise NotImplementedError("Subclasses should implement `reset_state`")

        def build(self, input_shape):
            self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.units),
                                          initializer="glorot_uniform")


    class DropoutWrapper(WrapperBase):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            if isinstance(self.cell, LSTMCell):
                raise ValueError("LSTM cells do not work with DropoutWrapper")
    '''


def _tree():  # type: ignore[no-untyped-def]
    return tree(LAYERS, "DropoutWrapper, LSTMCell, GRUCell, Abstract")


def test_a_constructor_refusing_the_tables_cell_needs_another() -> None:
    r = answer(_tree(), "tf.DropoutWrapper")
    assert r.status == "needs-args" and r.missing_arguments == ["cell"], r.message
    assert not r.weights
    message = r.message or ""
    assert "cell: another than the one given (table), which its code refuses" in message
    assert "ValueError: LSTM cells do not work with DropoutWrapper" in message


def test_a_cell_the_constructor_accepts_is_built() -> None:
    r = answer(_tree(), "tf.DropoutWrapper",
               Dims(units=4, input_dim=3, given={"cell": "GRUCell"}))
    assert r.status == "resolved", r.message
    assert [(w.name, w.shape) for w in r.weights] == [("kernel", [3, 12])]


def test_a_constructor_raising_under_no_test_of_a_parameter_is_unavailable() -> None:
    # nothing to give would stop it: TensorFlow refuses the construction, no weight list
    r = answer(_tree(), "tf.Abstract")
    assert (r.status, r.weights) == ("unavailable", []), r.message
    assert r.message == ("its constructor raises NotImplementedError: Subclasses should "
                         "implement `reset_state` (kl/layers.py:43) for the arguments given")
