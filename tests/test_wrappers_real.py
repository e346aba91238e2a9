"""TF 1.4.1 ``TimeDistributed`` from the real wheel on the package index
(rules/inner_raises.py, rules/shapes.py).

Known answer, read from the 1.4.1 source (``tensorflow/python/keras/_impl/keras/layers/``):
``wrappers.py`` ``TimeDistributed.build`` hands its layer ``child_input_shape =
[input_shape[0]] + input_shape[2:]`` (a list); ``recurrent.py`` ``LSTM.build`` starts with
``if isinstance(input_shape, list): input_shape = input_shape[0]`` and then
``tensor_shape.TensorShape(input_shape).as_list()``, which raises ValueError for the batch size
None -- so the table's first choice (LSTM) cannot be built inside it and the next one (Dense)
is: ``kernel`` ``[32, 64]`` glorot_uniform, ``bias`` ``[64]`` zeros. (Checked in real TF
1.4.1: ``TimeDistributed(LSTM(64)).build(...)`` raises that ValueError, and the Dense answer
agrees live.) 1.8's decorated ``RNN.build`` raises the same way (its
``shape_type_conversion`` wrapper reads the list; tests/test_live_time_distributed.py);
1.12.3 builds ``TimeDistributed(LSTM)`` and keeps LSTM.

Network tests: they fail (not skip) when PyPI is unreachable.
"""

from __future__ import annotations

import pytest

from tfinit_audit.analysis.audit import analyze
from tfinit_audit.analysis.model import Dims, SymbolResult
from tfinit_audit.analysis.symbols import parse_symbol
from tfinit_audit.sources import SourceContext, open_tree

pytestmark = [pytest.mark.network, pytest.mark.slow]

RECURRENT = "tensorflow/python/keras/_impl/keras/layers/recurrent.py"


def _analyse(ctx: SourceContext, version: str, name: str,
             tmp: pytest.TempPathFactory) -> SymbolResult:
    tree = open_tree("pypi", version, ctx=ctx)
    [r] = analyze(tree, [parse_symbol(name)], Dims(), cache_dir=tmp.mktemp("analysis"))
    return r


@pytest.mark.parametrize("name", ["tf.contrib.keras.layers.TimeDistributed",
                                  "tf.keras.layers.TimeDistributed"])
def test_time_distributed_of_1_4_wraps_dense_because_lstm_cannot_be_built_in_it(
        real_ctx: SourceContext, tmp_path_factory: pytest.TempPathFactory, name: str) -> None:
    r = _analyse(real_ctx, "1.4.1", name, tmp_path_factory)
    assert r.status == "resolved", r.message
    [arg] = r.arguments
    assert arg.name == "layer" and arg.value["symbol"].endswith("layers.Dense")
    note = arg.value["note"]
    assert note.startswith("LSTM: its build raises ValueError: as_list() is not defined on an "
                           f"unknown TensorShape. ({RECURRENT}:")
    assert note.endswith("on every input TimeDistributed.build hands it; Dense instead")
    assert {w.name: (w.shape, w.initializer.kind) for w in r.weights} == {
        "layer/kernel": ([32, 64], "glorot_uniform"), "layer/bias": ([64], "zeros")}


def test_time_distributed_of_1_8_wraps_dense_too(real_ctx: SourceContext,
                                                tmp_path_factory: pytest.TempPathFactory) -> None:
    # 1.8's RNN.build is decorated with shape_type_conversion, whose wrapper reads the list
    # TimeDistributed.build hands it as 1.4 does and raises (engine/decorators.py runs it)
    r = _analyse(real_ctx, "1.8.0", "tf.keras.layers.TimeDistributed", tmp_path_factory)
    assert r.status == "resolved", r.message
    [arg] = r.arguments
    assert arg.value["symbol"].endswith("layers.Dense")
    assert arg.value["note"].startswith("LSTM: its build raises ValueError")
    assert {w.name: w.shape for w in r.weights} == {"layer/kernel": [32, 64], "layer/bias": [64]}


def test_time_distributed_of_1_12_keeps_lstm(real_ctx: SourceContext,
                                             tmp_path_factory: pytest.TempPathFactory) -> None:
    r = _analyse(real_ctx, "1.12.3", "tf.keras.layers.TimeDistributed", tmp_path_factory)
    assert r.status == "resolved", r.message
    assert r.arguments[0].value["symbol"].endswith("layers.LSTM")
    assert {w.name: w.shape for w in r.weights} == {
        "layer/kernel": [32, 256], "layer/recurrent_kernel": [64, 256], "layer/bias": [256]}
