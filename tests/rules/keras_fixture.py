"""A tiny Keras-like library for the fixture tests of rules/metrics.py, rules/wrapped.py,
rules/inputs.py (documented ranks), rules/sublayers.py (sub-layer outputs) and
rules/weights.py (literal initializers): ``kl/initializers.py`` (``get`` of identifiers),
``kl/base.py`` (a ``Layer`` with ``build``, ``add_weight`` that looks its initializer up, and
``__call__`` that builds then calls), and a ``tensorflow/__init__.py`` exporting the fixture
module's classes under ``tf.``. Written for these tests; nothing is copied from Keras."""

from __future__ import annotations

from typing import Any

from rule_fixtures import make_tree

from tfinit_audit.analysis.audit import analyze
from tfinit_audit.analysis.model import Dims, SymbolResult
from tfinit_audit.analysis.symbols import parse_symbol

INITS = '''
    """Mimics a Keras initializers module."""


    class Initializer(object):
        pass


    class Zeros(Initializer):
        pass


    class VarianceScaling(Initializer):
        def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal"):
            self.scale = scale
            self.mode = mode
            self.distribution = distribution


    class GlorotUniform(VarianceScaling):
        def __init__(self):
            super().__init__(scale=1.0, mode="fan_avg", distribution="uniform")


    def get(identifier):
        if isinstance(identifier, str):
            return {"glorot_uniform": GlorotUniform, "zeros": Zeros}[identifier]()
        return identifier
    '''

BASE = '''
    """Mimics the Keras ``Layer``: ``build``, ``add_weight`` and ``__call__``."""
    from kl import initializers


    class Layer(object):
        def __init__(self, name=None):
            self._name = name
            self.built = False

        def build(self, input_shape):
            self.built = True

        def add_weight(self, name=None, shape=None, initializer=None):
            initializer = initializers.get(initializer)
            return name

        def __call__(self, inputs, *args, **kwargs):
            if not self.built:
                self.build(inputs.shape)
                self.built = True
            return self.call(inputs, *args, **kwargs)

        def call(self, inputs):
            return inputs
    '''

M = "kl/layers.py"


def tree(module: str, names: str, extra: dict[str, str] | None = None) -> Any:
    """The fixture library plus ``module`` as kl/layers.py, ``names`` exported as ``tf.*``
    (and ``extra`` files)."""
    return make_tree({"kl/initializers.py": INITS, "kl/base.py": BASE, M: module,
                      "tensorflow/__init__.py": f"from kl.layers import {names}\n",
                      **(extra or {})})


def answer(t: Any, symbol: str, dims: Dims | None = None) -> SymbolResult:
    [r] = analyze(t, [parse_symbol(symbol)], dims or Dims(units=4, input_dim=3))
    return r
