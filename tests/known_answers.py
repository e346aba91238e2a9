"""Known answers for cells that create their variables when called (TF 0.12, 1.2, 1.4) and for
cells of ``tf.contrib.rnn`` (TF 1.15), written by hand from each release's own source.

Dims are the defaults (units 64, input 32). What each table says, and where it comes from:

0.12.1 -- ``tensorflow/python/ops/rnn_cell.py``: every cell's ``__call__`` opens
``variable_scope(scope or type(self).__name__)``; ``_linear`` creates ``Linear/Matrix``
``[total_arg_size, output_size]`` with no initializer and ``Linear/Bias`` with
``constant_initializer(bias_start)`` (0.0; GRUCell's gates pass 1.0). ``LSTMCell`` creates
``W_0`` (``_get_concat_variable("W", [input + num_proj, 4 * units])``, one shard), ``B`` with
``init_ops.zeros_initializer`` (the function itself) and the peepholes ``W_F_diag``/``W_I_diag``/
``W_O_diag``; the projection is ``W_P_0`` ``[units, num_proj]``. A variable without an
initializer gets ``_get_single_variable``'s ``init_ops.uniform_unit_scaling_initializer()``
(``variable_scope.py``): factor 1.0, U(-limit, limit) with limit = sqrt(3 / input_size) and
input_size the product of every dimension but the last (1 for a vector, limit sqrt(3)). No None
is involved in the biases: they are not fallbacks. ``forget_bias`` (1.0) is added to ``f`` in
``__call__``.

1.2.1 / 1.4.1 -- ``tensorflow/python/ops/rnn_cell_impl.py``: the cells' ``call`` uses
``_linear`` (1.2) / ``_Linear`` (1.4) under the layer's scope: ``kernel`` with
``initializer=kernel_initializer`` (None) and ``bias`` with ``if bias_initializer is None:
bias_initializer = init_ops.constant_initializer(0.0)``; GRUCell's gates first pick
``constant_initializer(1.0)`` when its ``bias_initializer`` is None. ``LSTMCell`` runs
``_linear`` under ``variable_scope(scope, initializer=self._initializer)`` (None), peepholes
``w_f_diag``... and ``projection/kernel``. ``VariableScope._get_default_initializer`` gives
``glorot_uniform_initializer()`` to a float variable without one: limit sqrt(6 / (fan_in +
fan_out)), a vector's fans both its length. Kernels and biases all come from None-means-default
rules: fallbacks.

1.15.5 -- ``tensorflow_core/contrib/rnn/python/ops``: ``LayerNormBasicLSTMCell`` (rnn_cell.py)
creates ``kernel`` ``[input + units, 4 * units]`` with no initializer and, layer_norm being on,
no bias but ``gamma``/``beta`` ``constant_initializer(norm_gain=1.0 / norm_shift=0.0)`` under
scopes input, transform, forget, output, state. ``LSTMBlockCell`` (lstm_ops.py) builds
``kernel`` (no initializer) and ``bias`` ``constant_initializer(0.0)``, and hands
``forget_bias=self._forget_bias`` (1.0) to the fused op. ``CoupledInputForgetGateLSTMCell``
(rnn_cell.py) makes ``W_0`` ``[input + units, 3 * units]`` (its ``initializer`` argument is
stored and never used) and ``B`` ``zeros_initializer()``, and adds ``forget_bias`` to ``f``.
``IndRNNCell`` builds ``kernel_w`` ``[input, units]`` (no initializer), ``kernel_u`` ``[1,
units]`` ``random_uniform_initializer(-1, 1)`` and ``bias`` ``zeros_initializer()``. The
no-initializer variables get ``glorot_uniform`` from ``_get_default_initializer``.

1.15.5 -- ``tensorflow_core/contrib/layers/python/layers/layers.py``: ``fully_connected``,
``conv2d_transpose`` and ``separable_conv2d`` build a ``tf.layers`` layer inside
``variable_scope(scope, default_name, custom_getter=_build_variable_getter({'bias': 'biases',
'kernel': 'weights'}))`` (``separable_conv2d``: also ``depthwise_kernel``/``pointwise_kernel``
to ``depthwise_weights``/``pointwise_weights``): ``_model_variable_getter`` renames the last name
component before ``variables.model_variable`` hands it to the store. ``weights_initializer``
defaults to ``initializers.xavier_initializer()`` = ``variance_scaling_initializer(factor=1.0,
mode='FAN_AVG', uniform=True)``, whose nested function draws ``random_uniform(shape, -limit,
limit)`` with limit = sqrt(3 * factor / n), n the mean of fan_in = shape[-2] and fan_out =
shape[-1], both times the receptive field: 0.25 for [32, 64], 1/12 for [3, 3, 64, 32]
(n = (576 + 288) / 2). ``biases_initializer=init_ops.zeros_initializer()``;
``pointwise_initializer=None`` becomes ``weights_initializer`` (a fallback).
``model_pruning.masked_fully_connected`` (model_pruning/python/layers/layers.py) does the same
with ``MaskedFullyConnected``, which adds ``mask`` (``init_ops.ones_initializer()``) and
``threshold`` (``zeros_initializer()``, shape ``[]``).
``tensorflow_core/contrib/grid_rnn/python/ops/grid_rnn_cell.py``: ``GridRNNCell.__call__``
opens ``variable_scope(type(self).__name__)``; ``_project_input`` creates ``project_m_{j}``
(and ``project_c_{j}`` when the inner cell's state is (c, h)) ``[input, units]`` with no
initializer (glorot_uniform); ``_propagate`` runs each recurrent dimension's cell under
``recurrent/cell_{i}`` on the concatenation of the other dimensions' outputs (num_dims - 1
times units wide) and its own state: ``Grid2LSTMCell``'s ``LSTMCell`` kernels are [64 + 64,
256], its biases ``zeros_initializer``; ``Grid2GRUCell``'s ``GRUCell`` makes gates/candidate
as in ``rnn_cell_impl``; ``Grid1BasicRNNCell``'s input to the cell is zero wide ([0 + 64, 64]).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pytest

from tfinit_audit.analysis.model import SymbolResult
from tfinit_audit.analysis.symbols import DEFAULT_SYMBOLS, SymbolSpec, parse_symbol

GLOROT = {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}


@dataclass(frozen=True)
class Known:
    shape: list[int]
    kind: str
    params: dict[str, Any]
    limit: float | None
    fallback: bool
    forget_bias: float | None = None  # the runtime adjustment this weight carries


def glorot(shape: list[int]) -> Known:
    fan_in, fan_out = (shape[0], shape[0]) if len(shape) == 1 else (shape[0], shape[1])
    return Known(shape, "glorot_uniform", GLOROT, math.sqrt(6 / (fan_in + fan_out)), True)


def uus(shape: list[int]) -> Known:
    """0.12's uniform_unit_scaling_initializer(): sqrt(3 / product of all dims but the last)."""
    return Known(shape, "uniform_unit_scaling", {"factor": 1.0},
                 math.sqrt(3 / math.prod(shape[:-1])), True)


