"""TF 1.15.5 ``tf.contrib`` layers whose initial values are expressions of initializers
(rules/expressions.py) or that take a tuple input (rules/tuple_inputs.py), answered from the
files installed in the tf115 virtualenv (the real 1.15.5 wheel's) and built live there.

Known answers, read from the source (tensorflow_core/contrib/...):

- ``GDN`` (layers/python/layers/layers.py): ``reparam_beta`` = ``sqrt(ones + pedestal)`` with
  ``pedestal = reparam_offset**2 = 2**-36``: the constant ``sqrt(1 + 2**-36)``;
  ``reparam_gamma`` = ``sqrt(gamma_init * eye(n) + pedestal)``, ``gamma_init=.1``: an
  expression, ``sqrt(identity(gain 0.1) + 2**-36)`` -- deterministic.
- ``PhasedLSTMCell`` (rnn/python/ops/rnn_cell.py): ``(time, x) = inputs``: the kernels are
  built on ``[x, h_prev]``: ``[32 + 64, 128]`` (mask gates) and ``[96, 64]``; ``period`` =
  ``exp(U(log 1, log 1000))``; ``phase`` = ``U(0, period.initial_value)``.
- ``masked_dense(inputs, 64, num_blocks=2)`` (distributions/python/ops/bijectors/
  masked_autoregressive.py): the kernel is ``mask * glorot_normal`` on ``[32, 64]``, the mask
  ``_gen_mask(2, 32, 64, "inclusive").T``: rows 0-15 all ones, rows 16-31 ones in columns
  32-63 only (512 zeros).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from test_live_e2e import describe, venv_python

from tfinit_audit.analysis.audit import analyze
from tfinit_audit.analysis.model import Dims, Initializer, SymbolResult
from tfinit_audit.analysis.symbols import parse_symbol
from tfinit_audit.live.expressions import expression_checks
from tfinit_audit.live.verify import verify_interpreter
from tfinit_audit.sources.local import open_installed

NAMES = ["tf.contrib.slim.GDN", "tf.contrib.rnn.PhasedLSTMCell",
         "tf.contrib.distributions.bijectors.masked_dense[num_blocks=2]"]
MADE = "tf.contrib.distributions.bijectors.masked_dense[num_blocks=2]"
PEDESTAL = 2.0**-36


def _identity(gain: float, n: int) -> dict[str, Any]:
    return {"initializer": {"kind": "identity", "params": {"gain": gain}, "limit": None,
                            "stddev": None}, "shape": [n, n]}


# ------------------------------------------------------------------ numpy evaluation
def test_a_deterministic_tree_is_compared_exactly() -> None:
    init = Initializer("expression", {"expression": "sqrt(0.1 * eye + p)", "tree": {
        "op": "sqrt", "args": [{"op": "add", "args": [_identity(0.1, 3), PEDESTAL]}]}})
    right = np.sqrt(0.1 * np.eye(3) + PEDESTAL).astype(np.float32)
    [ok] = expression_checks(init, [3, 3], [right, right])
    assert (ok.check, ok.passed) == ("exact", True)
    [bad] = expression_checks(init, [3, 3], [np.sqrt(0.2 * np.eye(3) + PEDESTAL)])
    assert bad.passed is False


def test_a_random_tree_with_a_weight_reference_is_sampled() -> None:
    period = Initializer("expression", {"expression": "exp(U)", "tree": {"op": "exp", "args": [
        {"initializer": {"kind": "random_uniform", "params": {
            "minval": 0.0, "maxval": math.log(1000.0)}, "limit": None, "stddev": None},
         "shape": [64]}]}})
    phase = Initializer("expression", {"expression": "U(0, period)", "tree": {
        "op": "random_uniform", "args": [0.0, {"weight": "period"}], "shape": [64]}})
    refs = {"period": (period, [64]), "phase": (phase, [64])}
    rng = np.random.default_rng(7)
    p = np.exp(rng.uniform(0, math.log(1000.0), size=(3, 64)))
    right = [rng.uniform(0, p[i]) for i in range(3)]
    [ok] = expression_checks(phase, [64], right, refs)
    assert (ok.check, ok.passed) == ("ks2", True)
    wrong = [rng.uniform(0, 1000.0, size=64) for _ in range(3)]  # U(0, max): not the same
    [bad] = expression_checks(phase, [64], wrong, refs)
    assert bad.passed is False
    [missing] = expression_checks(phase, [64], right, {})
    assert missing.passed is None  # a reference the static answer lacks: no verdict


def test_a_mask_times_a_random_initializer_is_sampled_and_its_zeros_are_exact() -> None:
    """``mask * glorot_normal`` (TF 1.15 ``masked_dense``): the pooled values by the KS test,
    the mask's zeros exactly; a mask with its zeros elsewhere fails the second check."""
    mask = np.array([[1.0, 1.0, 0.0, 0.0]] * 32 + [[1.0, 1.0, 1.0, 1.0]] * 32)  # [64, 4]
    init = Initializer("expression", {"expression": "mask * U", "tree": {
        "op": "multiply", "args": [{"array": mask.tolist()}, {"initializer": {
            "kind": "random_uniform", "params": {"minval": -1.0, "maxval": 1.0},
            "limit": None, "stddev": None}, "shape": [64, 4]}]}})
    rng = np.random.default_rng(3)
    right = [mask * rng.uniform(-1, 1, size=(64, 4)) for _ in range(3)]
    ks, fixed = expression_checks(init, [64, 4], right)
    assert (ks.check, ks.passed, fixed.check, fixed.passed) == ("ks2", True,
                                                                "fixed_positions", True)
    assert fixed.data["positions"] == 64
    moved = mask[::-1]  # as many zeros, in other rows
    wrong = [moved * rng.uniform(-1, 1, size=(64, 4)) for _ in range(3)]
    ks, fixed = expression_checks(init, [64, 4], wrong)
    assert ks.passed is True and fixed.passed is False  # the pooled values cannot tell
    exact = Initializer("expression", {"expression": "mask * 2", "tree": {
        "op": "multiply", "args": [{"array": mask.tolist()}, 2.0]}})
    [ok] = expression_checks(exact, [64, 4], [2 * mask])
    assert (ok.check, ok.passed) == ("exact", True)


