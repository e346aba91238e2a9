"""Statistics and comparison on numpy-generated samples (seeded: every outcome is fixed).

False-alarm rate: stats.ALPHA = 1e-4 per weight (Bonferroni over mean, variance and KS tests);
test_false_alarm_rate_is_calibrated checks the stated rate empirically at a larger alpha.
"""

from __future__ import annotations

import base64
import math
from typing import Any

import numpy as np
import pytest
from scipy import stats as sps

from tfinit_audit.analysis.model import (
    Initializer,
    Location,
    RuntimeAdjustment,
    SymbolResult,
    Weight,
)
from tfinit_audit.analysis.rules.vocabulary import compute_fans
from tfinit_audit.live import stats
from tfinit_audit.live.compare import compare_run, compare_symbol, runtime_kind
from tfinit_audit.live.stats import Distribution, check_values, distribution_checks

SEEDS = (101, 202, 303)


def glorot(shape: list[int], limit: bool = True) -> Initializer:
    fi, fo = compute_fans(shape)
    return Initializer("glorot_uniform", {}, limit=math.sqrt(6 / (fi + fo)) if limit else None)


def uniform_samples(shape: list[int], limit: float, seeds: tuple[int, ...] = SEEDS
                    ) -> list[np.ndarray]:
    return [np.random.default_rng(s).uniform(-limit, limit, shape).astype(np.float32)
            for s in seeds]


def passed(checks: list[stats.Check]) -> bool:
    return all(c.passed is True for c in checks)


def failed(checks: list[stats.Check]) -> set[str]:
    return {c.check for c in checks if c.passed is False}


# --------------------------------------------------------------------------- distributions
@pytest.mark.parametrize("shape", [[32, 64], [96, 256], [64], [3, 3, 3, 8]])
def test_glorot_uniform_sample_agrees(shape: list[int]) -> None:
    lim = math.sqrt(6 / sum(compute_fans(shape)))
    checks = check_values(glorot(shape), shape, uniform_samples(shape, lim))
    assert passed(checks), [c.detail for c in checks]
    assert {c.check for c in checks} == {"bounds", "mean", "variance", "ks"}


def test_limit_is_derived_from_shape_when_static_gives_none() -> None:
    shape = [96, 256]
    checks = check_values(glorot(shape, limit=False), shape,
                          uniform_samples(shape, math.sqrt(6 / 352)))
    assert passed(checks)
    bounds = next(c for c in checks if c.check == "bounds")
    assert bounds.data["predicted_high"] == pytest.approx(math.sqrt(6 / 352))
    assert bounds.data["prediction_source"] == "derived from shape"


def test_normal_stddev_0_1_instead_of_glorot_disagrees() -> None:
    shape = [32, 64]
    samples = [np.random.default_rng(s).normal(0, 0.1, shape).astype(np.float32) for s in SEEDS]
    checks = check_values(glorot(shape), shape, samples)
    assert {"bounds", "ks"} <= failed(checks)
    ks = next(c for c in checks if c.check == "ks")
    assert ks.data["p"] < 1e-20


def test_in_bounds_but_wrong_shape_of_distribution_disagrees() -> None:
    # uniform on half the range: never out of bounds, but variance and KS catch it
    shape = [32, 64]
    lim = math.sqrt(6 / 96)
    checks = check_values(glorot(shape), shape, uniform_samples(shape, lim / 2))
    assert "bounds" not in failed(checks)
    assert {"variance", "ks"} <= failed(checks)


def test_he_uniform_instead_of_glorot_disagrees() -> None:
    shape = [32, 64]
    checks = check_values(glorot(shape), shape, uniform_samples(shape, math.sqrt(6 / 32)))
    assert "bounds" in failed(checks)


def test_truncated_normal_presets() -> None:
    shape = [64, 128]
    sd = math.sqrt(1 / 96) / stats.TRUNCATED_NORMAL_FACTOR  # glorot_normal for fan_avg 96
    samples = [sps.truncnorm(-2, 2, scale=sd).rvs(size=shape, random_state=s).astype(np.float32)
               for s in SEEDS]
    init = Initializer("glorot_normal", {})
    assert passed(check_values(init, shape, samples))
    # an untruncated normal with the same stddev parameter leaves the ±2σ bounds
    wide = [np.random.default_rng(s).normal(0, sd, shape) for s in SEEDS]
    assert "bounds" in failed(check_values(init, shape, wide))
    # he_normal predicts a different stddev for the same shape
    assert failed(check_values(Initializer("he_normal", {}), shape, samples))


