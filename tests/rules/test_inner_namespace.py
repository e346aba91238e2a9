"""analysis/layers.py with the argument table's ``elsewhere``: a wrapper's inner cell is the
table's name in the wrapper's own namespace, else in the next namespace the table names (TF
2.x ``tf.nn.RNNCellDropoutWrapper`` wraps a Keras cell: ``tf.nn`` has no ``LSTMCell``)."""

from __future__ import annotations

from typing import Any

from keras_fixture import answer, tree

from tfinit_audit.analysis import arguments
from tfinit_audit.analysis.model import Dims

LAYERS = '''
    """``LSTMCell`` makes a kernel; ``Wrap`` builds the cell it wraps."""
    from kl import base


    class LSTMCell(base.Layer):
        def __init__(self, units):
            super().__init__()
            self.units = units

        def build(self, input_shape):
            self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.units),
                                          initializer="glorot_uniform")


    class Wrap(base.Layer):
        def __init__(self, cell):
            super().__init__()
            self.cell = cell

        def build(self, input_shape):
            self.cell.build(input_shape)
    '''

API = {
    "tensorflow/__init__.py": "from tensorflow import nn\nfrom tensorflow import keras\n",
    "tensorflow/nn.py": "from kl.layers import Wrap\n",
    "tensorflow/keras/__init__.py": "from tensorflow.keras import layers\n",
    "tensorflow/keras/layers.py": "from kl.layers import LSTMCell\n",
}


def _tree(nn: str = "from kl.layers import Wrap\n") -> Any:
    return tree(LAYERS, "Wrap", {**API, "tensorflow/nn.py": nn})


def test_the_table_names_where_else_a_cell_is_looked_up() -> None:
    for name in ("cell", "cells"):
        entry = arguments.BY_NAME[name].default
        assert isinstance(entry, arguments.Inner)
        assert entry.elsewhere == ("tf.keras.layers",)


def test_a_cell_its_namespace_lacks_comes_from_the_next_namespace() -> None:
    r = answer(_tree(), "tf.nn.Wrap")
    assert r.status == "resolved", r.message
    [arg] = r.arguments
    assert (arg.name, arg.source, arg.value["symbol"]) == ("cell", "table",
                                                           "tf.keras.layers.LSTMCell")
    assert arg.value["note"].startswith("tf.nn has no LSTMCell")
    assert [(w.shape, w.initializer.kind) for w in r.weights] == [([3, 4], "glorot_uniform")]


def test_the_wrappers_own_namespace_comes_first() -> None:
    r = answer(_tree("from kl.layers import Wrap, LSTMCell\n"), "tf.nn.Wrap")
    [arg] = r.arguments
    assert arg.value["symbol"] == "tf.nn.LSTMCell" and "note" not in arg.value


def test_a_name_no_namespace_has_needs_args_naming_where_it_was_looked_for() -> None:
    r = answer(_tree(), "tf.nn.Wrap", Dims(units=4, input_dim=3, given={"cell": "GRUCell"}))
    assert r.status == "needs-args" and r.missing_arguments == ["cell"]
    assert "tf.nn.GRUCell" in (r.message or "")
    # a full name is taken as it is, never looked up elsewhere
    full = answer(_tree(), "tf.nn.Wrap",
                  Dims(units=4, input_dim=3, given={"cell": "tf.nn.LSTMCell"}))
    assert full.status == "needs-args"
