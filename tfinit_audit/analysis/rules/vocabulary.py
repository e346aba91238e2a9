"""Canonical initializer vocabulary, fans and the numbers (limit/stddev) for a concrete shape.

This is the only built-in knowledge of the analysis: which class/function *names* mean which
initializer kind, and which constructor parameters carry that kind's numbers. The parameter
values themselves always come from the release's source (constructor defaults, super calls).
"""

from __future__ import annotations

import math
import re
from typing import Any

from tfinit_audit.analysis.model import Initializer

# Name of a class or factory function -> canonical kind. Presets are listed so that a release
# which defines them without going through VarianceScaling is still recognised.
VOCABULARY: dict[str, str] = {
    "VarianceScaling": "variance_scaling",
    "variance_scaling_initializer": "variance_scaling",
    "Zeros": "zeros",
    "zeros_initializer": "zeros",
    "Ones": "ones",
    "ones_initializer": "ones",
    "Constant": "constant",
    "constant_initializer": "constant",
    "RandomUniform": "random_uniform",
    "random_uniform_initializer": "random_uniform",
    "RandomNormal": "random_normal",
    "random_normal_initializer": "random_normal",
    "TruncatedNormal": "truncated_normal",
    "truncated_normal_initializer": "truncated_normal",
    "Orthogonal": "orthogonal",
    "OrthogonalInitializer": "orthogonal",
    "orthogonal_initializer": "orthogonal",
    "Identity": "identity",
    "IdentityInitializer": "identity",
    "identity_initializer": "identity",
    "GlorotUniform": "glorot_uniform",
    "GlorotNormal": "glorot_normal",
    "HeUniform": "he_uniform",
    "HeNormal": "he_normal",
    "LecunUniform": "lecun_uniform",
    "LecunNormal": "lecun_normal",
    "UniformUnitScaling": "uniform_unit_scaling",
    "uniform_unit_scaling_initializer": "uniform_unit_scaling",
    # deterministic: the short-time Fourier transform basis (Keras 3 initializers.STFT), the
    # cos (side "real") or sin ("imag") of -2*pi*t*f/(2*(F-1)) for t < frame length and
    # f < F, times the window (scipy.signal.get_window), divided by the window's L2 norm
    # (scaling "density") or L1 norm ("spectrum")
    "STFT": "stft",
}

# Which constructor parameters carry the numbers of each kind.
PARAMS: dict[str, tuple[str, ...]] = {
    "variance_scaling": ("scale", "mode", "distribution"),
    "orthogonal": ("gain",),
    "identity": ("gain",),
    "constant": ("value",),
    "random_uniform": ("minval", "maxval"),
    "random_normal": ("mean", "stddev"),
    "truncated_normal": ("mean", "stddev"),
    "uniform_unit_scaling": ("factor",),
    "stft": ("side", "window", "scaling", "periodic"),
}

# (scale, mode, uniform?) -> preset name
_PRESETS: dict[tuple[float, str, bool], str] = {
    (1.0, "fan_avg", True): "glorot_uniform",
    (1.0, "fan_avg", False): "glorot_normal",
    (2.0, "fan_in", True): "he_uniform",
    (2.0, "fan_in", False): "he_normal",
    (1.0, "fan_in", True): "lecun_uniform",
    (1.0, "fan_in", False): "lecun_normal",
}
_PRESET_ARGS = {v: k for k, v in _PRESETS.items()}
PRESET_KINDS = tuple(_PRESET_ARGS)  # glorot_uniform ...: variance scaling under another name
_TRUNCATED = ("normal", "truncated_normal")  # "normal" meant truncated in TF 1.x sources