def test_random_uniform_and_normal_params() -> None:
    shape = [100, 16]
    samples = uniform_samples(shape, 0.05)
    assert passed(check_values(Initializer("random_uniform", {"minval": -0.05, "maxval": 0.05}),
                               shape, samples))
    assert failed(check_values(Initializer("random_uniform", {"minval": -0.1, "maxval": 0.1}),
                               shape, samples))
    normal = [np.random.default_rng(s).normal(0.0, 0.05, shape) for s in SEEDS]
    assert passed(check_values(Initializer("random_normal", {"mean": 0.0, "stddev": 0.05}),
                               shape, normal))
    missing = check_values(Initializer("random_uniform", {}), shape, samples)
    assert [c.passed for c in missing] == [None]


def test_uniform_unit_scaling_limit_from_input_size() -> None:
    shape = [32, 64]
    samples = uniform_samples(shape, math.sqrt(3 / 32))  # input size: all dims but the last
    assert passed(check_values(Initializer("uniform_unit_scaling", {"factor": 1.0}), shape,
                               samples))
    assert failed(check_values(Initializer("uniform_unit_scaling", {"factor": 1.43}), shape,
                               samples))


def test_variance_scaling_over_axes() -> None:
    # Keras 3.15 EinsumDense kernel [32, 2, 8] with input axis 0 and output axes 1, 2:
    # fans 32 and 16, not the convolution-style 64 and 256
    shape = [32, 2, 8]
    samples = uniform_samples(shape, math.sqrt(6 / (32 + 16)))
    params = {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform",
              "input_axes": [0], "output_axes": [1, 2]}
    assert passed(check_values(Initializer("glorot_uniform", params), shape, samples))
    assert failed(check_values(Initializer("glorot_uniform", {}), shape, samples))
    unknown = dict(params, input_axes="<unknown>")
    checks = check_values(Initializer("glorot_uniform", unknown), shape, samples)
    assert [c.passed for c in checks] == [None]
    assert "axes the static answer does not know" in checks[0].detail


@pytest.mark.slow
def test_false_alarm_rate_is_calibrated() -> None:
    """At alpha=0.03 (1% per sub-test) correct samples fail about 3% of the time, not more."""
    dist = Distribution("uniform", -0.25, 0.25)
    trials = 400
    alarms = 0
    for t in range(trials):
        x = np.random.default_rng(10_000 + t).uniform(-0.25, 0.25, 2048)
        if not passed(distribution_checks([x], dist, alpha=0.03)):
            alarms += 1
    # Bonferroni bound 3%; binomial(400, 0.03) lies within [2, 28] with probability > 0.999
    assert 2 <= alarms <= 28, alarms
    assert stats.ALPHA == 1e-4


def test_too_few_values_is_inconclusive() -> None:
    checks = check_values(glorot([4]), [4], uniform_samples([4], 0.5))
    assert [c.passed for c in checks] == [None]


