"""Keras metrics make their state on the first update, from the values they are given.

A Keras ``Metric`` (Keras 2 ``keras/src/metrics/base_metric.py``, TF 1.x/2.x
``tensorflow/python/keras/metrics.py``) is a ``Layer`` without a ``build`` of its own: calling
it runs ``Metric.__call__(*args, **kwargs)``, which hands its arguments to
``update_state(values)`` and then returns ``result()``. Most metrics create their state
variables in the constructor; one that is not told its shape there (``MeanTensor(shape=None)``)
creates them the first time ``update_state`` runs, with the shape of ``values`` -- the whole
tensor of that first update, **its batch axis included** (``self._build(values.shape)``, then
``add_weight(shape=shape)``).

So a metric whose constructor and build made nothing is called once (rules/call_time.py:
its ``__call__``, which the engine follows to ``update_state``) on one batch of the documented
input whose batch axis is the argument table's ``batch`` (analysis/arguments.py; the live probe
builds on the same shape). Which classes are metrics is read from the class: its MRO defines
``update_state`` and ``result`` in source, and the ``__call__`` that runs first comes before
any ``call`` (the metric protocol, not a layer's ``call``).
"""

from __future__ import annotations

from typing import Any

from tfinit_audit.analysis.engine.values import ClassV, Instance


def is_metric(it: Any, obj: Instance) -> bool:
    """``obj`` follows the Keras metric protocol: ``update_state`` and ``result`` are source
    methods of its class, and its class's ``__call__`` is met in the MRO before any
    ``call``."""
    if not isinstance(obj.cls, ClassV):
        return False
    mro = it.source_mro(obj.cls)

    def first(name: str) -> int | None:
        return next((i for i, c in enumerate(mro) if name in c.info.methods), None)

    update, result, dunder, call = (first(n) for n in ("update_state", "result", "__call__",
                                                         "call"))
    if update is None or result is None or dunder is None:
        return False
    return call is None or dunder < call


def first_update_shape(shape: list[int | None], batch: int) -> list[int | None]:
    """The shape of the values a metric is first updated with: the documented input with its
    batch axis (unknown in a layer's build) set to ``batch``."""
    if not shape or shape[0] is not None:
        return list(shape)
    return [batch, *shape[1:]]