def preset_name(params: dict[str, Any]) -> str:
    """Name a variance-scaling configuration after its preset, or ``variance_scaling``."""
    try:
        scale = float(params.get("scale"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "variance_scaling"
    mode = params.get("mode")
    dist = str(params.get("distribution", "")).lower()
    if dist == "uniform":
        uniform = True
    elif dist in _TRUNCATED:
        uniform = False
    else:
        return "variance_scaling"
    return _PRESETS.get((scale, str(mode).lower(), uniform), "variance_scaling")


def compute_fans(shape: list[int]) -> tuple[float, float]:
    """Keras/TF fan computation: receptive field times channels for conv kernels."""
    if len(shape) < 1:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    if len(shape) == 2:
        return float(shape[0]), float(shape[1])
    receptive = 1.0
    for d in shape[:-2]:
        receptive *= d
    return shape[-2] * receptive, shape[-1] * receptive


def axes_fans(shape: list[int], input_axes: Any, output_axes: Any) -> tuple[float, float] | None:
    """Keras 3.15+ ``compute_fans(shape, input_axes, output_axes)``: the products of the
    shape's sizes on the input and on the output axes (None when the axes are not known)."""
    def product(axes: Any) -> float | None:
        if not isinstance(axes, list | tuple) or not all(
                isinstance(a, int) and not isinstance(a, bool) for a in axes):
            return None
        out = 1.0
        for a in axes:
            try:
                out *= shape[a]
            except IndexError:
                return None
        return out

    fi, fo = product(input_axes), product(output_axes)
    return None if fi is None or fo is None else (fi, fo)


def fans_of(params: dict[str, Any], shape: list[int]) -> tuple[float, float] | None:
    """A variance-scaling initializer's fans for ``shape``: those its release computes when
    they are not the usual ones (the ``fans`` parameter, rules/fans.py), those over the axes it
    names (Keras 3.15+ ``input_axes``/``output_axes``; None when they are not known), else the
    usual ones (``compute_fans``)."""
    if "fans" in params:
        fan_in, fan_out = params["fans"]
        return float(fan_in), float(fan_out)
    if "input_axes" in params or "output_axes" in params:
        return axes_fans(shape, params.get("input_axes"), params.get("output_axes"))
    return compute_fans(shape)


_TRUNC_RE = re.compile(r"/\s*(0?\.879\d+)")


def truncation_constant(class_source: str | None) -> float | None:
    """The truncated-normal std correction as written in the release's VarianceScaling."""
    if not class_source:
        return None
    m = _TRUNC_RE.search(class_source)
    return float(m.group(1)) if m else None


DEFAULT_TRUNCATION = 0.87962566103423978  # scipy.stats.truncnorm.std(a=-2, b=2)


def with_numbers(init: Initializer, shape: list[int] | None) -> Initializer:
    """Fill ``limit``/``stddev`` of ``init`` (and of composite parts) for a concrete shape.

    ``limit`` means U[-limit, limit]: it is set for a uniform range only when the range is
    symmetric. An asymmetric ``random_uniform`` such as U[0, 1) keeps ``limit`` None; its
    ``minval``/``maxval`` params are the range.
    """
    if init.kind == "composite":
        for part in init.params.get("parts", []):
            sub = part["initializer"]
            if isinstance(sub, Initializer) and shape:
                n = int(part["stop"]) - int(part["start"])
                with_numbers(sub, [*shape[:-1], n])
        return init
    if shape is None:
        return init
    p = init.params
    vs_args = _PRESET_ARGS.get(init.kind)
    if init.kind == "variance_scaling" or (vs_args and "scale" in p):
        _variance_scaling_numbers(init, shape)
    elif vs_args:
        scale, mode, uniform = vs_args
        p2 = {
            "scale": scale,
            "mode": mode,
            "distribution": "uniform" if uniform else "truncated_normal",
        }
        extra = {"fans": p["fans"]} if "fans" in p else {}
        tmp = Initializer(init.kind, {**p2, "truncation": p.get("truncation"), **extra})
        _variance_scaling_numbers(tmp, shape)
        init.limit, init.stddev = tmp.limit, tmp.stddev
    elif init.kind == "random_uniform":
        lo, hi = p.get("minval"), p.get("maxval")
        if isinstance(lo, int | float) and isinstance(hi, int | float) and lo == -hi:
            init.limit = float(hi)
    elif init.kind in ("random_normal", "truncated_normal"):
        sd = p.get("stddev")
        if isinstance(sd, int | float):
            init.stddev = float(sd)
    elif init.kind == "uniform_unit_scaling":
        # U(+-factor * sqrt(3 / input_size)), input_size the product of all dims but the last
        factor = p.get("factor")
        if isinstance(factor, int | float) and not isinstance(factor, bool):
            input_size = 1.0
            for d in shape[:-1]:
                input_size *= float(d)
            init.limit = math.sqrt(3 / max(input_size, 1.0)) * float(factor)
    return init


def _variance_scaling_numbers(init: Initializer, shape: list[int]) -> None:
    p = init.params
    try:
        scale = float(p["scale"])
    except (KeyError, TypeError, ValueError):
        return
    fans = fans_of(p, shape)
    if fans is None:
        return  # fans over axes the analysis does not know: no number
    fan_in, fan_out = fans
    mode = str(p.get("mode", "fan_in")).lower()
    n = {"fan_in": fan_in, "fan_out": fan_out}.get(mode, (fan_in + fan_out) / 2.0)
    scale /= max(1.0, n)
    dist = str(p.get("distribution", "")).lower()
    if dist == "uniform":
        init.limit = math.sqrt(3.0 * scale)
    elif dist in _TRUNCATED:
        c = p.get("truncation") or DEFAULT_TRUNCATION
        init.stddev = math.sqrt(scale) / float(c)
    elif dist == "untruncated_normal":
        init.stddev = math.sqrt(scale)


# Parameters a kind carries only when the constructor was given them (not None): Keras 3.15+
# ``VarianceScaling(input_axes=..., output_axes=...)`` (set by ``EinsumDense`` for its kernel)
# computes the fans over those axes of the shape.
OPTIONAL_PARAMS: dict[str, tuple[str, ...]] = {
    "variance_scaling": ("input_axes", "output_axes"),
}


def canonical(kind: str, bound: dict[str, Any]) -> Initializer:
    """An Initializer of vocabulary ``kind`` with the parameters the kind cares about."""
    keep = PARAMS.get(kind, ())
    params = {k: bound[k] for k in keep if k in bound}
    params.update({k: bound[k] for k in OPTIONAL_PARAMS.get(kind, ())
                   if bound.get(k) is not None})
    if kind == "variance_scaling":
        kind = preset_name(params)
    return Initializer(kind=kind, params=params)
