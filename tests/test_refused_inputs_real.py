"""TF 1.x ``tf.contrib.rnn.HighwayWrapper`` (1.8-1.15), whose TensorFlow refuses the table's
input: ``_highway`` returns ``inp * carry + out * transform``, ``out`` the wrapped
``LSTMCell(num_units=64)``'s output ``[batch, 64]`` and ``transform`` ``1 - carry`` of the
input's width -- with 32 features the graph's shape inference raises ``ValueError: Dimensions
must be equal, but are 64 and 32``. The analysis builds it on the 64 features the refusal asks
for (analysis/refused_inputs.py); on an input the user gave it says what TensorFlow refuses.
Answers written by hand from ``contrib/rnn/python/ops/rnn_cell.py`` of 1.15.5: the LSTM
cell's kernel is ``[64 + 64, 4 * 64]``, ``carry_w`` ``[input_size, input_size]`` (glorot
through ``get_variable``'s scope default), ``carry_b`` ``constant(carry_bias_init=1.0)``.

``tf.compat.v1.nn.rnn_cell.ResidualWrapper`` (TF 2.4.4, 2.15.1) likewise: ``inp + out`` of the
table's 32 features and the wrapped cell's 64 (real TF raises ``Shapes (2, 32) and (2, 64) are
incompatible``), so it is built on 64 features.

Network tests fail (not skip) when PyPI is unreachable; the live ones build the cell in the
tf115, tf112, tf18, tf24 and tf215 virtualenvs (scripts/setup-test-envs.sh)."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_live_e2e import describe, venv_python

from tfinit_audit.analysis.audit import analyze
from tfinit_audit.analysis.model import Dims, SymbolResult
from tfinit_audit.analysis.symbols import parse_symbol
from tfinit_audit.live.verify import verify_interpreter
from tfinit_audit.sources import SourceContext, open_tree
from tfinit_audit.sources.local import open_installed

HIGHWAY = "tf.contrib.rnn.HighwayWrapper"
RESIDUAL = "tf.compat.v1.nn.rnn_cell.ResidualWrapper"
CELLS = "tensorflow_core/contrib/rnn/python/ops/rnn_cell.py"


def _highway(ctx: SourceContext, cache: Path, dims: Dims) -> SymbolResult:
    tree = open_tree("pypi", "1.15.5", ctx=ctx)
    [r] = analyze(tree, [parse_symbol(HIGHWAY)], dims, cache_dir=cache)
    return r


@pytest.mark.network
@pytest.mark.slow
def test_tf115_highway_is_built_on_the_width_its_refusal_asks_for(
        real_ctx: SourceContext, tmp_path: Path) -> None:
    r = _highway(real_ctx, tmp_path, Dims())
    assert r.status == "resolved", r.message
    assert r.input_shape == [None, 64]
    w = {x.name: x for x in r.weights}
    assert [(n, x.shape, x.initializer.kind) for n, x in w.items()] == [
        ("lstm_cell/kernel", [128, 256], "glorot_uniform"), ("lstm_cell/bias", [256], "zeros"),
        ("carry_w", [64, 64], "glorot_uniform"), ("carry_b", [64], "constant")]
    assert w["carry_b"].initializer.params == {"value": 1.0}
    assert r.input_note is not None and r.input_note.startswith(
        f"input of 64 features, not the table's 32: with 32, `out * transform` ({CELLS}:")
    assert "raises ValueError: Dimensions must be equal, but are 64 and 32" in r.input_note


@pytest.mark.network
@pytest.mark.slow
def test_tf115_highway_on_an_input_the_user_gave_is_refused(
        real_ctx: SourceContext, tmp_path: Path) -> None:
    r = _highway(real_ctx, tmp_path, Dims(input_dim=16))
    assert (r.status, r.missing_arguments, r.weights) == ("needs-args", ["features"], [])
    assert r.message is not None
    assert r.message.startswith("TensorFlow refuses the input of 16 features: `out * "
                                f"transform` ({CELLS}:")
    assert "give an input of 64 features (--input-dim 64" in r.message


@pytest.mark.live
@pytest.mark.slow
@pytest.mark.parametrize(("venv", "release", "symbol", "weights"), [
    ("tf115", "1.15.5", HIGHWAY, 4), ("tf112", "1.12.3", HIGHWAY, 4), ("tf18", "1.8.0", HIGHWAY, 4),
    ("tf24", "2.4.4", RESIDUAL, 2), ("tf215", "2.15.1", RESIDUAL, 2)])
def test_on_the_derived_input_the_weights_agree_with_tensorflow(
        venv: str, release: str, symbol: str, weights: int) -> None:
    python = venv_python(venv)
    static = analyze(open_installed(python), [parse_symbol(symbol)], Dims())
    assert static[0].input_shape == [None, 64], static[0].input_note
    run = verify_interpreter(python, static, Dims(), timeout=600)
    assert run.error is None, run.error
    assert run.tensorflow == release
    assert run.summary == {"agree": weights, "disagree": 0, "inconclusive": 0}, describe(run)


@pytest.mark.network
@pytest.mark.slow
def test_tf24_dropout_wrapper_refuses_the_tables_keras_lstm_cell(
        real_ctx: SourceContext, tmp_path: Path) -> None:
    # TF 2.4.4 rnn_cell_wrapper_v2.DropoutWrapper.__init__(self, *args, **kwargs) raises
    # "keras LSTM cell does not work with DropoutWrapper" for the table's Keras LSTMCell (real
    # TF 2.4.4 raises it too): the symbol needs another cell; a GRUCell is built
    tree = open_tree("pypi", "2.4.4", ctx=real_ctx)
    spec = parse_symbol("tf.nn.RNNCellDropoutWrapper")
    [r] = analyze(tree, [spec], Dims(), cache_dir=tmp_path)
    assert (r.status, r.missing_arguments, r.weights) == ("needs-args", ["cell"], [])
    assert "ValueError: keras LSTM cell does not work with DropoutWrapper" in (r.message or "")
    assert "tensorflow/python/keras/layers/rnn_cell_wrapper_v2.py:105" in (r.message or "")
    [gru] = analyze(tree, [spec], Dims(given={"cell": "GRUCell"}), cache_dir=tmp_path)
    assert gru.status == "resolved", gru.message
    assert [(w.name, w.shape) for w in gru.weights] == [
        ("kernel", [32, 192]), ("recurrent_kernel", [64, 192]), ("bias", [2, 192])]


@pytest.mark.network
@pytest.mark.slow
@pytest.mark.parametrize(("release", "wrappers"), [
    ("2.4.4", "tensorflow/python/keras/layers/legacy_rnn/rnn_cell_wrapper_impl.py"),
    ("2.15.1", "keras/src/layers/rnn/legacy_cell_wrappers.py")])
def test_residual_wrapper_is_built_on_the_width_its_refusal_asks_for(
        real_ctx: SourceContext, tmp_path: Path, release: str, wrappers: str) -> None:
    # ``inp + out`` of the table's 32 features and the wrapped LSTMCell(num_units=64)'s
    # output: TensorFlow refuses it. Keras' Layer.__call__ reaches the cell's ``call`` through
    # ``call_fn = self.call`` in either arm of ``if eager:`` (2.4.4), gives the same outputs
    # from either arm of ``if build_graph:`` (2.15.1, whose call signature is read through a
    # ``typing.NamedTuple`` of tf_export), and ``nest.map_structure(fn, inputs, outputs)``
    # pairs the two; asked alone, as in any batch
    tree = open_tree("pypi", release, ctx=real_ctx)
    [r] = analyze(tree, [parse_symbol(RESIDUAL)], Dims(), cache_dir=tmp_path)
    assert r.status == "resolved", r.message
    assert r.input_shape == [None, 64]
    assert [(w.name, w.shape, w.initializer.kind) for w in r.weights] == [
        ("lstm_cell/kernel", [128, 256], "glorot_uniform"), ("lstm_cell/bias", [256], "zeros")]
    assert r.input_note is not None and r.input_note.startswith(
        f"input of 64 features, not the table's 32: with 32, `inp + out` ({wrappers}:")
