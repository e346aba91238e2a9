"""SerializedInitializerRule and SerializedObjectRule (rules/serialization.py): an
initializer the analysis knows, serialized by a layer's ``get_config`` and deserialized by the
copy's constructor, is that initializer -- a layer recreated from another's config (Keras
``Bidirectional``) keeps the original's initializers; a layer made from a serialized layer
(Keras 3 ``serialization_lib``) is of its class with its (edited) config. Also the engine
semantics the round trip needs: ``dict(pairs)`` and ``del config[key]``."""

from __future__ import annotations

from rule_fixtures import evaluate, interp, make_tree

from tfinit_audit.analysis.engine.values import DictV, Unknown
from tfinit_audit.analysis.rules.values import InitV
from tfinit_audit.sources.base import MemoryTree

INIT = '''
    """Mimics a Keras initializers package: classes, ``get`` that passes objects through, and
    ``serialize``/``deserialize`` whose class registry is filled at run time."""
    _REGISTRY = {}


    class GlorotUniform(object):
        def __init__(self, seed=None):
            self.seed = seed

        def get_config(self):
            return {"seed": self.seed}


    def serialize(initializer):
        return {"class_name": initializer.__class__.__name__,
                "config": initializer.get_config()}


    def deserialize(config):
        cls = _REGISTRY[config["class_name"]]
        return cls.from_config(config["config"])


    def get(identifier):
        if isinstance(identifier, dict):
            return deserialize(identifier)
        if callable(identifier):
            return identifier
        return None
    '''

LAYER = '''
    """A layer whose config carries its serialized initializer and drops a private entry,
    and a copy of it made from that config."""
    from kl import initializers


    class Layer(object):
        def __init__(self, kernel_initializer=None, **kwargs):
            self.kernel_initializer = initializers.get(kernel_initializer)

        def get_config(self):
            base = {"name": "layer", "cell": "private"}
            config = {"kernel_initializer": initializers.serialize(self.kernel_initializer)}
            del base["cell"]
            return dict(list(base.items()) + list(config.items()))

        @classmethod
        def from_config(cls, config):
            return cls(**config)


    original = Layer(kernel_initializer=initializers.GlorotUniform())
    copy = Layer.from_config(original.get_config())
    '''


def tree() -> MemoryTree:
    return make_tree({"kl/initializers.py": INIT, "kl/layers.py": LAYER})


def test_the_copy_keeps_the_initializer_of_the_original() -> None:
    it = interp(tree())
    v = evaluate(it, "kl/layers.py", "copy.kernel_initializer")
    assert isinstance(v, InitV) and v.kind == "glorot_uniform"
    assert any(h.note.startswith("serialize keeps the config of glorot_uniform")
               for h in v.hops)


def test_without_the_rule_the_registry_lookup_is_unknown() -> None:
    from tfinit_audit.analysis.rules import ENGINE_RULES
    from tfinit_audit.analysis.rules.serialization import SerializedInitializerRule

    rules = [r for r in ENGINE_RULES if not isinstance(r, SerializedInitializerRule)]
    it = interp(tree(), rules)
    v = evaluate(it, "kl/layers.py", "copy.kernel_initializer")
    assert not isinstance(v, InitV)


def test_dict_of_pairs_and_del_of_a_key() -> None:
    it = interp(tree())
    cfg = evaluate(it, "kl/layers.py", "original.get_config()")
    assert isinstance(cfg, DictV)
    assert set(cfg.items) == {"name", "kernel_initializer"}  # "cell" deleted
    bad = evaluate(it, "kl/layers.py", "dict([1, 2])")
    assert isinstance(bad, Unknown)


SERIALIZATION_LIB = '''
    """Mimics Keras 3 serialization_lib: a registry filled at run time."""
    _REGISTRY = {}


    def serialize_keras_object(obj):
        return {"class_name": obj.__class__.__name__, "config": obj.get_config()}


    def deserialize_keras_object(config):
        cls = _REGISTRY[config["class_name"]]
        return cls.from_config(config["config"])
    '''

WRAPPER = '''
    """Mimics Keras 3 ``Bidirectional``: the forward and backward layers are made from the
    serialized layer, the backward one from an edited config."""
    from kl import initializers
    from kl import serialization_lib
    from kl.layers import Layer


    class Recurrent(Layer):
        def __init__(self, go_backwards=False, **kwargs):
            super().__init__(**kwargs)
            self.go_backwards = go_backwards

        def get_config(self):
            config = super().get_config()
            config["go_backwards"] = self.go_backwards
            return config


    class Both(object):
        def __init__(self, layer):
            config = serialization_lib.serialize_keras_object(layer)
            self.forward_layer = serialization_lib.deserialize_keras_object(config)
            config["config"]["go_backwards"] = True
            self.backward_layer = serialization_lib.deserialize_keras_object(config)


    both = Both(Recurrent(kernel_initializer=initializers.GlorotUniform()))
    '''


def test_a_layer_made_from_a_serialized_layer_is_of_its_class_with_its_config() -> None:
    t = make_tree({"kl/initializers.py": INIT, "kl/layers.py": LAYER,
                   "kl/serialization_lib.py": SERIALIZATION_LIB, "kl/wrappers.py": WRAPPER})
    it = interp(t)
    for side, backwards in (("forward_layer", False), ("backward_layer", True)):
        init = evaluate(it, "kl/wrappers.py", f"both.{side}.kernel_initializer")
        assert isinstance(init, InitV) and init.kind == "glorot_uniform"
        go = evaluate(it, "kl/wrappers.py", f"both.{side}.go_backwards")
        assert go.value is backwards  # type: ignore[attr-defined]
    from tfinit_audit.analysis.rules import ENGINE_RULES
    from tfinit_audit.analysis.rules.serialization import SerializedObjectRule

    it = interp(t, [r for r in ENGINE_RULES if not isinstance(r, SerializedObjectRule)])
    assert isinstance(evaluate(it, "kl/wrappers.py", "both.forward_layer"), Unknown)
