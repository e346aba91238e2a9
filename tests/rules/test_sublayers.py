"""rules/sublayers.py: a layer whose build (or first call) constructs other layers owns their
weights, named under each sub-layer's name, with the lines that put the sub-layer there; and
rules/initializer_classes.py: an initializer cloned through ``__class__.from_config(
get_config())`` is the same initializer, with the original's lines."""

from __future__ import annotations

from typing import Any

from rule_fixtures import assert_real_lines, at, interp, make_tree, where

from tfinit_audit.analysis.engine.values import ClassV
from tfinit_audit.analysis.layers import build_layer
from tfinit_audit.analysis.model import Dims, Weight
from tfinit_audit.analysis.rules.weights import to_weights

INITS = '''
    """Mimics a Keras initializers module (classes with configs, ``get``)."""


    class Initializer(object):
        def get_config(self):
            return {}

        @classmethod
        def from_config(cls, config):
            config.pop("dtype", None)
            return cls(**config)


    class Zeros(Initializer):
        pass


    class VarianceScaling(Initializer):
        def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal",
                     seed=None):
            self.scale = scale
            self.mode = mode
            self.distribution = distribution
            self.seed = seed

        def get_config(self):
            return {"scale": self.scale, "mode": self.mode,
                    "distribution": self.distribution, "seed": self.seed}


    class GlorotUniform(VarianceScaling):
        def __init__(self, seed=None):
            super().__init__(scale=1.0, mode="fan_avg", distribution="uniform", seed=seed)

        def get_config(self):
            return {"seed": self.seed}


    def get(identifier):
        if isinstance(identifier, str):
            return {"glorot_uniform": GlorotUniform, "zeros": Zeros}[identifier]()
        return identifier
    '''

BASE = '''
    """Mimics the Keras ``Layer``: a name set in the constructor, ``add_weight``."""


    class Layer(object):
        def __init__(self, name=None):
            self._name = name
            self.built = False

        @property
        def name(self):
            return self._name

        def build(self, input_shape):
            self.built = True

        def add_weight(self, name=None, shape=None, initializer=None):
            return name
    '''

LAYERS = '''
    """``Dense`` (a kernel and a bias); ``Attention3``, built by Keras 3 ``build(query_shape,
    value_shape)`` that constructs and builds named sub-layers, cloning its initializers;
    ``Attention2``, whose sub-layers Keras 2.x constructs in ``_build_from_signature`` (run
    once by ``call``) and builds when ``call`` calls them; ``Wrapper``, an RNN-like layer whose
    ``cell`` is built by its own build (not a named sub-layer); ``Holder``, holding a non-layer
    object."""
    from kl import base
    from kl import initializers


    class Dense(base.Layer):
        def __init__(self, units, kernel_initializer="glorot_uniform",
                     bias_initializer="zeros", name=None):
            super().__init__(name=name)
            self.units = units
            self.kernel_initializer = initializers.get(kernel_initializer)
            self.bias_initializer = initializers.get(bias_initializer)

        def build(self, input_shape):
            self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.units),
                                          initializer=self.kernel_initializer)
            self.bias = self.add_weight(name="bias", shape=(self.units,),
                                        initializer=self.bias_initializer)
            self.built = True


    class Attention3(base.Layer):
        def __init__(self, units, kernel_initializer="glorot_uniform"):
            super().__init__()
            self.units = units
            self._kernel_initializer = initializers.get(kernel_initializer)

        def _common(self):
            init = self._kernel_initializer.__class__.from_config(
                self._kernel_initializer.get_config())
            return {"kernel_initializer": init}

        def build(self, query_shape, value_shape):
            self._query_dense = Dense(self.units, name="query", **self._common())
            self._query_dense.build(query_shape)
            self._value_dense = Dense(self.units, name="value", **self._common())
            self._value_dense.build(value_shape)


    class Attention2(base.Layer):
        def __init__(self, units):
            super().__init__()
            self.units = units
            self._built_from_signature = False

        def _build_from_signature(self, query, value, key=None):
            self._built_from_signature = True
            self._query_dense = Dense(self.units, name="query")
            self._output_dense = Dense(self.units, name="attention_output")

        def call(self, query, value):
            if not self._built_from_signature:
                self._build_from_signature(query=query, value=value)
            return self._output_dense(self._query_dense(query))


    class Wrapper(base.Layer):
        def __init__(self, units):
            super().__init__()
            self.cell = Dense(units, name="cell_dense")

        def build(self, input_shape):
            self.cell.build(input_shape)


    class Holder(base.Layer):
        def __init__(self, units):
            super().__init__()
            self.kernel_initializer = initializers.get("zeros")
            self.other = Dense(units, name="unused")
            self.other.built = True
    '''