# --------------------------------------------------------------------------- orthogonal / exact
def random_orthogonal(rows: int, cols: int, seed: int, gain: float = 1.0) -> np.ndarray:
    a = np.random.default_rng(seed).normal(size=(max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return (gain * q).astype(np.float32)


@pytest.mark.parametrize("shape", [[64, 256], [256, 64], [64, 64]])
def test_orthogonal_agrees(shape: list[int]) -> None:
    samples = [random_orthogonal(*shape, seed=s) for s in SEEDS]
    checks = check_values(Initializer("orthogonal", {"gain": 1.0}), shape, samples)
    assert passed(checks), [c.detail for c in checks]


def test_orthogonal_wrong_gain_or_not_orthogonal_disagrees() -> None:
    shape = [64, 256]
    scaled = [random_orthogonal(*shape, seed=s, gain=2.0) for s in SEEDS]
    orth = check_values(Initializer("orthogonal", {"gain": 1.0}), shape, scaled)
    assert "orthogonal" in failed(orth)
    assert orth[0].data["observed_gain"] == pytest.approx(2.0, rel=1e-4)
    glorot_vals = uniform_samples(shape, math.sqrt(6 / 320))
    assert "orthogonal" in failed(check_values(Initializer("orthogonal", {"gain": 1.0}), shape,
                                               glorot_vals))
    same = [random_orthogonal(*shape, seed=1)] * 3
    assert failed(check_values(Initializer("orthogonal", {}), shape, same)) == {"random"}


def test_exact_kinds() -> None:
    z = [np.zeros([64], np.float32)] * 3
    assert passed(check_values(Initializer("zeros"), [64], z))
    assert failed(check_values(Initializer("ones"), [64], z)) == {"exact"}
    c = [np.full([128], 1.0, np.float32)] * 3
    assert passed(check_values(Initializer("constant", {"value": 1.0}), [128], c))
    assert failed(check_values(Initializer("constant", {"value": 0.5}), [128], c))
    eye = [np.eye(8, dtype=np.float32) * 2]
    assert passed(check_values(Initializer("identity", {"gain": 2.0}), [8, 8], eye))
    almost = np.zeros([64], np.float32)
    almost[7] = 1e-7
    assert failed(check_values(Initializer("zeros"), [64], [almost])) == {"exact"}


def test_exact_allows_a_few_ulps_of_the_dtype() -> None:
    # TF 1.15.5 GDN's reparam_beta = sqrt(1 + 2**-36) is 0.99999994 (one float32 ulp below 1)
    # on a CPU whose float32 sqrt goes through rsqrt; float64 and the cast say 1.0
    beta = Initializer("constant", {"value": math.sqrt(1 + 2**-36)})
    one_ulp = [np.full([32], np.nextafter(np.float32(1), np.float32(0)), np.float32)] * 3
    assert passed(check_values(beta, [32], one_ulp))
    ten_ulps = [np.full([32], np.float32(1) - 10 * np.finfo(np.float32).eps, np.float32)]
    assert failed(check_values(beta, [32], ten_ulps)) == {"exact"}
    # the tolerance scales with the dtype: a float64 variable one float32 ulp off disagrees
    f64 = [np.full([32], float(np.nextafter(np.float32(1), np.float32(0))), np.float64)]
    assert failed(check_values(beta, [32], f64)) == {"exact"}
    # an integer variable: no tolerance
    ints = [np.full([4], 2, np.int64)]
    assert failed(check_values(Initializer("constant", {"value": 1}), [4], ints)) == {"exact"}


def test_stft_basis() -> None:
    # the DFT basis by hand for T=4 frames, F=3 bins (f / (2 * (F - 1)) = f / 4), no window:
    # real = cos(-2*pi*t*f/4), imag = sin(-2*pi*t*f/4)
    t = np.arange(4).reshape(4, 1, 1)
    f = np.arange(3).reshape(1, 1, 3)
    real = np.cos(-2 * np.pi * t * f / 4).astype(np.float32)
    imag = np.sin(-2 * np.pi * t * f / 4).astype(np.float32)
    bare = {"side": "real", "window": None, "scaling": None, "periodic": False}
    assert passed(check_values(Initializer("stft", bare), [4, 1, 3], [real] * 3))
    assert failed(check_values(Initializer("stft", {**bare, "side": "imag"}), [4, 1, 3],
                               [real])) == {"exact"}
    assert passed(check_values(Initializer("stft", {**bare, "side": "imag"}), [4, 1, 3], [imag]))
    # a symmetric hann window of 4 points (0, .75, .75, 0), L2-normalised ("density")
    hann = np.array([0.0, 0.75, 0.75, 0.0]).reshape(4, 1, 1)
    windowed = (real * hann / math.sqrt(2 * 0.75 ** 2)).astype(np.float32)
    params = {**bare, "window": "hann", "scaling": "density"}
    assert passed(check_values(Initializer("stft", params), [4, 1, 3], [windowed]))
    assert failed(check_values(Initializer("stft", {**params, "periodic": True}), [4, 1, 3],
                               [windowed])) == {"exact"}
    unknown = check_values(Initializer("stft", {**params, "window": "no-such-window"}),
                           [4, 1, 3], [windowed])
    assert [c.passed for c in unknown] == [None]


def lstm_bias_composite(units: int, ones_at: int = 1) -> Initializer:
    parts = []
    for i in range(4):
        kind = "ones" if i == ones_at else "zeros"
        parts.append({"initializer": {"kind": kind}, "start": i * units,
                      "stop": (i + 1) * units})
    return Initializer("composite", {"parts": parts})


def test_composite_per_slice() -> None:
    units = 64
    bias = np.concatenate([np.zeros(units), np.ones(units), np.zeros(2 * units)]).astype(
        np.float32)
    ok = check_values(lstm_bias_composite(units), [256], [bias] * 3)
    assert passed(ok) and len(ok) == 4
    bad = check_values(lstm_bias_composite(units, ones_at=2), [256], [bias] * 3)
    assert failed(bad) == {"[64:128] exact", "[128:192] exact"}


def test_unresolved_never_agrees() -> None:
    init = Initializer("unresolved", {"expression": "self._initializer or mystery()"})
    checks = check_values(init, [32, 64], uniform_samples([32, 64], 0.25))
    assert [c.passed for c in checks] == [None]


# --------------------------------------------------------------------------- compare
def enc(arrays: list[np.ndarray]) -> list[dict[str, Any]]:
    return [{"seed": i, "encoding": "b64-f4", "n": int(a.size), "subsampled": False,
             "data": base64.b64encode(np.asarray(a, "<f4").tobytes()).decode()}
            for i, a in enumerate(arrays)]


def obs_weight(name: str, arrays: list[np.ndarray]) -> dict[str, Any]:
    a = np.asarray(arrays[0], np.float64)
    return {"name": name, "full_name": f"dense/{name}:0", "shape": list(arrays[0].shape),
            "dtype": "float32", "values": enc(arrays),
            "summary": {"n": a.size, "min": a.min(), "max": a.max(), "mean": a.mean(),
                        "std": a.std()},
            "seed_summaries": [{"min": float(x.min()), "max": float(x.max())}
                               for x in arrays[1:]]}


GLOROT_CFG = {"class": "GlorotUniform", "module": "keras.src.initializers",
              "config": {"seed": None},
              "attrs": {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}}
ZEROS_CFG = {"class": "Zeros", "module": "keras.src.initializers", "config": {}, "attrs": {}}
DENSE_FILE = "keras/src/layers/core/dense.py"


def dense_static(kernel: Initializer | None = None, path: str = DENSE_FILE) -> SymbolResult:
    return SymbolResult("tf.keras.layers.Dense", "resolved", None,
                        Location("keras", path, 10, "Dense"), [
                            Weight("kernel", [32, 64], "[input_dim, units]",
                                   kernel or glorot([32, 64]), False),
                            Weight("bias", [64], "[units]", Initializer("zeros"), False)])


def dense_obs(kernel: list[np.ndarray] | None = None, kernel_cfg: dict[str, Any] | None = None,
              ) -> dict[str, Any]:
    k = kernel if kernel is not None else uniform_samples([32, 64], 0.25)
    return {"key": "tf.keras.layers.Dense", "status": "ok",
            "runtime_source": {"source_file": DENSE_FILE},
            "initializers": {"kernel_initializer": kernel_cfg or GLOROT_CFG,
                             "bias_initializer": ZEROS_CFG},
            "weights": [obs_weight("kernel", k),
                        obs_weight("bias", [np.zeros(64, np.float32)] * 3)]}


def verdicts(ls: Any) -> dict[str, str]:
    return {w.name: w.verdict for w in ls.weights}


def test_compare_agree_and_evidence() -> None:
    ls = compare_symbol(dense_static(), dense_obs())
    assert verdicts(ls) == {"kernel": "agree", "bias": "agree"}
    assert ls.file_agrees is True
    ev = ls.weights[0].evidence
    assert ev["alpha"] == stats.ALPHA
    cfg = next(c for c in ev["checks"] if c["check"] == "initializer_config")
    assert cfg["passed"] is True and cfg["runtime_kind"] == "glorot_uniform"
    assert ls.weights[0].samples is not None and len(ls.weights[0].samples) == 300


def test_compare_detects_changed_initializer() -> None:
    normal = [np.random.default_rng(s).normal(0, 0.1, [32, 64]).astype(np.float32)
              for s in SEEDS]
    cfg = {"class": "RandomNormal", "module": "keras", "config": {"mean": 0.0, "stddev": 0.1},
           "attrs": {"mean": 0.0, "stddev": 0.1}}
    ls = compare_symbol(dense_static(), dense_obs(normal, cfg))
    assert verdicts(ls) == {"kernel": "disagree", "bias": "agree"}
    failed_checks = {c["check"] for c in ls.weights[0].evidence["checks"] if c["passed"] is False}
    assert {"bounds", "ks", "initializer_config"} <= failed_checks


def test_compare_config_params_and_file() -> None:
    # static says he_uniform; runtime object is a VarianceScaling(2, fan_in, uniform) but the
    # values are glorot-sized: config agrees, values do not
    he = Initializer("variance_scaling", {"scale": 2.0, "mode": "fan_in",
                                          "distribution": "uniform"})
    vs_cfg = {"class": "VarianceScaling", "config": {"scale": 2.0, "mode": "fan_in",
                                                     "distribution": "uniform"}}
    ls = compare_symbol(dense_static(he), dense_obs(kernel_cfg=vs_cfg))
    checks = {c["check"]: c["passed"] for c in ls.weights[0].evidence["checks"]}
    assert checks["initializer_config"] is True and checks["bounds"] is True
    assert checks["variance"] is False and checks["ks"] is False
    assert ls.weights[0].verdict == "disagree"
    ls = compare_symbol(dense_static(path="tensorflow/python/ops/rnn_cell_impl.py"),
                        dense_obs())
    assert ls.file_agrees is False and set(verdicts(ls).values()) == {"disagree"}


def test_compare_shape_missing_and_extra_weights() -> None:
    sr = dense_static()
    sr.weights[1].shape = [32]
    sr.weights.append(Weight("w_f_diag", [64], "[units]", glorot([64]), True,
                             condition="use_peepholes"))
    sr.weights.append(Weight("gamma", [64], "[units]", Initializer("ones"), False))
    obs = dense_obs()
    obs["weights"].append(obs_weight("extra", [np.zeros(3, np.float32)]))
    ls = compare_symbol(sr, obs)
    assert verdicts(ls) == {"kernel": "agree", "bias": "disagree", "gamma": "disagree",
                            "extra": "disagree"}
    assert ls.message and "w_f_diag" in ls.message


def test_compare_unresolved_is_inconclusive() -> None:
    sr = dense_static(Initializer("unresolved", {"expression": "foo()"}))
    assert verdicts(compare_symbol(sr, dense_obs()))["kernel"] == "inconclusive"


def test_compare_availability() -> None:
    refused = {"key": "tf.keras.layers.Dense", "status": "unavailable",
               "message": "AttributeError: `Dense` is not available with Keras 3."}
    ls = compare_symbol(dense_static(), refused)
    assert ls.status == "unavailable" and set(verdicts(ls).values()) == {"disagree"}
    both = SymbolResult("tf.keras.layers.Dense", "unavailable", "Keras 3")
    ls = compare_symbol(both, refused)
    assert ls.status == "unavailable" and not ls.weights and "Keras 3" in (ls.message or "")
    ls = compare_symbol(SymbolResult("tf.keras.layers.Dense", "absent"), dense_obs())
    assert set(verdicts(ls).values()) == {"disagree"}


def test_forget_bias_adjustment() -> None:
    sr = SymbolResult("tf.nn.rnn_cell.LSTMCell", "resolved", None, None, [
        Weight("bias", [256], "", Initializer("zeros"), False, runtime_adjustments=[
            RuntimeAdjustment("forget_bias", 1.0, "forget gate", "x.py", 1)])])
    obs = {"key": sr.symbol, "status": "ok", "weights": [
        obs_weight("bias", [np.zeros(256, np.float32)] * 3)],
        "adjustments": {"forget_bias": {"observed": 1.0000001}}}
    assert verdicts(compare_symbol(sr, obs)) == {"bias": "agree"}
    obs["adjustments"]["forget_bias"]["observed"] = 0.0
    assert verdicts(compare_symbol(sr, obs)) == {"bias": "disagree"}
    sr.weights[0].runtime_adjustments = []  # static misses the adjustment the step shows
    obs["adjustments"]["forget_bias"]["observed"] = 1.0
    assert verdicts(compare_symbol(sr, obs)) == {"bias": "disagree"}


def test_runtime_kind_mapping() -> None:
    tf1_normal = {"class": "VarianceScaling",
                  "attrs": {"scale": 1.0, "mode": "fan_avg", "distribution": "normal"}}
    assert runtime_kind(tf1_normal)[0] == "glorot_normal"
    assert runtime_kind({"class": "Orthogonal", "attrs": {"gain": 1.0}}) == (
        "orthogonal", {"gain": 1.0})
    assert runtime_kind({"class": "Zeros"})[0] == "zeros"
    assert runtime_kind({"class": "Mystery"})[0] is None


def test_compare_run_summary() -> None:
    probe = {"python": "3.11.7", "tensorflow_runtime": "2.15.1", "keras": "2.15.0",
             "symbols": [dense_obs()]}
    run = compare_run("/x/python", [dense_static(), SymbolResult("tf.layers.Dense", "resolved")],
                      probe)
    assert run.summary == {"agree": 2, "disagree": 0, "inconclusive": 0}
    assert run.symbols[1].status == "error"
    assert run.tensorflow == "2.15.1" and run.keras == "2.15.0"


def test_compare_config_none_means_decided_when_called() -> None:
    # 1.x RandomUniform keeps maxval=None in its config and uses 1 when called; the static side
    # followed that rule (maxval 1). The config check must not call that a mismatch; the values
    # decide: U[0, 1) agrees, U[0, 2) does not.
    static_u01 = Initializer("random_uniform", {"minval": 0, "maxval": 1})
    cfg = {"class": "RandomUniform", "config": {"minval": 0, "maxval": None, "seed": None}}
    good = [np.random.default_rng(s).uniform(0, 1, [32, 64]).astype(np.float32) for s in SEEDS]
    ls = compare_symbol(dense_static(static_u01), dense_obs(good, cfg))
    checks = {c["check"]: c for c in ls.weights[0].evidence["checks"]}
    assert checks["initializer_config"]["passed"] is True
    assert "maxval None in the config" in checks["initializer_config"]["detail"]
    assert ls.weights[0].verdict == "agree"
    wide = [np.random.default_rng(s).uniform(0, 2, [32, 64]).astype(np.float32) for s in SEEDS]
    ls = compare_symbol(dense_static(static_u01), dense_obs(wide, cfg))
    assert ls.weights[0].verdict == "disagree"


def test_a_weight_missing_because_the_building_call_failed_is_inconclusive() -> None:
    obs = dense_obs()
    obs["weights"] = obs["weights"][:1]  # the bias was to be made by a call that failed
    ls = compare_symbol(dense_static(), obs)
    assert verdicts(ls) == {"kernel": "agree", "bias": "disagree"}  # the build completed
    obs["build_error"] = "IndexError: tuple index out of range"
    ls = compare_symbol(dense_static(), obs)
    assert verdicts(ls) == {"kernel": "agree", "bias": "inconclusive"}
    assert "IndexError" in ls.weights[1].evidence["reason"]


def test_a_sub_layer_weight_is_matched_by_any_of_its_names() -> None:
    obs = dense_obs()
    obs["weights"][0] = {**obs["weights"][0], "name": "query_dense/kernel",
                         "aliases": ["query/kernel"]}
    static = dense_static()
    static.weights[0].name = "query/kernel"
    assert verdicts(compare_symbol(static, obs)) == {"query/kernel": "agree", "bias": "agree"}


def test_a_layer_that_could_not_be_built_here_is_inconclusive() -> None:
    obs = {"key": "tf.keras.layers.Dense", "status": "unavailable",
           "message": "ImportError: This requires the scipy module."}
    ls = compare_symbol(dense_static(), obs)
    assert verdicts(ls) == {"kernel": "inconclusive", "bias": "inconclusive"}
    obs["message"] = "TypeError: bad argument"  # the name itself fails: a disagreement
    assert verdicts(compare_symbol(dense_static(), obs)) == {"kernel": "disagree",
                                                            "bias": "disagree"}
    obs["build_failed"] = True  # building it on the static side's input failed: no evidence
    ls = compare_symbol(dense_static(), obs)
    assert verdicts(ls) == {"kernel": "inconclusive", "bias": "inconclusive"}
    assert "building it with the static side's arguments and input failed (TypeError" \
        in ls.weights[0].evidence["reason"]
