"""rules/weights.py ``literal_value``: an initializer function that returns a plain literal
whatever it is asked for (Keras 2 ``Discretization.summary``: ``lambda shape, dtype: [[],
[]]``) is a constant initializer of that value."""

from __future__ import annotations

from keras_fixture import M, answer, tree
from rule_fixtures import line_of

LAYERS = '''
    """``Summary`` keeps a state of two empty rows, filled later."""
    from kl import base


    class Summary(base.Layer):
        def build(self, input_shape):
            self.summary = self.add_weight(
                name="summary",
                shape=(2, None),
                initializer=lambda shape, dtype: [[], []],
            )
    '''


def test_a_literal_initializer_is_a_constant_of_its_value() -> None:
    t = tree(LAYERS, "Summary")
    r = answer(t, "tf.Summary")
    assert r.status == "resolved", r.message
    [w] = r.weights
    assert (w.initializer.kind, w.initializer.params) == ("constant", {"value": [[], []]})
    assert (w.shape, w.shape_expr) == (None, "(2, None)")  # an axis set at run time
    assert line_of(t, M, "initializer=lambda shape, dtype: [[], []],") in [
        h.line for h in w.provenance]


def test_an_initializer_computed_from_its_arguments_is_left_alone() -> None:
    r = answer(tree(LAYERS.replace("[[], []]", "make(shape)"), "Summary"), "tf.Summary")
    assert r.status == "partial"
    assert r.weights[0].initializer.kind == "unresolved"


def test_the_literal_is_the_answer() -> None:
    r = answer(tree(LAYERS.replace("[[], []]", "[0.5, 2]"), "Summary"), "tf.Summary")
    assert r.weights[0].initializer.params == {"value": [0.5, 2]}
