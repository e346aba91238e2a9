"""A random op drawn on a known shape with known numbers is that initializer, applied.

TF 1.x ``tf.contrib.layers`` spells its initializers as factories returning a nested function
(``contrib/layers/python/layers/initializers.py``: ``variance_scaling_initializer(factor,
mode, uniform)`` -- also behind ``xavier_initializer()``, the default ``weights_initializer``
of ``fully_connected`` and the ``conv*`` functions -- returns ``_initializer(shape, ...)``,
which computes its numbers from the shape and ends in ``random_ops.random_uniform(shape,
-limit, limit, ...)`` or ``random_ops.truncated_normal(shape, 0.0, stddev, ...)``). The
factory's parameters are not the vocabulary's (``factor``/``uniform``, not
``scale``/``distribution``), so it is not read as a class or factory of the vocabulary
(rules/initializer_classes.py); its nested function is run on the weight's shape instead, and
the op it ends in decides: ``random_uniform``/``random_normal``/``truncated_normal`` of
``random_ops`` (the ops' names are the vocabulary's kinds of the same name, their parameters
those kinds' numbers, bound to the release's own signature) on a shape of known sizes, every
parameter a known number, is that initializer applied to the shape -- the numbers are the
ones the release's code computed for this shape. Anything else (a shape from a tensor, a
parameter left None or computed from something unknown) is left to the source.
"""

from __future__ import annotations

from typing import Any

from tfinit_audit.analysis.engine.hooks import CallSite, Rule
from tfinit_audit.analysis.engine.values import Const, FunctionV, Seq, Value
from tfinit_audit.analysis.rules import vocabulary as vocab
from tfinit_audit.analysis.rules.values import Applied, InitV

_OPS = ("random_uniform", "random_normal", "truncated_normal")


class RandomOpRule(Rule):
    """``random_ops.random_uniform(shape, minval, maxval)`` and the normal draws, on a known
    shape with known numbers: the initializer of that kind, applied (see module doc)."""

    name = "random-ops"

    def call_site(self, it: Any, site: CallSite) -> Value | None:
        f = site.callee
        if not isinstance(f, FunctionV) or f.name not in _OPS or f.bound is not None \
                or f.module.rsplit(".", 1)[-1] != "random_ops":
            return None
        env = it.bind(f, site.args, site.kwargs)
        if env is None:
            return None
        shape = env.get("shape")
        if not isinstance(shape, Seq) or not all(
                isinstance(d, Const) and isinstance(d.value, int)
                and not isinstance(d.value, bool) for d in shape.items):
            return None
        params: dict[str, float] = {}
        for p in vocab.PARAMS[f.name]:
            v = env.get(p)
            if not isinstance(v, Const) or not isinstance(v.value, int | float) \
                    or isinstance(v.value, bool):
                return None
            params[p] = v.value
        ini = vocab.canonical(f.name, params)
        shown = ", ".join(f"{k}={v!r}" for k, v in ini.params.items())
        hop = site.frame.hop(site.node.lineno, f"{site.frame.func_name}: draws "
                                               f"{f.name}({shown}) on the shape")
        init = InitV(kind=ini.kind, params=ini.params, hops=(hop,))
        return Applied(init=init, shape=[d.value for d in shape.items if isinstance(d, Const)],
                       hops=(hop,))
