"""Keras 1.x ``Bidirectional`` audited from the files installed in each virtualenv of
scripts/setup-test-envs.sh (Python 3.6) and built in that TensorFlow.

Known answer, read from the source (``tensorflow/python/keras/layers/wrappers.py`` in 1.12,
``.../keras/_impl/keras/layers/wrappers.py`` in 1.4-1.8; 1.2 has the class in
``tensorflow/contrib/keras/python/keras/layers/wrappers.py`` but exports no public name for
it): ``self.forward_layer = copy.copy(layer)`` (a shallow copy:
the same class, the original's attributes, its ``cell`` shared with ``layer``) and
``self.backward_layer = layer.__class__.from_config(config)``; ``build`` builds both. So both
hold an LSTM's three weights (``kernel`` ``[32, 256]`` glorot_uniform, ``recurrent_kernel``
``[64, 256]`` orthogonal, ``bias`` ``[256]`` with the unit forget bias). Before the engine
modelled ``copy.copy`` the static answer had the backward layer's weights only, and the
forward ones disagreed live as "not in the static answer"."""

from __future__ import annotations

import pytest
from test_live_e2e import describe, venv_python

from tfinit_audit.analysis.audit import analyze
from tfinit_audit.analysis.model import Dims
from tfinit_audit.analysis.symbols import parse_symbol
from tfinit_audit.live.verify import verify_interpreter
from tfinit_audit.sources.local import open_installed

pytestmark = [pytest.mark.live, pytest.mark.slow]

CASES = [
    ("tf112", "tf.keras.layers.Bidirectional"),
    ("tf18", "tf.keras.layers.Bidirectional"),
    ("tf14", "tf.keras.layers.Bidirectional"),
]
LSTM = {"kernel": ([32, 256], "glorot_uniform"), "recurrent_kernel": ([64, 256], "orthogonal"),
        "bias": ([256], "composite")}


@pytest.mark.parametrize(("venv", "name"), CASES, ids=[c[0] for c in CASES])
def test_the_forward_copy_and_the_backward_layer_both_agree_live(venv: str, name: str) -> None:
    python = venv_python(venv)
    [static] = analyze(open_installed(python), [parse_symbol(name)], Dims())
    assert static.status == "resolved", static.message
    assert {w.name: (w.shape, w.initializer.kind) for w in static.weights} == {
        f"{side}_layer/{n}": v for side in ("forward", "backward") for n, v in LSTM.items()}
    run = verify_interpreter(python, [static], Dims(), timeout=600)
    assert run.error is None, run.error
    assert run.summary == {"agree": 6, "disagree": 0, "inconclusive": 0}, describe(run)