# ------------------------------------------------------------------ TF 1.15.5
@pytest.fixture(scope="module")
def static() -> list[SymbolResult]:
    return analyze(open_installed(venv_python("tf115")), [parse_symbol(n) for n in NAMES],
                   Dims())


@pytest.mark.live
@pytest.mark.slow
def test_the_answers_read_from_the_1_15_5_source(static: list[SymbolResult]) -> None:
    gdn, cell, made = static
    assert (gdn.status, cell.status, made.status) == ("resolved", "resolved", "resolved")
    g = {w.name: w for w in gdn.weights}
    beta, gamma = g["reparam_beta"], g["reparam_gamma"]
    assert (beta.shape, beta.initializer.kind) == ([32], "constant")
    assert beta.initializer.params["value"] == math.sqrt(1.0 + PEDESTAL)
    assert gamma.shape == [32, 32]
    assert (gamma.initializer.kind, gamma.initializer.params["tree"]) == ("expression", {
        "op": "sqrt", "args": [{"op": "add", "args": [_identity(0.1, 32), PEDESTAL]}]})
    kernel = {w.name: w for w in made.weights}["dense/kernel"]
    assert (kernel.shape, kernel.initializer.kind) == ([32, 64], "expression")
    mask, drawn = kernel.initializer.params["tree"]["args"]
    want = np.zeros((32, 64))
    want[:16, :] = 1
    want[16:, 32:] = 1
    assert np.array_equal(np.array(mask["array"]), want)
    assert drawn["initializer"]["kind"] == "glorot_normal" and drawn["shape"] == [32, 64]
    c = {w.name: w for w in cell.weights}
    assert {n: w.shape for n, w in c.items()} == {
        "mask_gates/kernel": [96, 128], "mask_gates/bias": [128],
        "new_input/kernel": [96, 64], "new_input/bias": [64],
        "output_gate/kernel": [96, 64], "output_gate/bias": [64],
        "period": [64], "phase": [64], "ratio_on": [64]}
    assert cell.input_parts == [[None, None], [None, 32]]
    period = c["period"].initializer.params["tree"]
    assert period["op"] == "exp"
    assert period["args"][0]["initializer"]["params"] == {"minval": 0.0,
                                                          "maxval": math.log(1000.0)}
    assert c["phase"].initializer.params["tree"] == {
        "op": "random_uniform", "args": [0.0, {"weight": "period"}], "shape": [64]}


@pytest.mark.live
@pytest.mark.slow
def test_they_agree_with_tensorflow_1_15_5(static: list[SymbolResult]) -> None:
    run = verify_interpreter(venv_python("tf115"), static, Dims(), timeout=600)
    assert run.error is None, run.error
    assert run.tensorflow == "1.15.5"
    assert run.summary["disagree"] == 0 and run.summary["inconclusive"] == 0, describe(run)
    assert run.summary["agree"] == 2 + 9 + 2
    checks = {(s.symbol, w.name): [c["check"] for c in w.evidence["checks"]]
              for s in run.symbols for w in s.weights}
    assert "exact" in checks[("tf.contrib.slim.GDN", "reparam_gamma")]
    assert "ks2" in checks[("tf.contrib.rnn.PhasedLSTMCell", "phase")]
    assert "ks2" in checks[("tf.contrib.rnn.PhasedLSTMCell", "period")]
    assert checks[(MADE, "dense/kernel")][1:3] == ["ks2", "fixed_positions"]
