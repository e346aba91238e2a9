"""Geometry for the small inline SVG charts of the live section: a density histogram of the
sampled values against the density (or point masses, or bounds) the static answer predicts.

Pure numbers here; ``templates/_chart.html.j2`` draws them (autoescaped like everything else).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tfinit_audit.analysis.model import Initializer
from tfinit_audit.report import fmt

W, H = 320.0, 150.0
PAD_L, PAD_R, PAD_T, PAD_B = 8.0, 8.0, 10.0, 26.0
BINS = 24

_RANDOM = {
    "glorot_uniform",
    "he_uniform",
    "lecun_uniform",
    "glorot_normal",
    "he_normal",
    "lecun_normal",
    "variance_scaling",
    "random_uniform",
    "random_normal",
    "truncated_normal",
}


@dataclass
class Predicted:
    """What the static answer says the values look like."""

    label: str
    density: Callable[[float], float] | None = None
    support: tuple[float, float] | None = None  # where the density is non-zero
    spikes: list[tuple[float, float]] = field(default_factory=list)  # (value, probability)
    bounds: list[float] = field(default_factory=list)  # hard limits to draw


@dataclass
class Chart:
    title: str
    desc: str
    width: float = W
    height: float = H
    bars: list[tuple[float, float, float, float]] = field(default_factory=list)  # x, y, w, h
    curve: str = ""  # SVG polyline points
    spikes: list[tuple[float, float]] = field(default_factory=list)  # x, top y
    bounds: list[tuple[float, str]] = field(default_factory=list)  # x, label
    ticks: list[tuple[float, str]] = field(default_factory=list)
    baseline: float = H - PAD_B
    left: float = PAD_L
    right: float = W - PAD_R
    stats: dict[str, str] = field(default_factory=dict)
    predicted_label: str = ""


def _normal_pdf(mean: float, sd: float) -> Callable[[float], float]:
    def f(x: float) -> float:
        return math.exp(-0.5 * ((x - mean) / sd) ** 2) / (sd * math.sqrt(2 * math.pi))

    return f


def _truncated_pdf(mean: float, sd: float, k: float = 2.0) -> Callable[[float], float]:
    mass = math.erf(k / math.sqrt(2))
    base = _normal_pdf(mean, sd)

    def f(x: float) -> float:
        return base(x) / mass if abs(x - mean) <= k * sd else 0.0

    return f


def _uniform_pdf(lo: float, hi: float) -> Callable[[float], float]:
    def f(x: float) -> float:
        return 1.0 / (hi - lo) if lo <= x <= hi else 0.0

    return f


def _f(x: Any) -> float | None:
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else None


def predicted(init: Initializer, shape: list[int] | None) -> Predicted | None:
    """Distribution of one weight's starting values from its static initializer, or None."""
    k, p = init.kind, init.params
    if k in _RANDOM:
        # the same prediction the live check tested against (one source of truth); numpy is
        # imported only when a chart is drawn
        from tfinit_audit.live.stats import predicted_distribution

        dist, _why = predicted_distribution(init, shape)
        if dist is None:
            return None
        if dist.family == "uniform":
            lo, hi = dist.low, dist.high
            if hi <= lo:
                return Predicted(f"constant {fmt.num(lo)}", spikes=[(lo, 1.0)])
            label = (
                f"uniform ±{fmt.num(hi)}"
                if abs(lo + hi) < 1e-12
                else f"uniform [{fmt.num(lo)}, {fmt.num(hi)}]"
            )
            return Predicted(label, _uniform_pdf(lo, hi), (lo, hi), bounds=[lo, hi])
        mean, sd = dist.mean, dist.stddev
        if sd <= 0:
            return None
        if dist.family == "truncated_normal":
            return Predicted(
                f"truncated normal σ={fmt.num(sd)} (±2σ)",
                _truncated_pdf(mean, sd),
                (mean - 2 * sd, mean + 2 * sd),
                bounds=[mean - 2 * sd, mean + 2 * sd],
            )
        return Predicted(
            f"normal σ={fmt.num(sd)}", _normal_pdf(mean, sd), (mean - 4 * sd, mean + 4 * sd)
        )
    if k == "orthogonal":
        gain = _f(p.get("gain")) or 1.0
        if not shape or len(shape) < 2:
            return None
        rows = math.prod(shape[:-1])
        sd = gain / math.sqrt(max(rows, shape[-1]))
        return Predicted(
            f"≈ normal σ={fmt.num(sd)} (orthogonal)", _normal_pdf(0.0, sd), (-4 * sd, 4 * sd)
        )
    if k in ("zeros", "ones", "constant"):
        v = {"zeros": 0.0, "ones": 1.0}.get(k, _f(p.get("value")))
        if v is None:
            return None
        return Predicted(f"all {fmt.num(v)}", spikes=[(v, 1.0)])
    if k == "identity":
        gain = _f(p.get("gain")) or 1.0
        if not shape or len(shape) != 2:
            return None
        diag = min(shape) / (shape[0] * shape[1])
        return Predicted(f"identity × {fmt.num(gain)}", spikes=[(0.0, 1 - diag), (gain, diag)])
    if k == "composite":
        return _composite(init, shape)
    return None


