"""Fused RNN cells of ``tf.contrib`` (TF 1.15.5), answered from the installed files of the
tf115 virtualenv and built live there on the input the static analysis reports.

Known answers, read from tensorflow_core/contrib/rnn/python/ops/lstm_ops.py:
``LSTMBlockFusedCell.__init__`` sets ``self.input_spec = input_spec.InputSpec(ndim=3)`` (its
call takes a time-major ``[time_len, batch_size, input_size]``); ``build(input_shape)`` reads
``input_size = input_shape.dims[2].value`` -- a TensorShape, as ``Layer.__call__`` hands it --
and adds ``kernel`` ``[input_size + num_units, 4 * num_units]`` (no initializer: the variable
scope's glorot_uniform) and ``bias`` ``[4 * num_units]`` (``constant_initializer(0.0)``); with
``use_peephole=True`` also ``w_i_diag``/``w_f_diag``/``w_o_diag`` ``[num_units]`` (glorot).
Dims: units 64, input 32: kernel [96, 256], bias [256]. ``LSTMBlockWrapper.call`` runs
``self._call_cell``, which hands ``forget_bias=self._forget_bias`` (1.0) to
``gen_rnn_ops.block_lstm``: added to the forget gate, not stored in the bias.

``tf.contrib.cudnn_rnn.CudnnLSTM`` makes its ``opaque_kernel`` through the
``CudnnRNNCanonicalToParams`` op, which has a GPU kernel only: on a machine without one the
live check cannot build it and says so.
"""

from __future__ import annotations

import pytest
from test_live_e2e import describe, venv_python

from tfinit_audit.analysis.audit import analyze
from tfinit_audit.analysis.model import Dims
from tfinit_audit.analysis.symbols import parse_symbol
from tfinit_audit.live.verify import verify_interpreter
from tfinit_audit.sources.local import open_installed

pytestmark = [pytest.mark.live, pytest.mark.slow]

FUSED = "tf.contrib.rnn.LSTMBlockFusedCell"
PEEP = "tf.contrib.rnn.LSTMBlockFusedCell[use_peephole=True]"
KNOWN = {
    FUSED: {"kernel": ([96, 256], "glorot_uniform"), "bias": ([256], "constant")},
    PEEP: {"kernel": ([96, 256], "glorot_uniform"), "bias": ([256], "constant"),
           **{f"w_{g}_diag": ([64], "glorot_uniform") for g in "ifo"}},
}


def test_lstm_block_fused_cell_agrees_on_the_time_major_input() -> None:
    python = venv_python("tf115")
    static = analyze(open_installed(python), [parse_symbol(n) for n in KNOWN], Dims())
    for r in static:
        assert r.status == "resolved", r.message
        # built on the rank its input_spec declares, the time axis and batch before depth
        assert r.input_shape == [None, 5, 32]
        assert r.input_note is not None and r.input_note.startswith("input_spec ndim=3")
        assert {w.name: (w.shape, w.initializer.kind) for w in r.weights} == KNOWN[r.symbol]
        bias = next(w for w in r.weights if w.name == "bias")
        assert bias.initializer.params == {"value": 0.0}
        [adj] = bias.runtime_adjustments
        assert (adj.kind, adj.value) == ("forget_bias", 1.0)
        assert "passed to gen_rnn_ops.block_lstm() as forget_bias" in adj.applies_to
    run = verify_interpreter(python, static, Dims(), timeout=600)
    assert run.error is None, run.error
    assert run.tensorflow == "1.15.5"
    assert run.summary["disagree"] == 0 and run.summary["inconclusive"] == 0, describe(run)
    assert run.summary["agree"] == sum(len(w) for w in KNOWN.values())
    for s in run.symbols:
        assert s.status == "ok" and s.file_agrees is True, (s.symbol, s.message)
        for w in s.weights:
            checks = {c["check"]: c for c in w.evidence["checks"]}
            assert checks["shape"]["passed"] is True, (s.symbol, w.name)
            assert w.evidence["runtime"]["variable"].endswith(f"lstm_fused_cell/{w.name}:0")


def test_cudnn_lstm_without_a_gpu_kernel_says_so() -> None:
    python = venv_python("tf115")
    static = analyze(open_installed(python),
                     [parse_symbol("tf.contrib.cudnn_rnn.CudnnLSTM[num_layers=1]")], Dims())
    [r] = static
    assert [w.name for w in r.weights] == ["cudnn_lstm/opaque_kernel"]
    run = verify_interpreter(python, static, Dims(), timeout=600)
    assert run.error is None, run.error
    [s] = run.symbols
    [w] = s.weights
    # agree where a GPU runs the op; here (CPU only) not built, with TensorFlow's reason
    if w.verdict != "agree":
        assert w.verdict == "inconclusive", describe(run)
        assert "No OpKernel was registered to support Op 'CudnnRNNCanonicalToParams'" in \
            w.evidence["reason"], w.evidence["reason"]


def test_lstm_block_fused_cell_of_1_8_gets_the_tensor_shape_its_call_hands() -> None:
    # TF 1.8 has no tf_utils.shape_type_conversion: what build gets is read from
    # tensorflow/python/layers/base.py Layer.__call__ (``nest.map_structure(lambda x:
    # x.get_shape(), inputs)``; rules/build_call.py); its build reads ``input_shape[2].value``
    python = venv_python("tf18")
    [r] = analyze(open_installed(python), [parse_symbol(FUSED)], Dims())
    assert r.status == "resolved", r.message
    assert r.build_input == "TensorShape"
    assert {w.name: (w.shape, w.initializer.kind) for w in r.weights} == KNOWN[FUSED]
    run = verify_interpreter(python, [r], Dims(), timeout=600)
    assert run.error is None, run.error
    assert run.tensorflow == "1.8.0"
    assert run.summary == {"agree": 2, "disagree": 0, "inconclusive": 0}, describe(run)


def test_lstm_block_cell_of_1_4_adds_its_forget_bias_in_its_own___call__() -> None:
    # TF 1.4 LSTMBlockCell.__call__ (over the base Layer.call) hands forget_bias=1.0 to
    # _lstm_block_cell, which adds it to the forget gate: a runtime adjustment of the bias
    python = venv_python("tf14")
    [r] = analyze(open_installed(python), [parse_symbol("tf.contrib.rnn.LSTMBlockCell")], Dims())
    assert r.status == "resolved", r.message
    bias = next(w for w in r.weights if w.name.endswith("bias"))
    [adj] = bias.runtime_adjustments
    assert (adj.kind, adj.value) == ("forget_bias", 1.0)
    assert "passed to _lstm_block_cell() as forget_bias" in adj.applies_to
    run = verify_interpreter(python, [r], Dims(), timeout=600)
    assert run.error is None, run.error
    assert run.summary["disagree"] == 0 and run.summary["inconclusive"] == 0, describe(run)