def const(shape: list[int], value: float, fallback: bool,
          forget_bias: float | None = None) -> Known:
    return Known(shape, "constant", {"value": value}, None, fallback, forget_bias)


def zeros(shape: list[int], forget_bias: float | None = None) -> Known:
    return Known(shape, "zeros", {}, None, False, forget_bias)


PEEP = "tf.nn.rnn_cell.LSTMCell[use_peepholes=True,num_proj=16]"

TF012: dict[str, dict[str, Known]] = {
    "tf.nn.rnn_cell.BasicRNNCell": {
        "BasicRNNCell/Linear/Matrix": uus([96, 64]),
        "BasicRNNCell/Linear/Bias": const([64], 0.0, False)},
    "tf.nn.rnn_cell.BasicLSTMCell": {
        "BasicLSTMCell/Linear/Matrix": uus([96, 256]),
        "BasicLSTMCell/Linear/Bias": const([256], 0.0, False, forget_bias=1.0)},
    "tf.nn.rnn_cell.LSTMCell": {
        "LSTMCell/W_0": uus([96, 256]),
        "LSTMCell/B": zeros([256], forget_bias=1.0)},
    PEEP: {
        "LSTMCell/W_0": uus([48, 256]),
        "LSTMCell/B": zeros([256], forget_bias=1.0),
        "LSTMCell/W_F_diag": uus([64]), "LSTMCell/W_I_diag": uus([64]),
        "LSTMCell/W_O_diag": uus([64]),
        "LSTMCell/W_P_0": uus([64, 16])},
    "tf.nn.rnn_cell.GRUCell": {
        "GRUCell/Gates/Linear/Matrix": uus([96, 128]),
        "GRUCell/Gates/Linear/Bias": const([128], 1.0, False),
        "GRUCell/Candidate/Linear/Matrix": uus([96, 64]),
        "GRUCell/Candidate/Linear/Bias": const([64], 0.0, False)},
    "tf.get_variable": {"v": uus([32, 64])},
}

