"""The emitted code run in real PyTorch (CPU) and JAX/Flax (CPU), checked with the live check's
statistics (tfinit_audit/live/stats.py) against the static answer of real releases (PyPI).

For every case, target and parameter, pooled over several seeds:

- the draws in TF's layout (``tf_weights``): bounds, mean, variance and Kolmogorov-Smirnov for
  random kinds, orthonormality and gain for orthogonal ones, exact values for the constant and
  composite ones -- exactly the checks the live stage applies to real TensorFlow;
- the target's own parameters (``build``): each one that holds a random TF weight against that
  weight's distribution (bounds, moments, KS), the recurrent kernels reassembled from the target's
  pieces for orthonormality, constants exactly, and the folded forget bias in the forget gate's
  slice after the gate reordering (PyTorch (i, f, g, o): ``b_ih + b_hh`` slice ``[64:128]``;
  Flax: ``hf``'s bias; NumPy: not folded, the step adds it).

The agreement numbers (smallest KS p-value per parameter, largest deviations) are written to
``test-artifacts/port-agreement.json``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import tfinit_audit
from tfinit_audit.analysis.model import Dims, SymbolResult
from tfinit_audit.live.stats import (
    EXACT_KINDS,
    RANDOM_KINDS,
    check_values,
    distribution_checks,
    expected_exact,
    orthogonal_checks,
    predicted_distribution,
)
from tfinit_audit.port.generate import generate

pytestmark = [pytest.mark.network, pytest.mark.slow]

SEEDS = range(6)
TARGETS = ("pytorch", "jax", "numpy")
ARTIFACT = Path(__file__).resolve().parents[1] / "test-artifacts" / "port-agreement.json"
CASES: dict[str, list[str]] = {
    "1.8": ["tf.nn.rnn_cell.LSTMCell", "tf.nn.rnn_cell.GRUCell", "tf.nn.rnn_cell.BasicRNNCell",
            "tf.keras.layers.LSTM", "tf.keras.layers.Embedding", "tf.layers.Dense"],
    "1.15": ["tf.nn.rnn_cell.LSTMCell[use_peepholes=True,num_proj=16]",
             "tf.keras.layers.GRU[reset_after=True]"],
    "2.15": ["tf.keras.layers.LSTM", "tf.keras.layers.LSTMCell", "tf.keras.layers.GRU",
             "tf.keras.layers.GRU[reset_after=False]", "tf.keras.layers.SimpleRNN",
             "tf.keras.layers.Conv2D", "tf.keras.layers.Conv1D[kernel_size=3]",
             "tf.keras.layers.Embedding", "tf.keras.layers.BatchNormalization",
             "tf.keras.layers.LayerNormalization",
             "tf.keras.layers.Dense[kernel_initializer='he_normal',"
             "bias_initializer='random_normal']",
             "tf.keras.layers.Dense[kernel_initializer='glorot_normal',bias_initializer='ones']",
             "tf.keras.layers.Dense[kernel_initializer='orthogonal']",
             "tf.keras.layers.Dense[kernel_initializer='identity',units=32,use_bias=False]",
             "tf.compat.v1.get_variable"],
}
PAIRS = [(v, s, t) for v, syms in CASES.items() for s in syms for t in TARGETS]
AGREEMENT: list[dict[str, Any]] = []


@pytest.fixture(scope="module")
def answers(real_cache: Path) -> dict[tuple[str, str], tuple[str, SymbolResult]]:
    for module in ("torch", "jax", "flax"):
        try:
            __import__(module)
        except ImportError:
            pytest.fail(f"{module} is not installed: scripts/test.sh installs PyTorch (CPU) "
                        "and JAX/Flax (CPU) for these tests")
    out = {}
    for version, symbols in CASES.items():
        report = tfinit_audit.audit([version], symbols=symbols, cache_dir=real_cache)
        (record,) = report.versions
        assert record.status == "ok", record.error
        for spec, result in zip(symbols, record.symbols, strict=True):
            assert result.status == "resolved", (spec, result.message)
            out[(version, spec)] = (record.label, result)
    yield out
    ARTIFACT.parent.mkdir(exist_ok=True)
    ARTIFACT.write_text(json.dumps(AGREEMENT, indent=1))


# ------------------------------------------------------------------ the target's parameters
def flat(tree: Any, prefix: str = "") -> dict[str, np.ndarray]:
    if isinstance(tree, dict):
        out: dict[str, np.ndarray] = {}
        for k, v in tree.items():
            out.update(flat(v, f"{prefix}{k}/"))
        return out
    return {prefix.rstrip("/"): np.asarray(tree)}


def parameters(target: str, obj: Any) -> dict[str, np.ndarray]:
    """The target object's parameters as float arrays, named as the module's SOURCES name them."""
    if hasattr(obj, "state_dict"):  # a torch.nn.Module
        return {k: v.detach().numpy() for k, v in obj.state_dict().items()
                if v.dtype.is_floating_point}
    params = flat(obj)  # a Flax variables dict, or arrays under TF's names
    if "params" in obj:
        params = {k.removeprefix("params/"): v for k, v in params.items()}
    return params


def _record(version: str, symbol: str, target: str, where: str, checks: list[Any]) -> None:
    ks = [c.data["p"] for c in checks if c.check.endswith("ks")]
    devs = [c.data.get("max_abs_dev", c.data.get("max_abs_diff")) for c in checks]
    AGREEMENT.append({"version": version, "symbol": symbol, "target": target, "what": where,
                      "checks": [c.check for c in checks],
                      "min_ks_p": min(ks) if ks else None,
                      "max_deviation": max((d for d in devs if d is not None), default=None)})


def _assert_passed(checks: list[Any], what: str) -> None:
    bad = [c.as_dict() for c in checks if c.passed is not True]
    assert not bad, f"{what}: {bad}"


# ------------------------------------------------------------------ the tests
@pytest.mark.parametrize("version, symbol, target", PAIRS)
def test_emitted_code_draws_tfs_distributions(
    answers: dict[tuple[str, str], tuple[str, SymbolResult]], version: str, symbol: str,
    target: str,
) -> None:
    release, result = answers[(version, symbol)]
    module = generate(result, target, Dims(), release, convert=True).load()
    tf_draws = [module.tf_weights(seed) for seed in SEEDS]
    built = [parameters(target, module.build(seed)) for seed in SEEDS]
    weights = {w.name: w for w in result.weights}

    # 1. in TF's layout, every weight as the live check judges real TensorFlow
    for name, w in weights.items():
        assert w.shape is not None
        samples = [d[name] for d in tf_draws]
        assert all(s.shape == tuple(w.shape) and s.dtype == np.float32 for s in samples)
        checks = check_values(w.initializer, list(w.shape), samples)
        _record(release, symbol, target, f"tf:{name}", checks)
        _assert_passed(checks, f"{symbol} -> {target}: TF-layout {name}")

    # 2. the target's parameters
    sources: dict[str, tuple[str, ...]] = module.SOURCES
    assert set(sources) == set(built[0]), (sorted(sources), sorted(built[0]))
    for param, srcs in sources.items():
        values = [b[param] for b in built]
        if len(srcs) != 1:
            continue  # several TF weights in one target parameter (TF 1.x GRU -> Keras)
        w = weights[srcs[0]]
        init, adjusted = w.initializer, bool(w.runtime_adjustments)
        if init.kind in RANDOM_KINDS:
            dist, why = predicted_distribution(init, w.shape)
            assert dist is not None, why
            checks = distribution_checks(values, dist)
            _record(release, symbol, target, param, checks)
            _assert_passed(checks, f"{symbol} -> {target}: {param} <- {w.name}")
        elif init.kind in EXACT_KINDS and init.kind != "identity" and not adjusted:
            exp = expected_exact(init, [1])
            assert exp is not None
            assert all(np.all(v == float(np.ravel(exp)[0])) for v in values), (param, init)
    _orthogonal_pieces(release, symbol, target, module, weights, built)
    _forget_bias_in_place(target, module, result, built)


def _orthogonal_pieces(release: str, symbol: str, target: str, module: Any,
                       weights: dict[str, Any], built: list[dict[str, np.ndarray]]) -> None:
    """An orthogonal TF weight split or transposed across target parameters: reassembled, its
    rows (the smaller side) are orthonormal with TF's gain."""
    for name, w in weights.items():
        if w.initializer.kind != "orthogonal":
            continue
        pieces = [p for p, s in module.SOURCES.items() if s == (name,)]
        transpose = target == "pytorch" and "TFLayout" not in module.to_target.__doc__
        samples = [np.concatenate([b[p].T if transpose else b[p] for p in sorted(pieces)],
                                  axis=-1) for b in built]
        checks = orthogonal_checks(samples, list(w.shape),
                                   float(w.initializer.params.get("gain", 1.0)))
        _record(release, symbol, target, f"orthogonal {name} <- {pieces}", checks)
        _assert_passed(checks, f"{symbol} -> {target}: {name} reassembled from {pieces}")


