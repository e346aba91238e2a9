"""Keras 1.4-1.12 ``TimeDistributed`` audited from the files installed in each virtualenv of
scripts/setup-test-envs.sh (Python 3.6) and built in that TensorFlow.

Known answer, read from the source: ``TimeDistributed.build`` hands its inner layer's
``build`` ``child_input_shape = [input_shape[0]] + input_shape[2:]``, a list. TF 1.4's
recurrent layers read a list as a list of shapes and raise at ``TensorShape(None).as_list()``;
TF 1.8's ``RNN.build`` is decorated with ``shape_type_conversion`` (``keras/_impl/keras/
engine/base_layer.py``), whose wrapper reads the list the same way and raises at the same
call. Real TF only builds an LSTM inside it with a known batch size, which it takes as the
width; the analysis refuses the LSTM (rules/inner_raises.py) and builds the table's next
choice, a ``Dense(64)``: ``layer/kernel`` ``[32, 64]`` glorot_uniform, ``layer/bias`` zeros.
Before the engine ran a decorated ``build``'s decorator (engine/decorators.py), 1.8 kept the
LSTM and ``layer/kernel`` disagreed live: static ``[32, 256]`` vs runtime ``[1, 256]``."""

from __future__ import annotations

import pytest
from test_live_e2e import describe, venv_python

from tfinit_audit.analysis.audit import analyze
from tfinit_audit.analysis.model import Dims
from tfinit_audit.analysis.symbols import parse_symbol
from tfinit_audit.live.verify import verify_interpreter
from tfinit_audit.sources.local import open_installed

pytestmark = [pytest.mark.live, pytest.mark.slow]

VENVS = ["tf18", "tf14"]


@pytest.mark.parametrize("venv", VENVS)
def test_the_lstm_is_refused_and_the_dense_agrees_live(venv: str) -> None:
    python = venv_python(venv)
    [static] = analyze(open_installed(python), [parse_symbol("tf.keras.layers.TimeDistributed")],
                       Dims())
    assert static.status == "resolved", static.message
    assert {w.name: (w.shape, w.initializer.kind) for w in static.weights} == {
        "layer/kernel": ([32, 64], "glorot_uniform"), "layer/bias": ([64], "zeros")}
    [arg] = [a for a in static.arguments if a.name == "layer"]
    assert arg.value["symbol"] == "tf.keras.layers.Dense"
    assert arg.value["note"].startswith("LSTM: its build raises ValueError: as_list() is not "
                                        "defined on an unknown TensorShape.")
    run = verify_interpreter(python, [static], Dims(), timeout=600)
    assert run.error is None, run.error
    assert run.summary == {"agree": 2, "disagree": 0, "inconclusive": 0}, describe(run)
