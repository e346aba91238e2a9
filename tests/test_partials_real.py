"""Symbols of real releases the analysis used to leave without concrete shapes or built with
nothing (issue 9: every weight-creating layer resolved with concrete shapes), each answer
written by hand from the release's own source.

Network tests: they fail (not skip) when PyPI is unreachable.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from release_results import results as _results

from tfinit_audit.sources import SourceContext

pytestmark = [pytest.mark.network, pytest.mark.slow]


@pytest.fixture(scope="module")
def analysis_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("analysis")


def test_tf244_auc_state_sized_by_a_dimension(real_ctx: SourceContext,
                                               analysis_cache: Path) -> None:
    # tensorflow/python/keras/metrics.py: AUC(num_thresholds=200) calls self._build(None),
    # which makes its four counters of TensorShape([tensor_shape.Dimension(num_thresholds)])
    # with init_ops.zeros_initializer
    auc = _results(real_ctx, analysis_cache, "2.4.4", "tf.metrics.AUC")["tf.metrics.AUC"]
    assert auc.status == "resolved"
    assert [(w.name, w.shape, w.initializer.kind) for w in auc.weights] == [
        (n, [200], "zeros") for n in ("true_positives", "true_negatives", "false_positives",
                                      "false_negatives")]


def test_tf244_normalization_state_over_sorted_axes(real_ctx: SourceContext,
                                                    analysis_cache: Path) -> None:
    # tensorflow/python/keras/layers/preprocessing/normalization.py: build sorts its axis
    # (-1) with key=lambda a: a if a >= 0 else ndim + a, then sizes mean and variance by
    # the input's dimension on each axis (32); count is a scalar
    name = "tf.keras.layers.experimental.preprocessing.Normalization"
    norm = _results(real_ctx, analysis_cache, "2.4.4", name)[name]
    assert norm.status == "resolved"
    assert [(w.name, w.shape, w.initializer.kind) for w in norm.weights] == [
        ("mean", [32], "zeros"), ("variance", [32], "ones"), ("count", [], "zeros")]


def test_tf244_v2_cell_wrappers_wrap_the_keras_cell(real_ctx: SourceContext,
                                                    analysis_cache: Path) -> None:
    # tensorflow/python/keras/layers/rnn_cell_wrapper_v2.py: tf.nn.RNNCell*Wrapper(cell) in a
    # namespace without LSTMCell: the table's next namespace, tf.keras.layers; DeviceWrapper
    # also takes the table's device. DropoutWrapper's constructor refuses a Keras LSTMCell
    # (real TF 2.4.4 raises): it needs another cell (tests/test_refused_inputs_real.py)
    names = [f"tf.nn.RNNCell{w}Wrapper" for w in ("Dropout", "Residual", "Device")]
    r = _results(real_ctx, analysis_cache, "2.4.4", *names)
    dropout = r.pop("tf.nn.RNNCellDropoutWrapper")
    assert (dropout.status, dropout.missing_arguments) == ("needs-args", ["cell"])
    for name in names[1:]:
        assert r[name].status == "resolved", (name, r[name].message)
        cell = next(a for a in r[name].arguments if a.name == "cell")
        assert cell.value["symbol"] == "tf.keras.layers.LSTMCell"
        assert cell.value["note"].startswith("tf.nn has no LSTMCell")
        assert [(w.name, w.shape, w.initializer.kind) for w in r[name].weights] == [
            ("kernel", [32, 256], "glorot_uniform"), ("recurrent_kernel", [64, 256], "orthogonal"),
            ("bias", [256], "composite")]
    device = r["tf.nn.RNNCellDeviceWrapper"].arguments
    assert [(a.name, a.value, a.source) for a in device if a.name == "device"] == [
        ("device", "/cpu:0", "table")]


def test_tf18_projection_wrappers_take_their_sizes_from_the_table(
        real_ctx: SourceContext, analysis_cache: Path) -> None:
    # tensorflow/contrib/rnn/python/ops/core_rnn_cell.py: OutputProjectionWrapper(cell,
    # output_size) projects the LSTMCell's 64 outputs to output_size (= units, 64) with
    # _Linear (kernel, bias constant 0.0); InputProjectionWrapper(cell, num_proj) projects
    # the 32 inputs to num_proj (16) before the cell ([16 + 64, 256])
    r = _results(real_ctx, analysis_cache, "1.8.0", "tf.contrib.rnn.OutputProjectionWrapper",
                 "tf.contrib.rnn.InputProjectionWrapper")
    out = r["tf.contrib.rnn.OutputProjectionWrapper"]
    assert out.status == "resolved", out.message
    assert [(w.name, w.shape, w.initializer.kind) for w in out.weights] == [
        ("lstm_cell/kernel", [96, 256], "glorot_uniform"), ("lstm_cell/bias", [256], "zeros"),
        ("kernel", [64, 64], "glorot_uniform"), ("bias", [64], "constant")]
    inp = r["tf.contrib.rnn.InputProjectionWrapper"]
    assert inp.status == "resolved", inp.message
    assert [(w.name, w.shape) for w in inp.weights] == [
        ("kernel", [32, 16]), ("bias", [16]), ("lstm_cell/kernel", [80, 256]),
        ("lstm_cell/bias", [256])]
    assert [(a.name, a.value, a.source) for a in inp.arguments if a.name == "num_proj"] == [
        ("num_proj", 16, "table")]


@pytest.mark.parametrize(("version", "kernel"), [("1.15.5", "glorot_uniform"),
                                               ("2.2.0", "zeros")])
def test_linear_model_builds_one_dense_on_a_tensor_shape(
        version: str, kernel: str, real_ctx: SourceContext, analysis_cache: Path) -> None:
    # tensorflow/python/keras/premade/linear.py: LinearModel(units=1).build is not decorated
    # with tf_utils.shape_type_conversion, so Keras hands it a TensorShape: not a list (1.15)
    # nor a tuple or list (2.2), so one Dense(units=1, input_shape=input_shape), made in build
    # and built when call calls it on the input ([None, 32]): kernel [32, 1] of the
    # kernel_initializer default ('glorot_uniform' in 1.15, 'zeros' in 2.2); bias of shape
    # units (1) zeros
    name = "tf.keras.experimental.LinearModel"
    lm = _results(real_ctx, analysis_cache, version, name)[name]
    assert lm.status == "resolved", lm.message
    assert sorted((w.name, w.shape, w.initializer.kind) for w in lm.weights) == [
        ("bias", [1], "zeros"), ("dense_layers/0/kernel", [32, 1], kernel)]