def _forget_bias_in_place(target: str, module: Any, result: SymbolResult,
                          built: list[dict[str, np.ndarray]]) -> None:
    """The forget gate starts at TF's value in the target's forget slice, 0 elsewhere."""
    roles = [str(g) for g in (result.facts.get("gate_order") or {}).get("value", [])]
    if sorted(roles) not in (sorted("ijfo"), sorted("ifco")) or "bias" not in module.TF_SHAPES:
        return
    tf1 = "j" in roles
    expected_f = float(result.facts["forget_bias"]["value"]) if tf1 else 1.0  # unit_forget_bias
    u = module.TF_SHAPES["bias"][0] // 4
    for b in built:
        if target == "pytorch" and "bias_ih" in b:  # torch (i, f, g, o): two biases summed
            total = b["bias_ih"] + b["bias_hh"]
        elif target == "pytorch" and "bias_ih_l0" in b:
            total = b["bias_ih_l0"] + b["bias_hh_l0"]
        elif target == "jax" and any(k.endswith("hf/bias") for k in b):
            pre = next(k for k in b if k.endswith("hf/bias")).removesuffix("hf/bias")
            total = np.concatenate([b[f"{pre}h{g}/bias"] for g in "ifgo"])
        else:  # TF's own layout (NumPy, the recipes): TF 1.x stores 0, Keras stores the ones
            stored = b["bias"]
            f = roles.index("f")
            assert np.all(stored[f * u:(f + 1) * u] == (0.0 if tf1 else 1.0))
            continue
        assert np.all(total[u:2 * u] == expected_f), total[u:2 * u]
        assert np.all(np.delete(total, np.s_[u:2 * u]) == 0.0)


