"""rules/none_fallback.py + rules/weights.py: a string identifier handed straight to the
creator (``add_weight(initializer="glorot_uniform")``, Keras 2.15 ``AdditiveAttention``) is
followed into the creator, like None, until the creator's own lookup decides it; it is not a
fallback (the layer's code named it)."""

from __future__ import annotations

from typing import Any

from rule_fixtures import assert_real_lines, at, interp, make_tree, where

from tfinit_audit.analysis.engine.values import ClassV
from tfinit_audit.analysis.layers import build_layer
from tfinit_audit.analysis.model import Dims, Weight
from tfinit_audit.analysis.rules.weights import to_weights

INITS = '''
    """Mimics a Keras initializers module: classes, and ``get`` looking an identifier up."""


    class Initializer(object):
        pass


    class Ones(Initializer):
        pass


    class Zeros(Initializer):
        pass


    class VarianceScaling(Initializer):
        def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal"):
            self.scale = scale


    class GlorotUniform(VarianceScaling):
        def __init__(self):
            super().__init__(scale=1.0, mode="fan_avg", distribution="uniform")


    def get(identifier):
        if identifier is None:
            return None
        return identifier
    '''

BASE = '''
    """Mimics Keras ``Layer.add_weight``: the identifier is looked up by ``initializers.get``;
    None gets glorot_uniform for floats."""
    from kl import initializers


    class Layer(object):
        def add_weight(self, name=None, shape=None, initializer=None):
            initializer = initializers.get(initializer)
            if initializer is None:
                initializer = initializers.get("glorot_uniform")
            return self._make(name, shape, initializer)

        def _make(self, name, shape, initializer):
            return name
    '''

LAYER = '''
    """Mimics Keras attention layers: a scale created with an identifier as written."""
    from kl import base


    class Attention(base.Layer):
        def __init__(self, use_scale=True):
            self.use_scale = use_scale

        def build(self, input_shape):
            if self.use_scale:
                self.scale = self.add_weight(name="scale", shape=(), initializer="ones")
            self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], 2),
                                          initializer="glorot_uniform")
            self.other = self.add_weight(name="other", shape=(2,), initializer="no_such_thing")
    '''

L = "kl/layers.py"
B = "kl/base.py"


def tree(layer: str = LAYER) -> Any:
    return make_tree({"kl/initializers.py": INITS, B: BASE, L: layer})


def weights(t: Any) -> dict[str, Weight]:
    it = interp(t)
    cls = it.value_at(L, "Attention")
    assert isinstance(cls, ClassV)
    _, captured, _ = build_layer(it, cls, {}, Dims(units=4), [None, 3])
    return {w.name: w for w in to_weights(it, captured)}


# ------------------------------------------------------------------ decided
def test_an_identifier_is_looked_up_by_the_creator() -> None:
    t = tree()
    ws = weights(t)
    s = ws["scale"]
    assert (s.initializer.kind, s.fallback, s.condition) == ("ones", False, "self.use_scale")
    assert where(s.provenance)[:2] == [
        at(t, L, 'self.scale = self.add_weight(name="scale", shape=(), initializer="ones")'),
        at(t, B, "initializer = initializers.get(initializer)"),
    ]
    assert s.provenance[0].note == "build: creates 'scale' with initializer='ones'"
    assert_real_lines(t, s.provenance)
    k = ws["kernel"]
    assert (k.initializer.kind, k.shape, k.fallback) == ("glorot_uniform", [3, 2], False)
    assert k.initializer.limit is not None


def test_the_answer_follows_the_source() -> None:
    ws = weights(tree(LAYER.replace('initializer="ones")', 'initializer="zeros")')))
    assert ws["scale"].initializer.kind == "zeros"


# ------------------------------------------------------------------ left alone
def test_an_identifier_the_release_does_not_have_stays_unresolved() -> None:
    o = weights(tree())["other"]
    assert o.initializer.kind == "unresolved"
    assert "no_such_thing" in str(o.initializer.params["expression"])
    assert o.fallback is False