L = "kl/layers.py"


def tree(layers: str = LAYERS) -> Any:
    return make_tree({"kl/initializers.py": INITS, "kl/base.py": BASE, L: layers})


def weights(t: Any, cls_name: str) -> dict[str, Weight]:
    it = interp(t)
    cls = it.value_at(L, cls_name)
    assert isinstance(cls, ClassV)
    _, captured, _ = build_layer(it, cls, {}, Dims(units=4), [None, 3])
    return {w.name: w for w in to_weights(it, captured)}


# ------------------------------------------------------------------ decided
def test_sub_layers_built_by_the_parents_build_are_named_under_them() -> None:
    t = tree()
    ws = weights(t, "Attention3")
    assert sorted(ws) == ["query/bias", "query/kernel", "value/bias", "value/kernel"]
    k = ws["query/kernel"]
    assert (k.shape, k.initializer.kind, k.fallback) == ([3, 4], "glorot_uniform", False)
    assert where(k.provenance)[:2] == [
        at(t, L, 'self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], '
                 'self.units),'),
        at(t, L, 'self._query_dense = Dense(self.units, name="query", **self._common())'),
    ]
    codes = [h.code for h in k.provenance]
    # the clone keeps the original's lines: the parent's own default
    assert "init = self._kernel_initializer.__class__.from_config(" in codes
    assert 'def __init__(self, units, kernel_initializer="glorot_uniform"):' in codes
    assert_real_lines(t, k.provenance)


def test_sub_layers_made_for_the_first_call_are_built_as_call_would() -> None:
    t = tree()
    ws = weights(t, "Attention2")
    assert sorted(ws) == ["attention_output/bias", "attention_output/kernel", "query/bias",
                          "query/kernel"]
    k = ws["attention_output/kernel"]
    assert (k.shape, k.initializer.kind) == (None, "glorot_uniform")  # its input: unknown
    assert ws["attention_output/bias"].shape == [4]
    assert where(k.provenance)[1] == at(
        t, L, 'self._output_dense = Dense(self.units, name="attention_output")')
    assert k.provenance[1].note.endswith("built when Attention2.call first calls it "
                                         "(input shape unknown)")
    assert_real_lines(t, k.provenance)
    # the query sub-layer is called on the call's input tensor: built on its shape
    q = ws["query/kernel"]
    assert q.shape == [3, 4]
    assert at(t, L, "return self._output_dense(self._query_dense(query))") in where(q.provenance)
    assert_real_lines(t, q.provenance)


def test_the_names_follow_the_source() -> None:
    ws = weights(tree(LAYERS.replace('name="query", **', 'name="q", **')), "Attention3")
    assert "q/kernel" in ws and "query/kernel" not in ws


# ------------------------------------------------------------------ left alone
def test_a_cells_weights_are_the_wrappers_own() -> None:
    assert sorted(weights(tree(), "Wrapper")) == ["bias", "kernel"]


def test_a_built_sub_layer_is_not_built_again_and_other_objects_are_not_layers() -> None:
    assert weights(tree(), "Holder") == {}


def test_a_layer_of_its_own_weights_is_unchanged() -> None:
    assert sorted(weights(tree(), "Dense")) == ["bias", "kernel"]
