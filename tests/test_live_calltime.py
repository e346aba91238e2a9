"""Cells that create their variables when called (TF 0.12: ``_linear`` in ``__call__``; 1.2:
``_linear`` in ``call``; 1.4: ``_Linear`` under variable scopes) and cells of ``tf.contrib.rnn``
(1.15), answered from the installed release's files and checked by building them in that
TensorFlow (the tf012, tf12, tf14 and tf115 virtualenvs of scripts/setup-test-envs.sh). The
expected answers are tests/known_answers.py, written by hand from each release's source."""

from __future__ import annotations

import pytest
from known_answers import KNOWN, LAYER_FORGET_BIAS, assert_known, specs
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


@pytest.mark.parametrize(("venv", "release"), [
    ("tf012", "0.12.1"), ("tf12", "1.2.1"), ("tf14", "1.4.1"), ("tf115", "1.15.5")])
def test_known_answers_agree_with_tensorflow(venv: str, release: str) -> None:
    table = KNOWN[release]
    python = venv_python(venv)
    static = analyze(open_installed(python), specs(table), Dims())
    assert_known(static, table)  # the installed files give the answers read from the source
    run = verify_interpreter(python, static, Dims(), timeout=600)
    assert run.error is None, run.error
    assert run.tensorflow == release
    assert run.summary["disagree"] == 0 and run.summary["inconclusive"] == 0, describe(run)
    assert run.summary["agree"] == sum(len(w) for w in table.values())
    for s, (name, weights) in zip(run.symbols, table.items(), strict=True):
        assert s.status == "ok" and s.file_agrees is True, (s.symbol, s.message)
        for lw in s.weights:
            checks = {c["check"]: c for c in lw.evidence["checks"]}
            assert checks["shape"]["passed"] is True, (name, lw.name)
            adj = checks.get("runtime_adjustment")
            if weights[lw.name].forget_bias is not None and name not in LAYER_FORGET_BIAS:
                # all weights zero, c_prev = 1: the new c shows the forget gate's bias
                assert adj is not None and adj["passed"] is True, (name, lw.name, adj)
                assert adj["observed"] == pytest.approx(weights[lw.name].forget_bias, abs=1e-4)
