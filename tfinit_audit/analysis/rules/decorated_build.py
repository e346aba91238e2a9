"""A layer's ``build`` is what its decorators make of it.

TF 1.8-2.x Keras decorates ``build`` with ``shape_type_conversion`` (1.8:
``keras/_impl/keras/engine/base_layer.py``; 1.10+: ``keras/utils/tf_utils.py``), whose
``wrapper(instance, input_shape)`` converts the shape it gets (``tuple(TensorShape(x).as_list())``
of each item of a list) before calling the method as written. A layer that builds another
layer by calling its ``build`` (1.8 ``TimeDistributed.build``: ``self.layer.build([None, 32])``;
``RNN.build``: ``self.cell.build(step_input_shape)``) runs that wrapper, as Python does: the
engine runs the decorators of a method named ``build`` (engine/decorators.py). The analysis'
own first build of the layer calls the method as written on what ``build_input`` hands it
(rules/shapes.py, which models the decorator)."""

from __future__ import annotations

from typing import Any

from tfinit_audit.analysis.engine.hooks import Rule
from tfinit_audit.analysis.engine.values import FunctionV, Value

BUILD = "build"


class DecoratedBuildRule(Rule):
    """Run the decorators of a layer's ``build`` when it is looked up."""

    name = "decorated-build"

    def decorated(self, it: Any, fn: Value) -> bool:
        return isinstance(fn, FunctionV) and fn.owner is not None and fn.name == BUILD
