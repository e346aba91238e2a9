"""Port a release's initialization to PyTorch, JAX (Flax), Keras or NumPy; convert weights.

``tfinit_audit.port`` is both this package and the Python API function: calling it runs
``tfinit_audit.pipeline.port`` (the code ``tfinit-audit port`` runs)::

    import tfinit_audit

    p = tfinit_audit.port("tf.nn.rnn_cell.LSTMCell", "1.8", to="pytorch", convert=True)
    print(p.code)              # a module: build(seed), tf_weights, to_target, step, convert
    cell = p.load().build(0)   # torch.nn.LSTMCell initialized as TF 1.8 initializes LSTMCell

The port is driven only by the static answer (weights, shapes, initializers, runtime
adjustments) and the porting facts (gate order, activations, bias layout):

- ``layout.py`` recognises what the weights are (an LSTM over a concatenated kernel, a Keras GRU
  with a two-row bias, a convolution, ...);
- ``draws.py`` turns each initializer into a draw with TF's numbers for TF's shape;
- ``targets/`` holds one vocabulary table per target (which call draws which distribution,
  which module holds which weight); ``recipe.py`` the forward step in TF's own layout, for the
  NumPy target and for targets without an equivalent module;
- ``emit.py`` writes the module, ``generate.py`` ties them together.
"""

from __future__ import annotations

import inspect
import sys
import types
from typing import Any

from tfinit_audit.port.model import TARGETS, Port, PortError


class _CallablePackage(types.ModuleType):
    """Lets ``tfinit_audit.port(...)`` call the API function although ``tfinit_audit.port`` is
    also this package (importing a submodule binds the package under that name)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Port:
        from tfinit_audit.pipeline import port  # the service layer imports this package

        return port(*args, **kwargs)

    @property
    def __signature__(self) -> inspect.Signature:
        from tfinit_audit.pipeline import port

        return inspect.signature(port)


sys.modules[__name__].__class__ = _CallablePackage

__all__ = ["TARGETS", "Port", "PortError"]