def _composite(init: Initializer, shape: list[int] | None) -> Predicted | None:
    parts = fmt._parts(init)
    total = sum(max(0, int(pt.get("stop", 0)) - int(pt.get("start", 0))) for pt in parts)
    if not parts or total <= 0:
        return None
    subs: list[tuple[float, Predicted]] = []
    for pt in parts:
        size = int(pt.get("stop", 0)) - int(pt.get("start", 0))
        sub_shape = [*(shape or [])[:-1], size] if shape else [size]
        pr = predicted(fmt._part_init(pt), sub_shape)
        if pr is None:
            return None
        subs.append((size / total, pr))
    dens = [(w, pr.density) for w, pr in subs if pr.density is not None]

    def f(x: float) -> float:
        return sum(w * d(x) for w, d in dens)

    supports = [pr.support for _, pr in subs if pr.support]
    support = (min(s[0] for s in supports), max(s[1] for s in supports)) if supports else None
    spikes: dict[float, float] = {}
    for w, pr in subs:
        for v, prob in pr.spikes:
            spikes[v] = spikes.get(v, 0.0) + w * prob
    if dens:
        label = " + ".join(f"{w:.0%} {pr.label}" for w, pr in subs)
    else:  # only point masses: say where the mass sits
        label = ", ".join(f"{p:.0%} at {fmt.num(v)}" for v, p in sorted(spikes.items()))
    return Predicted(label, f if dens else None, support, sorted(spikes.items()))


def build_chart(
    title: str,
    samples: list[float],
    pred: Predicted | None,
    evidence_bounds: list[float] | None = None,
) -> Chart | None:
    """Histogram (density) of ``samples`` with the prediction drawn over it."""
    xs = [float(x) for x in samples if isinstance(x, (int, float)) and math.isfinite(float(x))]
    if not xs:
        return None
    n = len(xs)
    mean = sum(xs) / n
    sd = math.sqrt(sum((x - mean) ** 2 for x in xs) / n)
    lo, hi = min(xs), max(xs)
    extra = list(evidence_bounds or [])
    if pred is not None:
        extra += pred.bounds + [v for v, _ in pred.spikes]
        if pred.support:
            extra += list(pred.support)
    if extra:
        lo, hi = min(lo, *extra), max(hi, *extra)
    if hi - lo < 1e-12:
        lo, hi = lo - 1.0, hi + 1.0
    span = hi - lo
    lo, hi = lo - 0.06 * span, hi + 0.06 * span
    left, right, top, base = PAD_L, W - PAD_R, PAD_T, H - PAD_B

    def sx(x: float) -> float:
        return left + (x - lo) / (hi - lo) * (right - left)

    width = (hi - lo) / BINS
    counts = [0] * BINS
    for x in xs:
        counts[min(BINS - 1, int((x - lo) / width))] += 1
    dens = [c / (n * width) for c in counts]
    curve_pts: list[tuple[float, float]] = []
    if pred is not None and pred.density is not None:
        steps = 160
        for i in range(steps + 1):
            x = lo + (hi - lo) * i / steps
            curve_pts.append((x, pred.density(x)))
    ymax = max([*dens, *(y for _, y in curve_pts)], default=1.0) or 1.0
    ymax *= 1.08

    def sy(y: float) -> float:
        return base - y / ymax * (base - top)

    chart = Chart(title=title, desc="", baseline=base, left=left, right=right)
    for i, d in enumerate(dens):
        if d <= 0:
            continue
        x0 = sx(lo + i * width)
        chart.bars.append(
            (x0 + 0.5, sy(d), max(0.5, sx(lo + (i + 1) * width) - x0 - 1.0), base - sy(d))
        )
    chart.curve = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in curve_pts)
    if pred is not None:
        chart.spikes = [(sx(v), top) for v, _ in pred.spikes]
        chart.bounds = [(sx(b), fmt.num(b)) for b in pred.bounds]
        chart.predicted_label = pred.label
    for b in evidence_bounds or []:
        if pred is None or all(abs(b - x) > 1e-9 for x in pred.bounds):
            chart.bounds.append((sx(b), fmt.num(b)))
    chart.ticks = [(sx(t), fmt.num(t)) for t in _ticks(lo, hi)]
    chart.stats = {
        "n": str(n),
        "min": fmt.num(min(xs)),
        "max": fmt.num(max(xs)),
        "mean": fmt.num(mean),
        "sd": fmt.num(sd),
    }
    pdesc = f"; predicted: {pred.label}" if pred else "; no static prediction to compare"
    chart.desc = (
        f"Histogram of {n} sampled values from {fmt.num(min(xs))} to {fmt.num(max(xs))}, "
        f"mean {fmt.num(mean)}, standard deviation {fmt.num(sd)}{pdesc}."
    )
    return chart


def _ticks(lo: float, hi: float) -> list[float]:
    """Three to five round tick values inside [lo, hi]."""
    span = hi - lo
    step = 10 ** math.floor(math.log10(span / 4))
    for m in (1, 2, 5, 10):
        if span / (step * m) <= 5:
            step *= m
            break
    first = math.ceil(lo / step) * step
    out: list[float] = []
    t = first
    while t <= hi + 1e-12 and len(out) < 8:
        out.append(round(t, 12) + 0.0)
        t += step
    return out
