"""analysis/arguments.py entries for sizes TF 1.x wrappers require: ``output_size`` follows
``units`` (``OutputProjectionWrapper(cell, output_size)``), ``num_proj`` is 16
(``InputProjectionWrapper(cell, num_proj)``); each a table value a ``--dim`` changes."""

from __future__ import annotations

from keras_fixture import answer, tree

from tfinit_audit.analysis.model import Dims

LAYERS = '''
    """``Proj`` projects its input to ``num_proj`` then to ``output_size``."""
    from kl import base


    class Proj(base.Layer):
        def __init__(self, output_size, num_proj):
            super().__init__()
            self.output_size = output_size
            self.num_proj = num_proj

        def build(self, input_shape):
            self.inner = self.add_weight(name="inner", shape=(input_shape[-1], self.num_proj),
                                         initializer="glorot_uniform")
            self.outer = self.add_weight(name="outer", shape=(self.num_proj, self.output_size),
                                         initializer="zeros")
    '''


def test_projection_sizes_come_from_the_table() -> None:
    r = answer(tree(LAYERS, "Proj"), "tf.Proj")
    assert r.status == "resolved", r.message
    assert [(a.name, a.value, a.source) for a in r.arguments] == [
        ("output_size", 4, "--dim"), ("num_proj", 16, "table")]  # units=4 was given
    assert [w.shape for w in r.weights] == [[3, 16], [16, 4]]


def test_a_dim_changes_them() -> None:
    r = answer(tree(LAYERS, "Proj"), "tf.Proj",
               Dims(units=4, input_dim=3, given={"num_proj": 8, "output_size": 2}))
    assert [(a.name, a.value, a.source) for a in r.arguments] == [
        ("output_size", 2, "--dim"), ("num_proj", 8, "--dim")]
    assert [w.shape for w in r.weights] == [[3, 8], [8, 2]]
