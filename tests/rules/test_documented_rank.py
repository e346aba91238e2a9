"""rules/inputs.py ``documented_rank``: a layer that declares no ``input_spec`` is built first
on the rank its class docstring's ``Call arguments:`` give the first parameter of ``call``
(``query: ... of shape `(B, T, dim)```), then on the other ranks."""

from __future__ import annotations

from keras_fixture import M, answer, tree
from rule_fixtures import line_of

LAYERS = '''
    """``Attend`` documents its query as a sequence; its weight has a shape on any rank."""
    from kl import base


    class Attend(base.Layer):
        """Attends.

        Call arguments:
            query: Query tensor of shape `(B, T, dim)`.
            value: Value tensor of shape `(B, S, dim)`.
        """

        def __init__(self, units):
            super().__init__()
            self.units = units

        def build(self, input_shape):
            self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.units),
                                          initializer="glorot_uniform")

        def call(self, query, value=None):
            return query
    '''


def test_the_documented_rank_is_tried_first() -> None:
    t = tree(LAYERS, "Attend")
    r = answer(t, "tf.Attend")
    assert r.input_shape == [None, 5, 3]
    assert r.input_note is not None and "give query the shape (B, T, dim): rank 3 first" \
        in r.input_note
    line = line_of(t, M, "query: Query tensor of shape `(B, T, dim)`.")
    assert r.input_note.endswith(f"({M}:{line})")
    assert [(w.name, w.shape) for w in r.weights] == [("kernel", [3, 4])]


def test_no_documented_shape_leaves_the_search_as_it_was() -> None:
    r = answer(tree(LAYERS.replace("of shape `(B, T, dim)`", "a tensor"), "Attend"), "tf.Attend")
    assert r.input_shape == [None, 3]
    assert r.input_note is not None and r.input_note.startswith("no input_spec: the first rank")


def test_the_documented_shape_decides_the_rank() -> None:
    r = answer(tree(LAYERS.replace("`(B, T, dim)`", "`(B, H, W, dim)`"), "Attend"), "tf.Attend")
    assert r.input_shape == [None, 5, 5, 3]
