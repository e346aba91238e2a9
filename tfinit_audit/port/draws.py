"""Each weight's initializer as a concrete draw: a distribution family with its numbers.

The numbers are TensorFlow's, for TensorFlow's shape of the weight: fans from ``fans_of`` (the
release's own when they are not the usual ones, over Keras 3.15+ ``input_axes``/``output_axes``
where the initializer names them, else ``compute_fans``: the concatenated ``[input + hidden,
4 * units]`` kernel of a TF 1.x LSTM cell gives one glorot limit for what PyTorch splits into
``weight_ih`` and ``weight_hh``), limits and standard deviations from ``with_numbers``. A
target's vocabulary table then says which call draws each family (``port/targets/*.py``).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field

from tfinit_audit.analysis.model import Initializer, Weight
from tfinit_audit.analysis.rules.vocabulary import DEFAULT_TRUNCATION, fans_of, with_numbers
from tfinit_audit.port.model import PortError

_VS_PRESETS = {
    "glorot_uniform": (1.0, "fan_avg", "uniform"), "glorot_normal": (1.0, "fan_avg", "normal"),
    "he_uniform": (2.0, "fan_in", "uniform"), "he_normal": (2.0, "fan_in", "normal"),
    "lecun_uniform": (1.0, "fan_in", "uniform"), "lecun_normal": (1.0, "fan_in", "normal"),
}


@dataclass
class Draw:
    """One array to draw: ``family`` is uniform | normal | truncated_normal (±2σ around the
    mean, TF's convention) | orthogonal | identity | zeros | ones | constant."""

    family: str
    shape: list[int]
    low: float = 0.0
    high: float = 0.0
    mean: float = 0.0
    stddev: float = 0.0
    gain: float = 1.0
    value: float = 0.0
    formula: str = ""  # how TF's numbers were computed, for the comment

    @property
    def random(self) -> bool:
        return self.family in ("uniform", "normal", "truncated_normal", "orthogonal")

    @property
    def rows_cols(self) -> tuple[int, int]:
        """The 2-D view TF's orthogonal/identity use: (product of all but the last dim, last);
        a scalar (shape ``[]``) is 1 x 1."""
        if not self.shape:
            return 1, 1
        return math.prod(self.shape[:-1]) if len(self.shape) > 1 else 1, self.shape[-1]


@dataclass
class Part:
    """``draw`` fills ``[..., start:stop]`` of the weight (the whole weight unless composite)."""

    start: int
    stop: int
    kind: str  # the canonical initializer kind (glorot_uniform, zeros, ...)
    draw: Draw


@dataclass
class WeightDraw:
    weight: Weight
    parts: list[Part] = field(default_factory=list)


def weight_draw(weight: Weight) -> WeightDraw:
    """The draws that give ``weight`` TF's initial distribution."""
    shape = list(weight.shape or [])
    init = weight.initializer
    out = WeightDraw(weight)
    if init.kind == "composite":
        for part in sorted(init.params.get("parts") or [], key=lambda p: int(p["start"])):
            sub = part["initializer"]
            if not isinstance(sub, Initializer):
                raise PortError(f"{weight.name}: composite part {sub!r} is not an initializer")
            start, stop = int(part["start"]), int(part["stop"])
            sub_shape = [*shape[:-1], stop - start]
            out.parts.append(Part(start, stop, sub.kind, draw_for(sub, sub_shape, weight.name)))
        return out
    out.parts.append(Part(0, shape[-1] if shape else 1, init.kind,
                          draw_for(init, shape, weight.name)))
    return out


def expression_refusal(init: Initializer) -> str:
    """Why an ``expression`` initializer is not ported."""
    return (f"the initial value is an expression of initializers "
            f"({init.params.get('expression', '?')}); the port reproduces single "
            "initializers only")


def draw_for(init: Initializer, shape: list[int], what: str) -> Draw:
    """The draw of one (non-composite) initializer for TF's ``shape``."""
    init = with_numbers(copy.deepcopy(init), shape)
    p, kind = init.params, init.kind
    if kind == "expression":
        raise PortError(f"{what}: {expression_refusal(init)}")
    if kind in ("zeros", "ones"):
        return Draw(kind, shape)
    if kind == "constant":
        return Draw("constant", shape, value=_number(p.get("value"), what, "value"))
    if kind in ("orthogonal", "identity"):
        gain = _number(p.get("gain", 1.0), what, "gain")
        if kind == "identity" and len(shape) != 2:
            raise PortError(f"{what}: identity needs a 2-D shape, not {shape}")
        d = Draw(kind, shape, gain=gain)
        rows, cols = d.rows_cols
        side = "rows" if rows < cols else "columns"
        d.formula = (f"QR of a normal {rows}x{cols} matrix (TF's 2-D view of {shape}): its "
                     f"{side} orthonormal, times gain {gain:g}" if kind == "orthogonal"
                     else f"gain {gain:g} times the identity")
        return d
    if kind == "random_uniform":
        lo, hi = _number(p.get("minval"), what, "minval"), _number(p.get("maxval"), what, "maxval")
        return Draw("uniform", shape, low=lo, high=hi, formula=f"U[{lo:g}, {hi:g}) (TF's params)")
    if kind in ("random_normal", "truncated_normal"):
        mean = _number(p.get("mean", 0.0), what, "mean")
        sd = _number(p.get("stddev"), what, "stddev")
        fam = "normal" if kind == "random_normal" else "truncated_normal"
        return Draw(fam, shape, mean=mean, stddev=sd, formula=f"mean {mean:g}, stddev {sd:g}")
    if kind == "uniform_unit_scaling":
        factor = _number(p.get("factor", 1.0), what, "factor")
        size = math.prod(shape[:-1]) if len(shape) > 1 else (shape[0] if shape else 1)
        lim = factor * math.sqrt(3.0 / size)
        return Draw("uniform", shape, low=-lim, high=lim,
                    formula=f"limit = {factor:g} * sqrt(3 / {size}) = {lim:.6g}")
    if kind in _VS_PRESETS or kind == "variance_scaling":
        return _variance_scaling(init, shape, what)
    raise PortError(f"{what}: no draw for initializer kind {kind!r}")


def _variance_scaling(init: Initializer, shape: list[int], what: str) -> Draw:
    scale0, mode0, dist0 = _VS_PRESETS.get(init.kind, (None, None, None))
    p = init.params
    scale = _number(p.get("scale", scale0), what, "scale")
    mode = str(p.get("mode", mode0)).lower()
    dist = str(p.get("distribution", dist0)).lower()
    got = fans_of(p, shape)
    if got is None:
        raise PortError(f"{what}: {init.kind}'s fans over input_axes={p.get('input_axes')}, "
                        f"output_axes={p.get('output_axes')} of {shape} are not known")
    fan_in, fan_out = got
    fans = {"fan_in": (fan_in, f"fan_in {fan_in:g}"), "fan_out": (fan_out, f"fan_out {fan_out:g}")}
    n, n_text = fans.get(mode, ((fan_in + fan_out) / 2.0,
                                f"fan_avg ({fan_in:g} + {fan_out:g}) / 2 = "
                                f"{(fan_in + fan_out) / 2.0:g}"))
    axes = ("" if "fans" in p or not ("input_axes" in p or "output_axes" in p) else
            f" over input_axes {p.get('input_axes')}, output_axes {p.get('output_axes')}")
    base = f"{init.kind}: fans of TF's shape {shape}{axes}: {n_text}"
    if dist == "uniform":
        if init.limit is None:
            raise PortError(f"{what}: no limit for {init.kind} on {shape}")
        return Draw("uniform", shape, low=-init.limit, high=init.limit,
                    formula=f"{base}; limit = sqrt(3 * {scale:g} / {max(1.0, n):g}) "
                            f"= {init.limit:.6g}")
    if init.stddev is None:
        raise PortError(f"{what}: no stddev for {init.kind} on {shape}")
    if dist == "untruncated_normal":
        return Draw("normal", shape, stddev=init.stddev,
                    formula=f"{base}; stddev = sqrt({scale:g} / {max(1.0, n):g}) "
                            f"= {init.stddev:.6g}")
    trunc = float(p.get("truncation") or DEFAULT_TRUNCATION)
    return Draw("truncated_normal", shape, stddev=init.stddev,
                formula=f"{base}; stddev = sqrt({scale:g} / {max(1.0, n):g}) / {trunc:.6g} "
                        f"= {init.stddev:.6g}, truncated at 2 stddev")


def _number(v: object, what: str, name: str) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise PortError(f"{what}: initializer parameter {name}={v!r} is not a number")
    return float(v)
