"""rules/fans.py: the fans of a variance-scaling initializer are what the release's own
``VarianceScaling.__call__`` computes for the weight's shape (Keras 2.0.0, TF 1.1
``tf.contrib.keras``: the receptive field taken as the product of the first two dimensions),
and rules/weights.py reads a creator's arguments by its own signature (Keras 2.0's
``add_weight(shape, initializer, name=None)`` takes the shape first)."""

from __future__ import annotations

import math
from typing import Any

from keras_fixture import BASE, INITS, answer, tree
from rule_fixtures import line_of

from tfinit_audit.analysis.model import Weight

# the fixture's initializers, with a ``__call__`` computing its fans the Keras 2.0.0 way
FANS = INITS.replace(
    "            self.distribution = distribution\n",
    "            self.distribution = distribution\n\n"
    "        def __call__(self, shape, dtype=None):\n"
    "            fan_in, fan_out = _compute_fans(shape)\n"
    "            return fan_in\n", 1) + '''

    import numpy as np


    def _compute_fans(shape):
        if len(shape) == 2:
            return shape[0], shape[1]
        receptive_field_size = np.prod(shape[:2])
        return shape[-2] * receptive_field_size, shape[-1] * receptive_field_size
    '''

USUAL = FANS.replace("np.prod(shape[:2])", "np.prod(shape[:-2])")

POSITIONAL_BASE = BASE.replace(
    "def add_weight(self, name=None, shape=None, initializer=None):",
    "def add_weight(self, shape, initializer, name=None):")

LAYERS = '''
    from kl.base import Layer


    class Conv(Layer):
        def build(self, input_shape):
            self.kernel = self.add_weight((3, input_shape[-1], 8),
                                          initializer="glorot_uniform", name="kernel")
            self.dense = self.add_weight((input_shape[-1], 8),
                                         initializer="glorot_uniform", name="dense")
    '''


def weights(inits: str) -> tuple[Any, dict[str, Weight]]:
    t = tree(LAYERS, "Conv", {"kl/initializers.py": inits, "kl/base.py": POSITIONAL_BASE})
    r = answer(t, "tf.Conv")
    return t, {w.name: w for w in r.weights}


def test_the_shape_given_first_to_a_creator_that_takes_it_first() -> None:
    _, ws = weights(USUAL)
    assert (ws["kernel"].shape, ws["dense"].shape) == ([3, 3, 8], [3, 8])


def test_fans_the_release_computes_its_own_way_set_the_limit() -> None:
    t, ws = weights(FANS)
    k = ws["kernel"]
    # [3, 3, 8]: receptive field 3 * 3 = 9 (the first two), fan_in 3 * 9, fan_out 8 * 9
    assert k.initializer.params["fans"] == [27.0, 72.0]
    assert k.initializer.limit is not None
    assert math.isclose(k.initializer.limit, math.sqrt(6 / (27 + 72)))
    hop = k.provenance[-1]
    assert hop.line == line_of(t, "kl/initializers.py", "fan_in, fan_out = _compute_fans(shape)")
    assert "gives fan_in 27, fan_out 72 (not the usual 9, 24)" in hop.note
    # a 2-D weight: the same fans either way, nothing added
    assert "fans" not in ws["dense"].initializer.params


def test_the_usual_fans_add_nothing() -> None:
    _, ws = weights(USUAL)
    k = ws["kernel"]
    assert "fans" not in k.initializer.params
    assert k.initializer.limit is not None
    assert math.isclose(k.initializer.limit, math.sqrt(6 / (9 + 24)))
