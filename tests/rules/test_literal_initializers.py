"""rules/weights.py ``literal_value``: an initializer function that returns a plain literal
whatever it is asked for (Keras 2 ``Discretization.summary``: ``lambda shape, dtype: [[],
[]]``) is a constant initializer of that value. A variable declared with a dimension left open
(``shape=(2, None)``) is created as that value: its shape as created is the value's ((2, 0))
when the value fits the declared shape (``open_shape``)."""

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
    # the open axis is set at run time; the variable starts as the empty value: (2, 0)
    assert (w.shape, w.shape_expr) == ([2, 0], "(2, None)")
    assert line_of(t, M, "initializer=lambda shape, dtype: [[], []],") in [
        h.line for h in w.provenance]
    assert any("leaves a dimension open: the variable starts as its initial value, of shape "
               "(2, 0)" in h.note for h in w.provenance)


def test_a_value_that_does_not_fit_the_declared_shape_leaves_it_unknown() -> None:
    for value in ("[[], [], []]", "[0.5, 2]", "[[1.0], [2.0, 3.0]]", "[[[1.0]], [[2.0]]]"):
        r = answer(tree(LAYERS.replace("[[], []]", value), "Summary"), "tf.Summary")
        [w] = r.weights
        assert w.initializer.kind == "constant", value
        assert w.shape is None, (value, w.shape)


def test_an_open_dimension_takes_the_value_s_size() -> None:
    r = answer(tree(LAYERS.replace("[[], []]", "[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]"),
                    "Summary"), "tf.Summary")
    assert r.weights[0].shape == [2, 3]


def test_an_initializer_computed_from_its_arguments_is_left_alone() -> None:
    r = answer(tree(LAYERS.replace("[[], []]", "make(shape)"), "Summary"), "tf.Summary")
    assert r.status == "partial"
    assert r.weights[0].initializer.kind == "unresolved"


def test_the_literal_is_the_answer() -> None:
    r = answer(tree(LAYERS.replace("[[], []]", "[0.5, 2]"), "Summary"), "tf.Summary")
    assert r.weights[0].initializer.params == {"value": [0.5, 2]}
