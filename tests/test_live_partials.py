"""Symbols `--symbols all` left `needs-args` or without shapes (issue 9), answered from the
installed files of the test virtualenvs and built live there: cell wrappers, before the
argument table looked a wrapper's cell up beyond its own namespace and had a ``device``; a
cell whose code raises on its ``None`` default.

Known answers, read from each release's source:

- ``tf.nn.RNNCellDropoutWrapper`` / ``RNNCellResidualWrapper`` / ``RNNCellDeviceWrapper``
  (2.15.1 keras/src/layers/rnn/rnn_cell_wrapper_v2.py): ``tf.nn`` has no ``LSTMCell``, so they
  wrap the table's ``tf.keras.layers.LSTMCell(64)``, built on 32 features: ``kernel``
  glorot_uniform ``[32, 256]``, ``recurrent_kernel`` orthogonal ``[64, 256]``, ``bias``
  ``[256]`` (zeros, ones for the forget gate, zeros: unit_forget_bias). Built live through
  ``get_initial_state`` (the wrapper's ``zero_state`` asks the Keras cell for one it lacks).
  2.21.0: the same wrappers (tensorflow/python/keras) around Keras 3's ``LSTMCell``, whose
  random-seed state is no weight (``Layer.weights`` leaves it out; the probe compares the
  trainable variables of a wrapper built that way).
- ``tf.nn.RNNCellDropoutWrapper`` in 2.4.4 (tensorflow/python/keras/layers/
  rnn_cell_wrapper_v2.py, tf24): its constructor raises for a Keras ``LSTMCell``, the
  table's cell -- ``needs-args`` naming ``cell``, as real TF raises; with ``GRUCell`` built
  and agreeing.
- ``tf.nn.rnn_cell.DeviceWrapper`` (1.15.5 tensorflow_core/python/ops/rnn_cell_impl.py) with
  the table's ``device='/cpu:0'``: the TF 1.x ``LSTMCell``'s ``kernel`` ``[32 + 64, 256]``
  glorot_uniform and ``bias`` ``[256]`` zeros, under the cell's scope ``lstm_cell``.
- ``tf.contrib.rnn.OutputProjectionWrapper`` / ``InputProjectionWrapper`` (1.8.0
  tensorflow/contrib/rnn/python/ops/core_rnn_cell.py), built with the table's ``output_size``
  (= units, 64) / ``num_proj`` (16): ``_Linear`` kernels ``[64, 64]`` / ``[32, 16]``
  glorot_uniform and biases ``constant(0.0)``, around the LSTMCell's ``lstm_cell/kernel``.
"""

from __future__ import annotations

import os
import subprocess
from typing import Any

import pytest
from test_live_e2e import describe, venv_python

from tfinit_audit.analysis.audit import analyze
from tfinit_audit.analysis.model import Dims, SymbolResult
from tfinit_audit.analysis.symbols import parse_symbol
from tfinit_audit.live.verify import verify_interpreter
from tfinit_audit.sources.local import open_installed

pytestmark = [pytest.mark.live, pytest.mark.slow]

KERAS_LSTM = {"kernel": ([32, 256], "glorot_uniform"), "recurrent_kernel": ([64, 256],
                                                                           "orthogonal"),
              "bias": ([256], "composite")}
KNOWN: dict[str, dict[str, dict[str, tuple[list[int], str]]]] = {
    **{env: {f"tf.nn.RNNCell{w}Wrapper": KERAS_LSTM for w in ("Dropout", "Residual", "Device")}
       for env in ("tf215", "tf221")},
    "tf115": {"tf.nn.rnn_cell.DeviceWrapper": {
        "lstm_cell/kernel": ([96, 256], "glorot_uniform"),
        "lstm_cell/bias": ([256], "zeros")},
},
}
KNOWN["tf18"] = {
    "tf.contrib.rnn.OutputProjectionWrapper": {
        "lstm_cell/kernel": ([96, 256], "glorot_uniform"), "lstm_cell/bias": ([256], "zeros"),
        "kernel": ([64, 64], "glorot_uniform"), "bias": ([64], "constant")},
    "tf.contrib.rnn.InputProjectionWrapper": {
        "kernel": ([32, 16], "glorot_uniform"), "bias": ([16], "constant"),
        "lstm_cell/kernel": ([80, 256], "glorot_uniform"), "lstm_cell/bias": ([256], "zeros")},
}
NEEDS: dict[str, dict[str, list[str]]] = {}


@pytest.fixture(scope="module")
def answers() -> dict[str, list[SymbolResult]]:
    return {}


def static(env: str, cache: dict[str, Any]) -> list[SymbolResult]:
    if env not in cache:
        cache[env] = analyze(open_installed(venv_python(env)),
                             [parse_symbol(n) for n in [*KNOWN[env], *NEEDS.get(env, {})]],
                             Dims())
    return cache[env]


@pytest.mark.parametrize("env", list(KNOWN))
def test_wrappers_are_built_and_agree_with_tensorflow(env: str, answers: dict[str, Any]
                                                      ) -> None:
    results = static(env, answers)
    for r in results:
        if r.symbol in NEEDS.get(env, {}):
            assert r.status == "needs-args", (r.symbol, r.status, r.message)
            assert r.missing_arguments == NEEDS[env][r.symbol]
            assert "raises TypeError" in (r.message or "")
            continue
        assert r.status == "resolved", (r.symbol, r.message)
        assert {w.name: (w.shape, w.initializer.kind) for w in r.weights} \
            == KNOWN[env][r.symbol], r.symbol
    run = verify_interpreter(venv_python(env), results, Dims(), timeout=600)
    assert run.error is None, run.error
    assert run.summary["disagree"] == 0 and run.summary["inconclusive"] == 0, describe(run)
    assert sum(len(s.weights) for s in run.symbols) == sum(len(w) for w in KNOWN[env].values())


def test_tf24_dropout_wrapper_refuses_a_keras_lstm_cell_as_tensorflow_does() -> None:
    # TF 2.4.4 rnn_cell_wrapper_v2.DropoutWrapper raises for a Keras LSTMCell (the table's
    # cell): the static side says it needs another cell -- never LSTMCell's weights -- and
    # real TF 2.4.4 raises the same; with a GRUCell both sides build it and agree
    py = venv_python("tf24")
    spec = parse_symbol("tf.nn.RNNCellDropoutWrapper")
    [r] = analyze(open_installed(py), [spec], Dims())
    assert (r.status, r.missing_arguments, r.weights) == ("needs-args", ["cell"], [])
    probe = subprocess.run(
        [py, "-c", "import tensorflow as tf\ntry:\n"
                   "    tf.nn.RNNCellDropoutWrapper(tf.keras.layers.LSTMCell(64))\n"
                   "except ValueError as exc:\n    print('ValueError:', exc)\n"],
        capture_output=True, text=True, timeout=600,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert "ValueError: keras LSTM cell does not work with DropoutWrapper" in probe.stdout, \
        probe.stderr[-2000:]
    dims = Dims(given={"cell": "GRUCell"})
    results = analyze(open_installed(py), [spec], dims)
    assert results[0].status == "resolved", results[0].message
    run = verify_interpreter(py, results, dims, timeout=600)
    assert run.error is None, run.error
    assert (run.summary["agree"], run.summary["disagree"], run.summary["inconclusive"]) \
        == (3, 0, 0), describe(run)
