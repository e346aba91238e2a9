"""Keras's config round trip for initializers: ``initializers.serialize(x)`` then
``initializers.get``/``deserialize`` of that config builds an object equal to ``x``.

Keras layers recreate layers from their configs (``Bidirectional`` builds its forward and
backward layers with ``layer.__class__.from_config(layer.get_config())``); each ``get_config``
serializes the layer's initializers (``initializers.serialize(self.kernel_initializer)``) and the
new layer's constructor deserializes them again. The registry that maps a class name back to
its class is filled at run time, which the analysis does not run; by the contract of
``get_config``/``from_config`` the round trip is the identity, so the serialized form of an
initializer the analysis knows is carried as that initializer (with the line that serialized
it), and ``initializers.get`` passes an initializer object through unchanged.
"""

from __future__ import annotations

from typing import Any

from tfinit_audit.analysis.engine.hooks import Rule
from tfinit_audit.analysis.engine.values import (
    ClassV,
    Const,
    DictV,
    FunctionV,
    Instance,
    Value,
    with_hops,
)
from tfinit_audit.analysis.rules.values import Composite, InitV


class SerializedInitializerRule(Rule):
    """``initializers.serialize(<initializer the analysis knows>)`` is that initializer."""

    name = "serialized-initializers"

    def call(self, it: Any, callee: Value, args: list[Value],
             kwargs: dict[str, Value]) -> Value | None:
        if not (isinstance(callee, FunctionV) and callee.name == "serialize"
                and "initializers" in callee.module and len(args) == 1
                and isinstance(args[0], InitV | Composite)):
            return None
        info = callee.info
        line = info.def_line if info is not None else 0
        hop = callee.src.hop(line, f"{callee.name} keeps the config of {args[0].describe()}; "
                                   "deserializing it builds the same initializer")
        return with_hops(args[0], [hop], front=False)


SERIALIZED_CLASS = "__tfinit_serialized_class__"  # the config's class, kept beside its fields


class SerializedObjectRule(Rule):
    """Keras 3 ``serialization_lib``: ``serialize_keras_object(obj)`` is ``{"class_name":
    ..., "config": obj.get_config(), ...}`` and ``deserialize_keras_object(config)`` finds
    the class in a registry filled at run time and calls its ``from_config(config["config"])``
    (``Bidirectional`` makes its forward and backward layers that way, after editing the
    config: ``config["config"]["go_backwards"] = True``). The analysis does not run the
    registry; the serialized form of a source object carries its class, so deserializing it
    is the class's ``from_config`` on the (edited) config -- or, when that cannot be
    followed, the class called with the config as keyword arguments, the contract of a
    layer's default ``from_config``. An initializer the analysis knows is its own serialized
    form (as for ``initializers.serialize``)."""

    name = "serialized-objects"

    def call(self, it: Any, callee: Value, args: list[Value],
             kwargs: dict[str, Value]) -> Value | None:
        if not isinstance(callee, FunctionV) or not args:
            return None
        if callee.name == "serialize_keras_object":
            return self._serialize(it, args[0])
        if callee.name == "deserialize_keras_object":
            return self._deserialize(it, args[0])
        return None

    @staticmethod
    def _serialize(it: Any, obj: Value) -> Value | None:
        if isinstance(obj, InitV | Composite):
            return obj
        if not isinstance(obj, Instance) or not isinstance(obj.cls, ClassV):
            return None
        get_config = it.getattr(obj, "get_config")
        if not isinstance(get_config, FunctionV):
            return None
        config = it.call(get_config, [], {})
        if not isinstance(config, DictV):
            return None
        return DictV(items={"class_name": Const(value=obj.cls.name),
                            "config": DictV(items=dict(config.items)),
                            SERIALIZED_CLASS: obj.cls})

    @staticmethod
    def _deserialize(it: Any, config: Value) -> Value | None:
        if isinstance(config, InitV | Composite):
            return config
        if not isinstance(config, DictV):
            return None
        cls, inner = config.items.get(SERIALIZED_CLASS), config.items.get("config")
        if not isinstance(cls, ClassV) or not isinstance(inner, DictV):
            return None
        from_config = it.getattr(cls, "from_config")
        if isinstance(from_config, FunctionV):
            made = it.call(from_config, [DictV(items=dict(inner.items))], {})
            if isinstance(made, Instance):
                return made
        kwargs = {k: v for k, v in inner.items.items() if isinstance(k, str)}
        return it.instantiate(cls, [], kwargs, None)