def test_known_answer_tf18_lstmcell_to_pytorch(
    answers: dict[tuple[str, str], tuple[str, SymbolResult]],
) -> None:
    """One glorot limit over TF's concatenated [96, 256] kernel, sqrt(6/352), on both torch
    matrices (not xavier_uniform_'s sqrt(6/288) and sqrt(6/320)); the forget bias in [64:128]."""
    import torch

    release, result = answers[("1.8", "tf.nn.rnn_cell.LSTMCell")]
    p = generate(result, "pytorch", Dims(), release)
    module = p.load()
    limit = math.sqrt(6 / 352)
    cells = [module.build(seed) for seed in SEEDS]
    assert all(isinstance(c, torch.nn.LSTMCell) for c in cells)
    for name in ("weight_ih", "weight_hh"):
        values = [getattr(c, name).detach().numpy() for c in cells]
        assert values[0].shape == ((256, 32) if name == "weight_ih" else (256, 64))
        top = max(float(np.abs(v).max()) for v in values)
        assert limit * 0.999 < top <= limit  # the bound is reached, never passed
        checks = distribution_checks(values, predicted_distribution(
            result.weights[0].initializer, [96, 256])[0])  # type: ignore[arg-type]
        _assert_passed(checks, name)
        assert next(c for c in checks if c.check == "bounds").data["predicted_high"] == \
            pytest.approx(limit)
    for c in cells:
        total = (c.bias_ih + c.bias_hh).detach().numpy()
        assert np.all(total[64:128] == 1.0)
        assert np.all(total[:64] == 0.0) and np.all(total[128:] == 0.0)
