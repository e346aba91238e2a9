"""rules/wrapped.py (with analysis/layers.py): a wrapper whose build requires of its inner
layer one attribute of an ``if hasattr(self.layer, ...) / elif ... / else: raise`` chain gets
the table's next choice of inner layer when the code of the first one sets none of them."""

from __future__ import annotations

from keras_fixture import M, answer, tree
from rule_fixtures import interp, line_of

from tfinit_audit.analysis.engine.values import ClassV
from tfinit_audit.analysis.model import Dims
from tfinit_audit.analysis.rules import wrapped

LAYERS = '''
    """``Dense`` keeps its kernel; ``LSTM`` keeps it in its cell; ``Norm`` requires a kernel
    (or embeddings) of the layer it wraps; ``Plain`` wraps anything."""
    from kl import base


    class Cell(base.Layer):
        def __init__(self, units):
            super().__init__()
            self.units = units

        def build(self, input_shape):
            self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.units),
                                          initializer="glorot_uniform")


    class LSTM(base.Layer):
        def __init__(self, units):
            super().__init__()
            self.cell = Cell(units)

        def build(self, input_shape):
            self.cell.build(input_shape)


    class Dense(base.Layer):
        def __init__(self, units):
            super().__init__()
            self.units = units

        def build(self, input_shape):
            self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.units),
                                          initializer="glorot_uniform")


    class Norm(base.Layer):
        def __init__(self, layer):
            super().__init__()
            self.layer = layer

        def build(self, input_shape):
            self.layer.build(input_shape)
            if hasattr(self.layer, "kernel"):
                self.w = self.layer.kernel
            elif hasattr(self.layer, "embeddings"):
                self.w = self.layer.embeddings
            else:
                raise ValueError("no kernel nor embeddings")
            self.u = self.add_weight(name="u", shape=(1, 4), initializer="zeros")


    class Plain(base.Layer):
        def __init__(self, layer):
            super().__init__()
            self.layer = layer

        def build(self, input_shape):
            self.layer.build(input_shape)
    '''
NAMES = "Cell, LSTM, Dense, Norm, Plain"


def test_the_wrappers_check_reads_as_a_requirement() -> None:
    t = tree(LAYERS, NAMES)
    it = interp(t)
    norm, lstm, dense = (it.value_at(M, n) for n in ("Norm", "LSTM", "Dense"))
    assert isinstance(norm, ClassV) and isinstance(lstm, ClassV) and isinstance(dense, ClassV)
    need = wrapped.requirement(it, norm, "layer")
    assert need is not None
    raised = line_of(t, M, 'raise ValueError("no kernel nor embeddings")')
    assert (need.names, need.line) == (("kernel", "embeddings"), raised)
    assert wrapped.provides(it, lstm, need.names) is None
    assert wrapped.provides(it, dense, need.names) == "kernel"


def test_a_wrapper_that_needs_a_kernel_wraps_the_tables_next_choice() -> None:
    r = answer(tree(LAYERS, NAMES), "tf.Norm")
    assert r.status == "resolved", r.message
    [arg] = r.arguments
    assert (arg.name, arg.source, arg.value["symbol"]) == ("layer", "table", "tf.Dense")
    assert "sets no 'kernel' or 'embeddings', which Norm requires" in arg.value["note"]
    assert {w.name: w.shape for w in r.weights} == {"layer/kernel": [3, 4], "u": [1, 4]}


def test_a_wrapper_without_such_a_check_keeps_the_first_choice() -> None:
    r = answer(tree(LAYERS, NAMES), "tf.Plain")
    [arg] = r.arguments
    assert arg.value["symbol"] == "tf.LSTM" and "note" not in arg.value


def test_an_inner_layer_that_sets_the_attribute_or_one_given_is_kept() -> None:
    has_kernel = LAYERS.replace("            self.cell.build(input_shape)\n",
                                "            self.cell.build(input_shape)\n"
                                "            self.kernel = self.cell.kernel\n")
    [arg] = answer(tree(has_kernel, NAMES), "tf.Norm").arguments
    assert arg.value["symbol"] == "tf.LSTM"
    given = answer(tree(LAYERS, NAMES), "tf.Norm", Dims(units=4, input_dim=3,
                                                        given={"layer": "LSTM"}))
    [arg] = given.arguments
    assert (arg.source, arg.value["symbol"]) == ("--dim", "tf.LSTM")  # the user's choice stands
