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
from tfinit_audit.analysis.engine.values import FunctionV, Value, with_hops
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
