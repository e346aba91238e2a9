"""An elementwise op applied to the values of a constant initializer is a constant initializer.

Keras ``BatchNormalization(renorm=True)`` (keras ``normalization.py`` / ``batch_normalization.py``
of every release with renorm) tracks a moving *stddev*: its nested initializer is
``def moving_stddev_initializer(*args, **kwargs): return tf.sqrt(
self.moving_variance_initializer(*args, **kwargs))`` -- the square root of whatever the
moving-variance initializer fills in (``ones`` by default). For initializers that fill one
value everywhere (``zeros``, ``ones``, ``constant``) the op's result is again such an
initializer, with the op applied to the value; for random ones it is not an initializer of the
vocabulary (the analysis leaves it unresolved). The ops are TensorFlow's by name
(``math_ops.sqrt``, ``tf.sqrt``, ``tf.math.square``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from tfinit_audit.analysis.engine.hooks import CallSite, Rule
from tfinit_audit.analysis.engine.values import FunctionV, Value
from tfinit_audit.analysis.rules.values import Applied, InitV

_OPS: dict[str, Callable[[float], float]] = {
    "sqrt": math.sqrt,
    "square": lambda x: x * x,
}
_CONSTANT_VALUE = {"zeros": 0.0, "ones": 1.0}


class ElementwiseConstantRule(Rule):
    """``sqrt``/``square`` of an applied zeros/ones/constant initializer (see module doc)."""

    name = "elementwise-constant"

    def call_site(self, it: Any, site: CallSite) -> Value | None:
        f = site.callee
        if not isinstance(f, FunctionV) or f.name not in _OPS or len(site.args) != 1:
            return None
        arg = site.args[0]
        if not isinstance(arg, Applied) or not isinstance(arg.init, InitV):
            return None
        init = arg.init
        if init.kind in _CONSTANT_VALUE:
            value = _CONSTANT_VALUE[init.kind]
        elif init.kind == "constant" and isinstance(init.params.get("value"), int | float) \
                and not isinstance(init.params.get("value"), bool):
            value = float(init.params["value"])
        else:
            return None
        try:
            out = _OPS[f.name](value)
        except ValueError:  # sqrt of a negative value: not a real initializer
            return None
        if init.kind in _CONSTANT_VALUE and out == value:  # sqrt(ones) is ones
            result = InitV(kind=init.kind, params=dict(init.params), hops=init.hops)
        else:
            result = InitV(kind="constant", params={"value": out}, hops=init.hops)
        hop = site.frame.hop(site.node.lineno, f"{site.frame.func_name}: {f.name} of "
                                               f"{init.describe()} is {result.describe()}")
        return Applied(init=result, shape=arg.shape, hops=(hop, *arg.hops))
