"""TF 1.15.5 ``tf.contrib`` answers from the real wheel on the package index: initial values
that are expressions of initializers (rules/expressions.py), a cell called on a tuple
(rules/tuple_inputs.py), a function called on the rank its layer declares before its build
(rules/inputs.py ``BuildRanks``) and defaults ``None`` that Python refuses
(analysis/refused_defaults.py).

Known answers, read from the 1.15.5 source (``tensorflow_core/contrib/...``):

- ``layers/python/layers/layers.py`` ``GDN``: ``reparam_offset=2**-18``, ``pedestal =
  reparam_offset**2``; ``reparam_beta`` = ``sqrt(ones(shape) + pedestal)`` (a constant,
  ``sqrt(1 + 2**-36)``), ``reparam_gamma`` = ``sqrt(gamma_init * eye(n) + pedestal)`` with
  ``gamma_init=.1``; ``__init__`` declares ``InputSpec(min_ndim=3, max_ndim=5)``, ``build``
  re-declares ``InputSpec(ndim=input_shape.ndims)``. The function ``gdn(inputs)`` makes a
  ``GDN`` and applies it.
- ``rnn/python/ops/rnn_cell.py`` ``PhasedLSTMCell.call``: ``(time, x) = inputs``; the gate
  kernels are built on ``[x, h_prev]`` (``32 + 64``): ``mask_gates`` ``[96, 2 * 64]``,
  ``new_input`` and ``output_gate`` ``[96, 64]``; ``period`` = ``exp(U(log(1), log(1000)))``
  (``period_init_min=1.0``, ``period_init_max=1000.0``), ``phase`` = ``U(0,
  period.initial_value)``.
- ``distributions/python/ops/bijectors/masked_autoregressive.py`` ``masked_dense(...,
  num_blocks=None)``: ``_gen_slices`` computes ``n_in // num_blocks`` (TypeError). With
  ``num_blocks=2`` the kernel's initializer is ``mask * kernel_initializer(shape, ...)``,
  ``kernel_initializer = init_ops.glorot_normal_initializer()``, the mask
  ``_gen_mask(2, 32, 64, MASK_INCLUSIVE).T`` (``np.zeros([n_out, n_in])``, ``mask[row_slice,
  col_slice] = 1`` for the slices of ``_gen_slices``): rows 0-15 of the ``[32, 64]`` kernel
  all ones, rows 16-31 ones from column 32 on.
- ``rnn/python/ops/rnn_cell.py`` ``TimeFreqLSTMCell(feature_size=None)``:
  ``_make_tf_features`` computes ``input_size - self._feature_size`` (TypeError).

Network tests: they fail (not skip) when PyPI is unreachable.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from tfinit_audit.analysis.audit import analyze
from tfinit_audit.analysis.model import Dims, SymbolResult
from tfinit_audit.analysis.symbols import parse_symbol
from tfinit_audit.sources import SourceContext, open_tree

pytestmark = [pytest.mark.network, pytest.mark.slow]

NAMES = ["tf.contrib.slim.GDN", "tf.contrib.layers.gdn", "tf.contrib.rnn.PhasedLSTMCell",
         "tf.contrib.distributions.bijectors.masked_dense", "tf.contrib.rnn.TimeFreqLSTMCell",
         "tf.contrib.distributions.bijectors.masked_dense[num_blocks=2]"]
PEDESTAL = (2.0**-18) ** 2
LAYERS = "tensorflow_core/contrib/layers/python/layers/layers.py"
CELLS = "tensorflow_core/contrib/rnn/python/ops/rnn_cell.py"
MADE = "tensorflow_core/contrib/distributions/python/ops/bijectors/masked_autoregressive.py"


@pytest.fixture(scope="module")
def found(real_ctx: SourceContext, tmp_path_factory: pytest.TempPathFactory
          ) -> dict[str, SymbolResult]:
    tree = open_tree("pypi", "1.15.5", ctx=real_ctx)
    results = analyze(tree, [parse_symbol(n) for n in NAMES], Dims(),
                      cache_dir=tmp_path_factory.mktemp("analysis"))
    return {r.symbol: r for r in results}


def _identity(gain: float, n: int) -> dict[str, Any]:
    return {"initializer": {"kind": "identity", "params": {"gain": gain}, "limit": None,
                            "stddev": None}, "shape": [n, n]}


@pytest.mark.parametrize("name, prefix", [("tf.contrib.slim.GDN", ""),
                                          ("tf.contrib.layers.gdn", "gdn/")])
def test_gdn_beta_is_a_constant_and_gamma_an_expression(found: dict[str, SymbolResult],
                                                        name: str, prefix: str) -> None:
    r = found[name]
    assert r.status == "resolved", r.message
    # the class and the function are both built on rank 3, the least GDN's __init__ declares
    assert r.input_shape == [None, 5, 32]
    w = {x.name: x for x in r.weights}
    assert set(w) == {f"{prefix}reparam_beta", f"{prefix}reparam_gamma"}
    beta, gamma = w[f"{prefix}reparam_beta"], w[f"{prefix}reparam_gamma"]
    assert (beta.shape, beta.initializer.kind) == ([32], "constant")
    assert beta.initializer.params["value"] == math.sqrt(1.0 + PEDESTAL)
    assert (gamma.shape, gamma.initializer.kind) == ([32, 32], "expression")
    assert gamma.initializer.params["tree"] == {
        "op": "sqrt", "args": [{"op": "add", "args": [_identity(0.1, 32), PEDESTAL]}]}
    assert any(h.path == LAYERS and h.code == "return math_ops.sqrt(self._gamma_init * eye "
               "+ pedestal)" for h in gamma.provenance)


def test_phased_lstm_kernels_and_its_period_and_phase(found: dict[str, SymbolResult]) -> None:
    r = found["tf.contrib.rnn.PhasedLSTMCell"]
    assert r.status == "resolved", r.message
    assert r.input_parts == [[None, None], [None, 32]]  # (time, x)
    w = {x.name: x for x in r.weights}
    assert {n: x.shape for n, x in w.items()} == {
        "mask_gates/kernel": [96, 128], "mask_gates/bias": [128],
        "new_input/kernel": [96, 64], "new_input/bias": [64],
        "output_gate/kernel": [96, 64], "output_gate/bias": [64],
        "period": [64], "phase": [64], "ratio_on": [64]}
    period = w["period"].initializer
    assert period.kind == "expression"
    assert period.params["tree"]["op"] == "exp"
    [uniform] = period.params["tree"]["args"]
    assert uniform["initializer"]["kind"] == "random_uniform"
    assert uniform["initializer"]["params"] == {"minval": math.log(1.0),
                                                "maxval": math.log(1000.0)}
    assert uniform["shape"] == [64]
    assert w["phase"].initializer.kind == "expression"
    assert w["phase"].initializer.params["tree"] == {
        "op": "random_uniform", "args": [0.0, {"weight": "period"}], "shape": [64]}


@pytest.mark.parametrize("name, param, expression, path", [
    ("tf.contrib.distributions.bijectors.masked_dense", "num_blocks", "n_in // num_blocks",
     MADE),
    ("tf.contrib.rnn.TimeFreqLSTMCell", "feature_size", "input_size - self._feature_size",
     CELLS),
])
def test_a_default_none_python_refuses_is_what_the_symbol_needs(
        found: dict[str, SymbolResult], name: str, param: str, expression: str,
        path: str) -> None:
    r = found[name]
    assert (r.status, r.missing_arguments) == ("needs-args", [param])
    assert r.message is not None
    assert "raises TypeError: unsupported operand type(s) for " in r.message
    assert f"at `{expression}` ({path}:" in r.message
    assert f"with {param} left at its default None ({path}:" in r.message



def test_masked_dense_with_its_blocks_is_a_mask_times_glorot_normal(
        found: dict[str, SymbolResult]) -> None:
    r = found["tf.contrib.distributions.bijectors.masked_dense[num_blocks=2]"]
    assert r.status == "resolved", r.message
    w = {x.name: x for x in r.weights}
    kernel = w["dense/kernel"]
    assert (kernel.shape, kernel.initializer.kind) == ([32, 64], "expression")
    assert kernel.initializer.params["expression"] == \
        "mask * kernel_initializer(shape, dtype, partition_info)"
    tree = kernel.initializer.params["tree"]
    assert tree["op"] == "multiply"
    mask, drawn = tree["args"]
    want = [[1.0] * 64] * 16 + [[0.0] * 32 + [1.0] * 32] * 16
    assert mask == {"array": want}
    assert drawn["initializer"]["kind"] == "glorot_normal" and drawn["shape"] == [32, 64]
    assert drawn["initializer"]["stddev"] is not None
    codes = {(h.path, h.code) for h in kernel.provenance}
    assert (MADE, "mask = np.zeros([n_out, n_in], dtype=dtype.as_numpy_dtype())") in codes
    assert (MADE, "kernel_initializer = init_ops.glorot_normal_initializer()") in codes
    assert (w["dense/bias"].shape, w["dense/bias"].initializer.kind) == ([64], "zeros")
