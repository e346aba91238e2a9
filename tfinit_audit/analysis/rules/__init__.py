"""TensorFlow and Keras conventions the analysis relies on, one small named rule each.

The engine (analysis/engine) knows Python; each rule here teaches it one convention of the
library and says in its docstring where in TensorFlow/Keras that convention comes from. No rule
is keyed on a version number: every answer comes from the release's own source.

``ENGINE_RULES`` is the explicit list the engine is given (engine/hooks.py names the hook
points and the order rules are asked in). Rules used by the layer front end (analysis/layers.py)
directly: ``weights.WeightCollector`` (added for each layer with ``Interpreter.hooks``),
``inputs`` (what a layer is built with), ``none_fallback`` (following a None initializer),
``inline_none`` (a None-means-default choice written in the creating call), ``sublayers``
(weights made by the sub-layers a layer builds or calls),
``facts`` (gate order, activations, forget bias, GRU layout), ``custom_getters`` (a variable
scope's custom getter run on each variable the collector records). To teach the tool a new
convention, write a rule in a module here, add it to ``ENGINE_RULES`` (or call it from the
front end), and give it fixture tests (tests/rules/) -- one snippet it must decide, one it must
leave alone.
"""

from __future__ import annotations

from tfinit_audit.analysis.engine.hooks import Rule
from tfinit_audit.analysis.rules.composite import CompositeRule
from tfinit_audit.analysis.rules.constant_tensors import ConstantTensorRule
from tfinit_audit.analysis.rules.decorated_build import DecoratedBuildRule
from tfinit_audit.analysis.rules.dtypes import DTypeRule
from tfinit_audit.analysis.rules.elementwise import ElementwiseConstantRule
from tfinit_audit.analysis.rules.expressions import ExpressionRule
from tfinit_audit.analysis.rules.identifiers import (
    ActivationIdentifierRule,
    InitializerIdentifierRule,
    InitializerModuleRule,
)
from tfinit_audit.analysis.rules.initializer_classes import (
    InitializerClassRule,
    InitializerFactoryRule,
)
from tfinit_audit.analysis.rules.random_ops import RandomOpRule
from tfinit_audit.analysis.rules.serialization import (
    SerializedInitializerRule,
    SerializedObjectRule,
)
from tfinit_audit.analysis.rules.set_value import SetValueRule
from tfinit_audit.analysis.rules.shapes import TensorShapeRule
from tfinit_audit.analysis.rules.tensors import NestRule, TensorOpsRule, TensorRule
from tfinit_audit.analysis.rules.undocumented import RemoveUndocumentedRule

ENGINE_RULES: list[Rule] = [
    ExpressionRule(),  # before the tensor rules: a tensor of known values is one of theirs
    ConstantTensorRule(),
    TensorShapeRule(),
    DecoratedBuildRule(),
    TensorRule(),
    NestRule(),
    TensorOpsRule(),
    DTypeRule(),
    ActivationIdentifierRule(),
    InitializerIdentifierRule(),
    InitializerModuleRule(),
    InitializerClassRule(),
    InitializerFactoryRule(),
    CompositeRule(),
    SetValueRule(),
    ElementwiseConstantRule(),
    RandomOpRule(),
    SerializedInitializerRule(),
    SerializedObjectRule(),
    RemoveUndocumentedRule(),
]
