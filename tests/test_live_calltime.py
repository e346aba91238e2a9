"""Cells that create their variables when called (TF 1.4: ``_Linear`` under variable scopes),
answered from the installed release's files and checked by building them in that TensorFlow
(the tf14 virtualenv of scripts/setup-test-envs.sh)."""

from __future__ import annotations

import pytest
from test_live_e2e import describe, venv_python

from tfinit_audit.analysis.audit import analyze
from tfinit_audit.analysis.model import Dims, SymbolResult
from tfinit_audit.analysis.symbols import DEFAULT_SYMBOLS
from tfinit_audit.live.verify import verify_interpreter
from tfinit_audit.sources.local import open_installed

pytestmark = [pytest.mark.live, pytest.mark.slow]

CELLS = [s for s in DEFAULT_SYMBOLS if s.name.startswith("tf.nn.rnn_cell.")]


@pytest.fixture(scope="module")
def static() -> list[SymbolResult]:
    return analyze(open_installed(venv_python("tf14")), CELLS, Dims())


def test_tf14_cells_are_answered_from_their_call(static: list[SymbolResult]) -> None:
    by = {s.symbol: s for s in static}
    gru = by["tf.nn.rnn_cell.GRUCell"]
    assert gru.status == "resolved", gru.message
    w = {x.name: x for x in gru.weights}
    assert list(w) == ["gates/kernel", "gates/bias", "candidate/kernel", "candidate/bias"]
    # candidate's input is [inputs, r * state]: its width comes through split and multiply
    assert w["candidate/kernel"].shape == [32 + 64, 64]
    assert w["gates/kernel"].initializer.kind == "glorot_uniform"
    assert w["gates/kernel"].fallback
    assert (w["gates/bias"].initializer.kind, w["gates/bias"].initializer.params) == (
        "constant", {"value": 1.0})
    assert w["candidate/bias"].initializer.params == {"value": 0.0}
    hops = w["gates/kernel"].provenance
    assert hops[0].note == "__init__: creates 'gates/kernel' with initializer=kernel_initializer"
    assert hops[1].code.startswith('with vs.variable_scope("gates"):')
    assert hops[1].note == "call: variable_scope 'gates' names the variables created in it"
    proj = by["tf.nn.rnn_cell.LSTMCell[use_peepholes=True,num_proj=16]"]
    pw = {x.name: x.shape for x in proj.weights}
    assert pw == {"kernel": [32 + 16, 256], "bias": [256], "w_f_diag": [64], "w_i_diag": [64],
                  "w_o_diag": [64], "projection/kernel": [64, 16]}


def test_tf14_cells_agree_with_tensorflow_1_4(static: list[SymbolResult]) -> None:
    run = verify_interpreter(venv_python("tf14"), static, Dims(), timeout=600)
    assert run.error is None, run.error
    assert run.tensorflow == "1.4.1"
    assert run.summary["disagree"] == 0 and run.summary["inconclusive"] == 0, describe(run)
    assert run.summary["agree"] == sum(len(s.weights) for s in static) == 16
    for s in run.symbols:
        assert s.status == "ok" and s.file_agrees is True, (s.symbol, s.message)
    lstm = next(s for s in run.symbols if s.symbol == "tf.nn.rnn_cell.BasicLSTMCell")
    bias = next(x for x in lstm.weights if x.name == "bias")
    adj = next(c for c in bias.evidence["checks"] if c["check"] == "runtime_adjustment")
    assert adj["passed"] is True and adj["observed"] == pytest.approx(1.0, abs=1e-4)
