"""TF 1.2/1.4 ``tf.contrib.rnn`` cells audited from the files installed in each virtualenv of
scripts/setup-test-envs.sh (Python 3.6) and built in that TensorFlow.

Known answers, read from the source (``tensorflow/contrib/rnn/python/ops/rnn_cell.py``,
``tensorflow/python/ops/rnn_cell_impl.py``):

- ``GLSTMCell(64)`` (one group by default) slices its input into groups of ``num_units /
  number_of_groups`` = 64 columns (``array_ops.slice(inputs, [0, g * 64], [batch, 64])``):
  TensorFlow's Slice kernel refuses the table's 32-wide input at run time ("Expected size[1]
  in [0, 32], but got 64"), so it is built on 64 features: ``group0/kernel`` ``[128, 256]``
  (input and previous output, 64 each) and four ``[64]`` biases. Was inconclusive live.
- TF 1.2 ``DropoutWrapper(LSTMCell(64))`` keeps ``float(constant_value(convert_to_tensor(
  1.0)))`` and applies no dropout: its cell gets the 32-wide input, ``lstm_cell/kernel``
  ``[96, 256]``. Was no static shape (inconclusive)."""

from __future__ import annotations

import pytest
from test_live_e2e import describe, venv_python

from tfinit_audit.analysis.audit import analyze
from tfinit_audit.analysis.model import Dims
from tfinit_audit.analysis.symbols import parse_symbol
from tfinit_audit.live.verify import verify_interpreter
from tfinit_audit.sources.local import open_installed

pytestmark = [pytest.mark.live, pytest.mark.slow]


@pytest.mark.parametrize("venv", ["tf12", "tf14"])
def test_glstm_is_built_on_the_width_its_slices_need_and_agrees(venv: str) -> None:
    python = venv_python(venv)
    [static] = analyze(open_installed(python), [parse_symbol("tf.contrib.rnn.GLSTMCell")],
                       Dims())
    assert static.status == "resolved", static.message
    assert static.input_shape == [None, 64]
    assert static.input_note is not None and "Expected size[1] in [0, 32], but got 64" \
        in static.input_note
    assert {w.name: w.shape for w in static.weights} == {
        "group0/kernel": [128, 256], **{f"bias_{g}": [64] for g in "ijfo"}}
    run = verify_interpreter(python, [static], Dims(), timeout=600)
    assert run.error is None, run.error
    assert run.summary == {"agree": 5, "disagree": 0, "inconclusive": 0}, describe(run)


def test_tf12_dropout_wrapper_hands_its_cell_the_input_and_agrees() -> None:
    python = venv_python("tf12")
    [static] = analyze(open_installed(python), [parse_symbol("tf.contrib.rnn.DropoutWrapper")],
                       Dims())
    assert static.status == "resolved", static.message
    assert {w.name: w.shape for w in static.weights} == {
        "lstm_cell/kernel": [96, 256], "lstm_cell/bias": [256]}
    run = verify_interpreter(python, [static], Dims(), timeout=600)
    assert run.error is None, run.error
    assert run.summary == {"agree": 2, "disagree": 0, "inconclusive": 0}, describe(run)


def test_tf12_separable_conv2d_refused_as_tensorflow_refuses_it() -> None:
    """TF 1.2 ``nn_impl.separable_conv2d`` refuses 8 filters for 32 input channels
    (rules/op_checks.py): the static answer is ``unavailable`` with TensorFlow's message, and
    TensorFlow itself raises it for the same construction."""
    import subprocess

    python = venv_python("tf12")
    [static] = analyze(open_installed(python), [parse_symbol("tf.layers.separable_conv2d")],
                       Dims())
    assert (static.status, static.weights) == ("unavailable", [])
    assert static.message is not None and "(tensorflow/python/ops/nn_impl.py:" in static.message
    assert "1 * 32 = 32 > 8 = out_channels" in static.message
    script = ("import tensorflow as tf\n"
              "try:\n"
              "    tf.layers.separable_conv2d(tf.zeros([1, 5, 5, 32]), 8, 3)\n"
              "except ValueError as e:\n"
              "    print(e)\n")
    out = subprocess.run([python, "-c", script], capture_output=True, text=True, timeout=300,
                         check=True).stdout
    assert "Refusing to perform an overparameterized separable convolution: " \
        "channel_multiplier * in_channels = 1 * 32 = 32 > 8 = out_channels" in out