_TF1_CELLS: dict[str, dict[str, Known]] = {
    "tf.nn.rnn_cell.BasicRNNCell": {
        "kernel": glorot([96, 64]), "bias": const([64], 0.0, True)},
    "tf.nn.rnn_cell.BasicLSTMCell": {
        "kernel": glorot([96, 256]), "bias": const([256], 0.0, True, forget_bias=1.0)},
    "tf.nn.rnn_cell.LSTMCell": {
        "kernel": glorot([96, 256]), "bias": const([256], 0.0, True, forget_bias=1.0)},
    PEEP: {
        "kernel": glorot([48, 256]), "bias": const([256], 0.0, True, forget_bias=1.0),
        "w_f_diag": glorot([64]), "w_i_diag": glorot([64]), "w_o_diag": glorot([64]),
        "projection/kernel": glorot([64, 16])},
    "tf.nn.rnn_cell.GRUCell": {
        "gates/kernel": glorot([96, 128]), "gates/bias": const([128], 1.0, True),
        "candidate/kernel": glorot([96, 64]), "candidate/bias": const([64], 0.0, True)},
    "tf.get_variable": {"v": glorot([32, 64])},
}
TF121 = _TF1_CELLS
TF141 = _TF1_CELLS

_NORMS = ("input", "transform", "forget", "output", "state")
TF1155_CONTRIB: dict[str, dict[str, Known]] = {
    "tf.contrib.rnn.LayerNormBasicLSTMCell": {
        "kernel": glorot([96, 256]),
        **{f"{n}/{p}": const([64], v, False) for n in _NORMS
           for p, v in (("gamma", 1.0), ("beta", 0.0))}},
    "tf.contrib.rnn.LSTMBlockCell": {
        "kernel": glorot([96, 256]), "bias": const([256], 0.0, False, forget_bias=1.0)},
    "tf.contrib.rnn.CoupledInputForgetGateLSTMCell": {
        "W_0": glorot([96, 192]), "B": zeros([192], forget_bias=1.0)},
    "tf.contrib.rnn.IndRNNCell": {
        "kernel_w": glorot([32, 64]),
        "kernel_u": Known([1, 64], "random_uniform", {"minval": -1, "maxval": 1}, 1.0, False),
        "bias": zeros([64])},
}



def uniform(shape: list[int], limit: float, fallback: bool = False) -> Known:
    return Known(shape, "random_uniform", {"minval": -limit, "maxval": limit}, limit, fallback)


GRID_LSTM = {**{f"Grid2LSTMCell/project_{p}_0": glorot([32, 64]) for p in ("m", "c")},
             **{f"Grid2LSTMCell/recurrent/cell_{i}/lstm_cell/{n}": k for i in (1, 0)
                for n, k in (("kernel", glorot([128, 256])), ("bias", zeros([256])))}}
