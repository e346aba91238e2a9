"""TF 2.10.1 with Keras 2.10 (its own ``keras`` package, before ``keras/src``), Python 3.10:
the default set audited from the installed files is complete and agrees weight by weight
with the layers built in that TensorFlow (the tf210 virtualenv of scripts/setup-test-envs.sh).
``--symbols all`` of this release, verified the same way on 2026-12-03: 266 agree, 0 disagree,
0 inconclusive (README "Measured")."""

from __future__ import annotations

import pytest
from test_live_e2e import describe, venv_python

from tfinit_audit.analysis.audit import analyze
from tfinit_audit.analysis.model import Dims
from tfinit_audit.analysis.symbols import DEFAULT_SYMBOLS
from tfinit_audit.live.verify import verify_interpreter
from tfinit_audit.sources.local import open_installed

pytestmark = [pytest.mark.live, pytest.mark.slow]


def test_default_set_of_2_10_agrees_live() -> None:
    python = venv_python("tf210")
    static = analyze(open_installed(python), list(DEFAULT_SYMBOLS), Dims())
    for s in static:
        assert s.status == "resolved", (s.symbol, s.status, s.message)
        assert all(w.initializer.kind != "unresolved" for w in s.weights), s.symbol
    lstm = next(s for s in static if s.symbol == "tf.keras.layers.LSTM")
    assert {w.name: w.initializer.kind for w in lstm.weights} == {
        "kernel": "glorot_uniform", "recurrent_kernel": "orthogonal", "bias": "composite"}
    run = verify_interpreter(python, static, Dims(), timeout=600)
    assert run.error is None, run.error
    assert run.tensorflow == "2.10.1" and run.python_version.startswith("3.10.")
    assert run.summary["disagree"] == 0 and run.summary["inconclusive"] == 0, describe(run)
    assert run.summary["agree"] == sum(len(s.weights) for s in static)
