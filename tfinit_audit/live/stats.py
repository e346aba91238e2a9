"""Checks of observed weight values against a predicted initializer, with a stated error rate.

Random initializers are judged by a family of tests on the values pooled over independent seeds:

* bounds: uniform values must lie in [low, high], truncated normals in mean ± 2σ (σ is the
  stddev *parameter* of the truncated normal, TF's convention). Deterministic: no false alarms
  beyond float32 rounding, which a relative slack of 1e-6 absorbs;
* moments: z-tests of the sample mean and of the sample variance (variance of s² from the
  predicted fourth moment);
* goodness of fit: one-sample Kolmogorov–Smirnov test against the predicted distribution.

The three random tests share a per-weight false-alarm budget ``ALPHA = 1e-4`` by Bonferroni
(each runs at ``ALPHA / 3``), so a correct prediction is called ``disagree`` at most once in
10 000 weights (moment tests: asymptotically). A clearly wrong prediction — e.g. a
normal(0, 0.1) sample judged against glorot_uniform for a [32, 64] kernel — fails bounds, the
variance test and KS with p-values far below 1e-30 at the sample sizes used (thousands).

Deterministic initializers (zeros, ones, constant, identity, composite slices of those) are
compared exactly; orthogonal ones by orthonormality of rows/columns and the gain.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tfinit_audit.analysis.model import Initializer
from tfinit_audit.analysis.rules.vocabulary import fans_of

ALPHA = 1e-4  # per-weight false-alarm rate of the statistical tests (Bonferroni over 3 tests)
MIN_SAMPLES = 30  # fewer pooled values than this: too weak to call agree -> inconclusive
TRUNCATED_NORMAL_FACTOR = 0.87962566103423978  # stddev of N(0,1) truncated to [-2, 2]
ORTHOGONAL_RTOL = 1e-4  # |QᵀQ - g²I| tolerance relative to g² (float32 QR error is ~1e-6)
EXACT_ULPS = 4  # a constant TensorFlow computed with its own kernels (e.g. GDN's sqrt(1 + 2**-36),
# 0.99999994 in float32 on a CPU whose sqrt goes through rsqrt) may differ by a few units in the
# last place of the variable's dtype; zeros stay exactly zero

_PRESETS: dict[str, tuple[float, str, str]] = {
    "glorot_uniform": (1.0, "fan_avg", "uniform"),
    "glorot_normal": (1.0, "fan_avg", "truncated_normal"),
    "he_uniform": (2.0, "fan_in", "uniform"),
    "he_normal": (2.0, "fan_in", "truncated_normal"),
    "lecun_uniform": (1.0, "fan_in", "uniform"),
    "lecun_normal": (1.0, "fan_in", "truncated_normal"),
}
RANDOM_KINDS = frozenset(
    [*_PRESETS, "variance_scaling", "random_uniform", "random_normal", "truncated_normal",
     "uniform_unit_scaling"]
)
EXACT_KINDS = frozenset(["zeros", "ones", "constant", "identity"])


@dataclass
class Check:
    """One test with its outcome: passed True/False, or None when it could not be decided."""

    check: str
    passed: bool | None
    detail: str
    data: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"check": self.check, "passed": self.passed, "detail": self.detail, **self.data}


@dataclass
class Distribution:
    """A predicted value distribution: uniform(low, high), normal or truncated normal (±2σ)."""

    family: str  # uniform | normal | truncated_normal
    low: float = 0.0
    high: float = 0.0
    mean: float = 0.0
    stddev: float = 0.0

    def frozen(self) -> Any:
        from scipy import stats as sps  # imported on use: importing scipy costs ~0.7 s

        if self.family == "uniform":
            return sps.uniform(loc=self.low, scale=self.high - self.low)
        if self.family == "normal":
            return sps.norm(loc=self.mean, scale=self.stddev)
        return sps.truncnorm(-2.0, 2.0, loc=self.mean, scale=self.stddev)

    def bounds(self) -> tuple[float, float] | None:
        if self.family == "uniform":
            return self.low, self.high
        if self.family == "truncated_normal":
            return self.mean - 2 * self.stddev, self.mean + 2 * self.stddev
        return None

    def describe(self) -> dict[str, Any]:
        if self.family == "uniform":
            return {"family": "uniform", "low": self.low, "high": self.high}
        return {"family": self.family, "mean": self.mean, "stddev": self.stddev}


def predicted_distribution(init: Initializer, shape: list[int] | None) -> tuple[
    Distribution | None, str
]:
    """Distribution the static answer predicts for a random kind; (None, why) if it cannot.

    The static answer's own ``limit`` / ``stddev`` for the concrete shape are used when present
    (they are what is being verified); otherwise they are derived from kind, params and shape.
    """
    p = init.params or {}
    kind = init.kind
    if kind in _PRESETS or kind == "variance_scaling":
        scale0, mode0, dist0 = _PRESETS.get(kind, (None, None, None))
        scale = _num(p.get("scale", scale0))
        mode = str(p.get("mode", mode0))
        distribution = str(p.get("distribution", dist0))
        if init.limit is not None and distribution == "uniform":
            return Distribution("uniform", -init.limit, init.limit), "static limit"
        if init.stddev is not None and distribution != "uniform":
            fam = "normal" if distribution == "untruncated_normal" else "truncated_normal"
            return Distribution(fam, stddev=init.stddev), "static stddev"
        if scale is None or mode not in ("fan_in", "fan_out", "fan_avg") or shape is None:
            return None, (f"cannot derive {kind} parameters "
                          f"(scale={scale}, mode={mode}, shape={shape})")
        fans = fans_of(p, shape)  # the release's own, over Keras 3.15+ axes, or the usual
        if fans is None:
            return None, (f"the fans are taken over axes the static answer does not know "
                          f"(input_axes={p.get('input_axes')}, "
                          f"output_axes={p.get('output_axes')})")
        fan_in, fan_out = fans
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
        s = scale / max(1.0, fan)
        if distribution == "uniform":
            lim = math.sqrt(3.0 * s)
            return Distribution("uniform", -lim, lim), "derived from shape"
        if distribution == "untruncated_normal":
            return Distribution("normal", stddev=math.sqrt(s)), "derived from shape"
        if distribution in ("truncated_normal", "normal"):
            return (
                Distribution("truncated_normal", stddev=math.sqrt(s) / TRUNCATED_NORMAL_FACTOR),
                "derived from shape",
            )
        return None, f"unknown variance-scaling distribution {distribution!r}"
    if kind == "random_uniform":
        lo, hi = _num(p.get("minval")), _num(p.get("maxval"))
        if lo is None or hi is None:
            return None, "static answer lacks minval/maxval"
        return Distribution("uniform", lo, hi), "static params"
    if kind == "uniform_unit_scaling":
        if init.limit is not None:
            return Distribution("uniform", -init.limit, init.limit), "static limit"
        factor = _num(p.get("factor"))
        if factor is None or not shape:
            return None, "static answer lacks factor or shape"
        lim = math.sqrt(3 / max(float(np.prod(shape[:-1])), 1.0)) * factor
        return Distribution("uniform", -lim, lim), "derived from shape"
    if kind in ("random_normal", "truncated_normal"):
        mean = _num(p.get("mean", 0.0 if "stddev" in p else None))
        sd = _num(p.get("stddev", init.stddev))
        if mean is None or sd is None:
            return None, "static answer lacks mean/stddev"
        fam = "normal" if kind == "random_normal" else "truncated_normal"
        return Distribution(fam, mean=mean, stddev=sd), "static params"
    return None, f"{kind} is not a random distribution"


def _num(v: Any) -> float | None:
    try:
        return None if v is None else float(v)
    except (TypeError, ValueError):
        return None


def distribution_checks(samples: list[np.ndarray], dist: Distribution, alpha: float = ALPHA,
                      extremes: list[tuple[float, float]] | None = None) -> list[Check]:
    """Bounds, mean, variance and KS tests of ``samples`` (one array per seed, pooled).

    ``extremes`` are (min, max) over each full tensor when the samples are a subsample.
    """
    x = np.concatenate([np.asarray(s, dtype=np.float64).reshape(-1) for s in samples])
    n = x.size
    checks: list[Check] = []
    if n < MIN_SAMPLES:
        return [Check("distribution", None, f"only {n} values; at least {MIN_SAMPLES} needed")]
    from scipy import stats as sps

    frozen = dist.frozen()
    b = dist.bounds()
    lo_obs = min([float(x.min())] + [e[0] for e in extremes or []])
    hi_obs = max([float(x.max())] + [e[1] for e in extremes or []])
    if b is not None:
        slack = 1e-6 * max(abs(b[0]), abs(b[1]), 1e-30)
        ok = lo_obs >= b[0] - slack and hi_obs <= b[1] + slack
        checks.append(Check("bounds", ok,
                            f"observed [{lo_obs:.6g}, {hi_obs:.6g}] vs predicted "
                            f"[{b[0]:.6g}, {b[1]:.6g}]",
                            {"observed_min": lo_obs, "observed_max": hi_obs,
                             "predicted_low": b[0], "predicted_high": b[1]}))
    each = alpha / 3.0
    mu, var = float(frozen.mean()), float(frozen.var())
    kurt = float(frozen.stats(moments="k"))  # excess kurtosis
    m = float(x.mean())
    s2 = float(x.var(ddof=1))
    z_mean = (m - mu) / math.sqrt(var / n)
    p_mean = float(2 * sps.norm.sf(abs(z_mean)))
    var_of_s2 = (kurt + 2.0) * var * var / n  # (mu4 - sigma^4) / n
    z_var = (s2 - var) / math.sqrt(var_of_s2)
    p_var = float(2 * sps.norm.sf(abs(z_var)))
    checks.append(Check("mean", p_mean >= each,
                        f"mean {m:.4g} vs {mu:.4g}: z={z_mean:.2f}, p={p_mean:.3g}",
                        {"observed": m, "predicted": mu, "z": z_mean, "p": p_mean,
                         "threshold": each}))
    checks.append(Check("variance", p_var >= each,
                        f"std {math.sqrt(s2):.4g} vs {math.sqrt(var):.4g}: z={z_var:.2f}, "
                        f"p={p_var:.3g}",
                        {"observed_std": math.sqrt(s2), "predicted_std": math.sqrt(var),
                         "z": z_var, "p": p_var, "threshold": each}))
    ks = sps.kstest(x, frozen.cdf)
    p_ks = float(ks.pvalue)
    checks.append(Check("ks", p_ks >= each,
                        f"Kolmogorov-Smirnov D={float(ks.statistic):.4g}, p={p_ks:.3g} "
                        f"(n={n}, threshold {each:.3g})",
                        {"statistic": float(ks.statistic), "p": p_ks, "n": n,
                         "threshold": each}))
    return checks


def exact_check(samples: list[np.ndarray], expected: np.ndarray | float, what: str) -> Check:
    """Every value of every seed equals ``expected`` after casting to its dtype, up to
    ``EXACT_ULPS`` units in the last place of that dtype (none for an integer dtype)."""
    worst, tol = 0.0, 0.0
    for s in samples:
        a = np.asarray(s)
        e = np.broadcast_to(np.asarray(expected, dtype=a.dtype), a.shape)
        if a.size:
            e64 = e.astype(np.float64)
            worst = max(worst, float(np.max(np.abs(a.astype(np.float64) - e64))))
            if np.issubdtype(a.dtype, np.floating):
                ulp = float(np.finfo(a.dtype).eps)
                tol = max(tol, EXACT_ULPS * ulp * float(np.max(np.abs(e64))))
    ok = worst <= tol
    return Check("exact", ok, f"{what}: max |difference| = {worst:.3g} over {len(samples)} seeds"
                 + (f" (tolerance {tol:.3g}: {EXACT_ULPS} ulps)" if tol else ""),
                 {"max_abs_diff": worst, "tolerance": tol})


def orthogonal_checks(samples: list[np.ndarray], shape: list[int], gain: float) -> list[Check]:
    """Rows (or columns, the smaller side) orthonormal up to gain²; values differ per seed."""
    if len(shape) < 2:
        return [Check("orthogonal", None, f"shape {shape} has fewer than 2 dimensions")]
    rows, cols = int(np.prod(shape[:-1])), int(shape[-1])
    worst = 0.0
    gains = []
    for s in samples:
        q = np.asarray(s, dtype=np.float64).reshape(rows, cols)
        g = q @ q.T if rows < cols else q.T @ q
        d = float(np.mean(np.diag(g)))
        gains.append(math.sqrt(max(d, 0.0)))
        worst = max(worst, float(np.max(np.abs(g - gain * gain * np.eye(g.shape[0])))))
    tol = ORTHOGONAL_RTOL * max(gain * gain, 1e-12)
    side = "rows" if rows < cols else "columns"
    checks = [Check("orthogonal", worst <= tol,
                    f"{side} orthonormal: max |G - gain²·I| = {worst:.3g} (tolerance {tol:.3g}); "
                    f"observed gain {np.mean(gains):.6g} vs {gain:.6g}",
                    {"max_abs_dev": worst, "tolerance": tol, "observed_gain": float(np.mean(gains)),
                     "predicted_gain": gain, "side": side})]
    if len(samples) > 1:
        distinct = not all(np.array_equal(samples[0], s) for s in samples[1:])
        checks.append(Check("random", distinct,
                            "values differ between seeds" if distinct
                            else "values identical for every seed (not a random orthogonal)"))
    return checks


def expected_exact(init: Initializer, shape: list[int]) -> np.ndarray | float | None:
    """Exact values of a deterministic kind for ``shape`` (None if not deterministic)."""
    p = init.params or {}
    if init.kind == "zeros":
        return 0.0
    if init.kind == "ones":
        return 1.0
    if init.kind == "constant":
        v = p.get("value")
        try:
            return None if v is None else np.broadcast_to(np.asarray(v, dtype=np.float64),
                                                          shape)
        except (TypeError, ValueError):  # a value the static side describes but has no number for
            return None
    if init.kind == "identity" and len(shape) == 2:
        return float(p.get("gain", 1.0)) * np.eye(shape[0], shape[1])
    return None


def check_values(init: Initializer, shape: list[int], samples: list[np.ndarray],
                 extremes: list[tuple[float, float]] | None = None) -> list[Check]:
    """All value checks for one initializer (recursing into composite slices); an
    ``expression`` is checked by live/expressions.py."""
    kind = init.kind
    if kind == "unresolved":
        return [Check("values", None, "static answer is unresolved: "
                      + str((init.params or {}).get("expression", "")))]
    if kind == "composite":
        return _check_composite(init, shape, samples)
    if kind in EXACT_KINDS:
        exp = expected_exact(init, shape)
        if exp is None:
            return [Check("exact", None, f"cannot compute exact values of {kind} for {shape}")]
        return [exact_check(samples, exp, kind)]
    if kind == "orthogonal":
        gain = _num((init.params or {}).get("gain", 1.0))
        return orthogonal_checks(samples, shape, 1.0 if gain is None else gain)
    if kind in RANDOM_KINDS:
        dist, why = predicted_distribution(init, shape)
        if dist is None:
            return [Check("distribution", None, why)]
        checks = distribution_checks(samples, dist, extremes=extremes)
        for c in checks:
            c.data.setdefault("predicted_distribution", dist.describe())
            c.data.setdefault("prediction_source", why)
        return checks
    if kind == "stft":
        return [stft_check(init, shape, samples)]
    return [Check("values", None, f"no value test for initializer kind {kind!r}")]


STFT_TOLERANCE = 1e-3  # of the largest expected value: TensorFlow computes the basis in float32


def stft_expected(params: dict[str, Any], shape: list[int]) -> np.ndarray | None:
    """The short-time Fourier transform basis Keras' ``initializers.STFT`` builds for
    ``shape`` = (frame length T, 1, F): the cos (``side`` "real") or sin ("imag") of
    ``-2*pi*t*f / (2*(F-1))``, times the window ``scipy.signal.get_window(window, T,
    fftbins=periodic)``, divided by the window's L2 norm (``scaling`` "density") or L1 norm
    ("spectrum"); None for a shape or parameter it does not describe."""
    if len(shape) != 3 or shape[2] < 2 or params.get("side") not in ("real", "imag"):
        return None
    frames, _, bins = shape
    t = np.arange(frames, dtype=np.float64).reshape(frames, 1, 1)
    f = np.arange(bins, dtype=np.float64).reshape(1, 1, bins) / ((bins - 1) * 2)
    args = -2.0 * t * f * math.pi
    kernel = np.cos(args) if params["side"] == "real" else np.sin(args)
    window = params.get("window")
    if window is None:
        return np.broadcast_to(kernel, shape).copy()
    if not isinstance(window, str):
        return None
    from scipy import signal  # imported on use, as the distributions are

    try:
        win = np.asarray(signal.get_window(window, frames, fftbins=bool(params.get("periodic"))),
                         dtype=np.float64).reshape(frames, 1, 1)
    except (ValueError, TypeError):
        return None
    scaling = params.get("scaling")
    norm = (math.sqrt(float(np.sum(win * win))) if scaling == "density"
            else float(np.sum(np.abs(win))) if scaling == "spectrum" else 1.0)
    return np.broadcast_to(kernel * win / norm, shape).copy()


def stft_check(init: Initializer, shape: list[int], samples: list[np.ndarray]) -> Check:
    """Every seed's values equal the basis ``stft_expected`` gives, within float32 rounding
    (``STFT_TOLERANCE`` of its largest value)."""
    exp = stft_expected(init.params or {}, shape)
    if exp is None:
        return Check("exact", None, f"cannot compute the stft basis for {shape} and "
                                    f"{init.params}")
    tol = STFT_TOLERANCE * float(np.max(np.abs(exp)) or 1.0)
    worst = max((float(np.max(np.abs(np.asarray(s, dtype=np.float64).reshape(exp.shape) - exp)))
                 for s in samples if np.asarray(s).size == exp.size), default=None)
    if worst is None:
        return Check("exact", None, "no sample with the full shape")
    return Check("exact", worst <= tol, f"stft: max |difference| = {worst:.3g} over "
                                        f"{len(samples)} seeds (tolerance {tol:.3g})",
                 {"max_abs_diff": worst, "tolerance": tol})


def _part_init(part: dict[str, Any]) -> Initializer:
    i = part.get("initializer")
    if isinstance(i, Initializer):
        return i
    if isinstance(i, dict):
        return Initializer(kind=str(i.get("kind", "unresolved")), params=i.get("params") or {},
                           limit=i.get("limit"), stddev=i.get("stddev"))
    return Initializer(kind="unresolved", params={"expression": repr(i)})


def _check_composite(init: Initializer, shape: list[int], samples: list[np.ndarray]) -> list[Check]:
    parts = (init.params or {}).get("parts") or []
    if not parts:
        return [Check("composite", None, "composite without parts")]
    out: list[Check] = []
    covered = 0
    last = shape[-1]
    for part in sorted(parts, key=lambda q: int(q.get("start", 0))):
        start, stop = int(part.get("start", 0)), int(part.get("stop", last))
        sub = _part_init(part)
        sub_shape = [*shape[:-1], stop - start]
        sub_samples = [np.asarray(s).reshape(shape)[..., start:stop] for s in samples]
        for c in check_values(sub, sub_shape, sub_samples):
            c.check = f"[{start}:{stop}] {c.check}"
            c.detail = f"slice [{start}:{stop}] ({sub.kind}): {c.detail}"
            out.append(c)
        if start != covered:
            out.append(Check("composite", False, f"parts leave a gap or overlap at {covered}"))
        covered = stop
    if covered != last:
        out.append(Check("composite", False, f"parts cover [0:{covered}] of last axis {last}"))
    return out