GRID_GRU = {"Grid2GRUCell/project_m_0": glorot([32, 64]),
            **{f"Grid2GRUCell/recurrent/cell_{i}/gru_cell/{n}": k for i in (1, 0)
               for n, k in (("gates/kernel", glorot([128, 128])),
                            ("gates/bias", const([128], 1.0, True)),
                            ("candidate/kernel", glorot([128, 64])),
                            ("candidate/bias", Known([64], "zeros", {}, None, True)))}}
TF1155_CONTRIB.update({
    "tf.contrib.layers.fully_connected": {
        "fully_connected/weights": uniform([32, 64], math.sqrt(3 / 48)),
        "fully_connected/biases": zeros([64])},
    "tf.contrib.layers.conv2d_transpose": {
        "Conv2d_transpose/weights": uniform([3, 3, 64, 32], math.sqrt(3 / 432)),
        "Conv2d_transpose/biases": zeros([64])},
    "tf.contrib.layers.separable_conv2d": {
        "SeparableConv2d/depthwise_weights": uniform([3, 3, 32, 1], math.sqrt(3 / 148.5)),
        "SeparableConv2d/pointwise_weights": uniform([1, 1, 32, 64], math.sqrt(3 / 48), True),
        "SeparableConv2d/biases": zeros([64])},
    "tf.contrib.model_pruning.masked_fully_connected": {
        "fully_connected/weights": uniform([32, 64], math.sqrt(3 / 48)),
        "fully_connected/mask": Known([32, 64], "ones", {}, None, False),
        "fully_connected/threshold": zeros([]),
        "fully_connected/biases": zeros([64])},
    "tf.contrib.grid_rnn.Grid2LSTMCell": GRID_LSTM,
    "tf.contrib.grid_rnn.Grid2GRUCell": GRID_GRU,
    "tf.contrib.grid_rnn.Grid1BasicRNNCell": {
        "Grid1BasicRNNCell/project_m_0": glorot([32, 64]),
        "Grid1BasicRNNCell/recurrent/cell_0/basic_rnn_cell/kernel": glorot([64, 64]),
        "Grid1BasicRNNCell/recurrent/cell_0/basic_rnn_cell/bias": zeros([64])},
})
# forget_bias of a layer whose adjustment is not on one of the weights above (layer-normed
# gates: the bias is added after normalization)
LAYER_FORGET_BIAS = {"tf.contrib.rnn.LayerNormBasicLSTMCell": 1.0}

KNOWN = {"0.12.1": TF012, "1.2.1": TF121, "1.4.1": TF141, "1.15.5": TF1155_CONTRIB}


def specs(table: dict[str, dict[str, Known]]) -> list[SymbolSpec]:
    """The specs a table answers: the default set's own (with their twins) where it has one."""
    out = []
    for name in table:
        spec = parse_symbol(name)
        out.append(next((s for s in DEFAULT_SYMBOLS
                         if s.name == spec.name and s.args == spec.args), spec))
    return out


def assert_known(results: list[SymbolResult], table: dict[str, dict[str, Known]]) -> None:
    """Every symbol resolved, with exactly the table's weights: shape, kind, parameters,
    limit, fallback and the forget bias the weight carries."""
    assert [r.twin or r.symbol for r in results] == list(table), [r.symbol for r in results]
    for r, (name, weights) in zip(results, table.items(), strict=True):
        assert r.status == "resolved", (name, r.status, r.message)
        got = {w.name: w for w in r.weights}
        assert list(got) == list(weights), (name, list(got))
        for wname, k in weights.items():
            w = got[wname]
            where = (name, wname)
            assert (w.shape, w.initializer.kind, w.initializer.params, w.fallback) == (
                k.shape, k.kind, k.params, k.fallback), where
            if k.limit is None:
                assert w.initializer.limit is None, where
            else:
                assert w.initializer.limit == pytest.approx(k.limit), where
            fb = [a.value for a in w.runtime_adjustments if a.kind == "forget_bias"]
            if k.forget_bias is not None:
                assert fb == [k.forget_bias], where
            elif name not in LAYER_FORGET_BIAS:
                assert fb == [], where
        if name in LAYER_FORGET_BIAS:
            assert r.facts["forget_bias"]["value"] == LAYER_FORGET_BIAS[name]
