"""Judge static answers against what the probe observed, weight by weight, keeping the evidence.

Verdicts per weight:
* ``disagree`` when any check fails: weight missing or extra, shape, values (exact / orthogonal /
  statistical, see stats.py for the false-alarm rate), the layer's initializer object config,
  the runtime adjustment (forget_bias) observed in a forward step, or the file the public name
  really leads to (static ``defined_in`` vs the runtime class's source file);
* ``inconclusive`` when nothing failed but the value check could not decide (static
  ``unresolved``, shape not predicted, too few values, missing parameters);
* ``agree`` otherwise.
"""

from __future__ import annotations

import base64
import math
from typing import Any

import numpy as np

from tfinit_audit.analysis.model import Initializer, SymbolResult, Weight
from tfinit_audit.live.expressions import expression_checks
from tfinit_audit.live.model import LiveRun, LiveSymbol, LiveWeight
from tfinit_audit.live.stats import ALPHA, Check, check_values

SAMPLES_KEPT = 300  # values per weight kept in LiveWeight.samples for charts
_VS_ATTRS = ("scale", "mode", "distribution")
_PRESET_OF = {
    (1.0, "fan_avg", "uniform"): "glorot_uniform",
    (1.0, "fan_avg", "truncated_normal"): "glorot_normal",
    (2.0, "fan_in", "uniform"): "he_uniform",
    (2.0, "fan_in", "truncated_normal"): "he_normal",
    (1.0, "fan_in", "uniform"): "lecun_uniform",
    (1.0, "fan_in", "truncated_normal"): "lecun_normal",
}
_CLASS_KIND = {
    "zeros": "zeros", "zerosinitializer": "zeros", "zeros_initializer": "zeros",
    "ones": "ones", "onesinitializer": "ones", "ones_initializer": "ones",
    "constant": "constant", "constantinitializer": "constant",
    "randomuniform": "random_uniform", "randomnormal": "random_normal",
    "truncatednormal": "truncated_normal", "orthogonal": "orthogonal",
    "orthogonalinitializer": "orthogonal", "identity": "identity",
    "identityinitializer": "identity", "glorotuniform": "glorot_uniform",
    "glorotnormal": "glorot_normal", "heuniform": "he_uniform", "henormal": "he_normal",
    "lecununiform": "lecun_uniform", "lecunnormal": "lecun_normal",
}
_NUMERIC_PARAMS = ("scale", "gain", "value", "minval", "maxval", "mean", "stddev")
_WEIGHT_INIT_ATTR = {
    "kernel": "kernel", "recurrent_kernel": "recurrent", "bias": "bias",
    "embeddings": "embeddings", "gamma": "gamma", "beta": "beta",
    "moving_mean": "moving_mean", "moving_variance": "moving_variance",
    "depthwise_kernel": "depthwise", "pointwise_kernel": "pointwise",
}


MISSING_MODULE = ("ImportError", "ModuleNotFoundError")  # the probe's message starts so


def decode_values(enc: dict[str, Any]) -> np.ndarray:
    dtype = "<f8" if enc.get("encoding") == "b64-f8" else "<f4"
    return np.frombuffer(base64.b64decode(enc["data"]), dtype=dtype)


def compare_run(python: str, static_results: list[SymbolResult], probe: dict[str, Any],
                seconds: float = 0.0) -> LiveRun:
    """Build the LiveRun for one interpreter from static answers and the probe's JSON."""
    run = LiveRun(
        python=python,
        python_version=str(probe.get("python") or ""),
        tensorflow=probe.get("tensorflow_runtime") or probe.get("tensorflow"),
        keras=probe.get("keras") or probe.get("tf_keras_attr_version"),
        seconds=seconds,
    )
    by_key = {str(s.get("key")): s for s in probe.get("symbols") or []}
    for sr in static_results:
        observed = by_key.get(sr.symbol)
        if observed is None:
            run.symbols.append(LiveSymbol(symbol=sr.symbol, status="error",
                                          message="the probe returned nothing for this symbol"))
            continue
        run.symbols.append(compare_symbol(sr, observed))
    return run


def compare_symbol(sr: SymbolResult, obs: dict[str, Any]) -> LiveSymbol:
    status = str(obs.get("status"))
    static_ok = sr.status in ("resolved", "partial")
    src = obs.get("runtime_source") or obs.get("source") or {}
    runtime_file = src.get("source_file")
    static_file = sr.defined_in.path if sr.defined_in else None
    file_agrees = None
    if runtime_file and static_file:
        file_agrees = runtime_file == static_file
    ls = LiveSymbol(symbol=sr.symbol, status=status if status != "ok" else "ok",
                    runtime_file=runtime_file, static_file=static_file, file_agrees=file_agrees)
    if status == "not built":  # needs-args: the static side has no arguments to build with
        ls.status = "skipped"
        ls.message = f"not built: {sr.message or 'the static analysis needs arguments'}"
        return ls
    if status != "ok":
        msg = str(obs.get("message") or status)
        if static_ok and (msg.startswith(MISSING_MODULE) or obs.get("build_failed")):
            return _not_built_here(sr, ls, msg)
        if static_ok:
            ls.message = (f"static analysis says {sr.status}, but at run time the symbol is "
                          f"{status}: {msg}")
            for w in sr.weights:
                ls.weights.append(LiveWeight(
                    w.name, w.shape, "disagree",
                    {"reason": f"symbol {status} at run time: {msg}",
                     "checks": [Check("exists", False,
                                      f"static {sr.status}; runtime {status}").as_dict()]}))
        else:
            ls.message = f"static: {sr.status}; runtime: {status}: {msg}"
        return ls
    observed = obs.get("weights") or []
    if not static_ok:
        ls.message = (f"static analysis says {sr.status} ({sr.message or ''}), but the name "
                      f"builds at run time")
        for ow in observed:
            ls.weights.append(LiveWeight(
                ow["name"], ow.get("shape"), "disagree",
                {"reason": f"static answer is {sr.status}; the weight exists at run time",
                 "runtime": _runtime_evidence(ow)}, samples=_samples(ow)))
        return ls
    pairs, notes = _match(sr.weights, observed)
    file_check = _file_check(static_file, runtime_file)
    for sw, ow in pairs:
        if ow is None:
            assert sw is not None
            if sw.condition:
                notes.append(f"{sw.name} (only if {sw.condition}) not created")
                continue
            if obs.get("build_error"):  # the call that would make it failed: no evidence
                ls.weights.append(LiveWeight(sw.name, sw.shape, "inconclusive", {
                    "reason": "not created at run time: the call that builds the layer "
                              f"failed on this input ({obs['build_error']})",
                    "checks": [Check("exists", None, "the building call failed").as_dict()],
                    "static": _static_evidence(sw)}))
                continue
            ls.weights.append(LiveWeight(sw.name, sw.shape, "disagree", {
                "reason": "weight in the static answer was not created at run time",
                "checks": [Check("exists", False, "missing at run time").as_dict()],
                "static": _static_evidence(sw)}))
            continue
        if sw is None:
            ls.weights.append(LiveWeight(ow["name"], ow.get("shape"), "disagree", {
                "reason": "weight created at run time is not in the static answer",
                "checks": [Check("exists", False, "not in the static answer").as_dict()],
                "runtime": _runtime_evidence(ow)}, samples=_samples(ow)))
            continue
        ls.weights.append(compare_weight(sr, sw, ow, obs, file_check))
    if notes:
        ls.message = "; ".join(notes)
    return ls


def _not_built_here(sr: SymbolResult, ls: LiveSymbol, msg: str) -> LiveSymbol:
    """The interpreter lacks an optional module the layer needs (scipy), or building it with
    the static side's arguments and input failed: nothing observed, every weight
    inconclusive with the reason."""
    why = (f"this interpreter lacks a module it needs ({msg})" if msg.startswith(MISSING_MODULE)
           else f"building it with the static side's arguments and input failed ({msg})")
    ls.message = f"not built at run time: {why}"
    for w in sr.weights:
        ls.weights.append(LiveWeight(w.name, w.shape, "inconclusive", {
            "reason": f"not built at run time: {why}",
            "checks": [Check("exists", None, "not built here").as_dict()]}))
    return ls


def _match(static: list[Weight], observed: list[dict[str, Any]]) -> tuple[
    list[tuple[Weight | None, dict[str, Any] | None]], list[str]
]:
    notes: list[str] = []
    obs_by = {o["name"]: o for o in observed}
    for ob in observed:  # a sub-layer's weight is also known by the sub-layer's own name
        for alias in ob.get("aliases") or ():
            obs_by.setdefault(alias, ob)
    pairs: list[tuple[Weight | None, dict[str, Any] | None]] = []
    used: set[str] = set()
    for w in static:
        o: dict[str, Any] | None = obs_by.get(w.name)
        if o is not None and o["name"] in used:
            o = None
        if o is None:
            # tolerate a scope prefix the probe could not strip: match on the last components
            cands = [x for x in observed if x["name"] not in used
                     and (x["name"].endswith("/" + w.name) or w.name.endswith("/" + x["name"]))]
            o = cands[0] if len(cands) == 1 else None
        pairs.append((w, o))
        if o is not None:
            used.add(o["name"])
    rest = [o for o in observed if o["name"] not in used]
    unmatched = [i for i, (_, o) in enumerate(pairs) if o is None]
    if len(rest) == 1 and len(unmatched) == 1 and len(static) == 1:
        i = unmatched[0]
        sw = pairs[i][0]
        assert sw is not None
        notes.append(f"static weight {sw.name!r} matched to the only runtime variable "
                     f"{rest[0]['name']!r}")
        pairs[i] = (sw, rest[0])
        rest = []
    pairs.extend((None, o) for o in rest)
    return pairs, notes


def compare_weight(sr: SymbolResult, w: Weight, ow: dict[str, Any], obs: dict[str, Any],
                   file_check: Check) -> LiveWeight:
    checks: list[Check] = []
    shape = ow.get("shape")
    if w.shape is None:
        checks.append(Check("shape", None, f"static shape not computed ({w.shape_expr}); "
                            f"runtime {shape}"))
    else:
        checks.append(Check("shape", list(w.shape) == list(shape or []),
                            f"static {w.shape} vs runtime {shape}"))
    samples = [decode_values(v) for v in ow.get("values") or []]
    full = shape is not None and all(s.size == int(np.prod(shape)) for s in samples)
    extremes = [(float(x["min"]), float(x["max"]))
                for x in [ow.get("summary") or {}, *(ow.get("seed_summaries") or [])]
                if "min" in x]
    value_checks: list[Check]
    if not samples:
        value_checks = [Check("values", None, "no values observed")]
    elif shape is None:
        value_checks = [Check("values", None, "runtime shape unknown")]
    elif not full and w.initializer.kind in ("composite", "orthogonal", "identity"):
        value_checks = [Check("values", None, "only a subsample of values was returned")]
    else:
        shaped = [s.reshape(shape) if full else s for s in samples]
        if w.initializer.kind == "expression":  # evaluated in numpy, other weights known
            refs = {o.name: (o.initializer, o.shape) for o in sr.weights}
            value_checks = expression_checks(w.initializer, list(shape), shaped, refs)
        else:
            value_checks = check_values(w.initializer, list(shape), shaped, extremes)
    checks.extend(value_checks)
    checks.append(_config_check(w, obs.get("initializers") or {}))
    adj = _adjustment_check(w, obs)
    if adj is not None:
        checks.append(adj)
    checks.append(file_check)
    failed = [c for c in checks if c.passed is False]
    undecided_values = (not value_checks) or any(c.passed is None for c in value_checks)
    if failed:
        verdict = "disagree"
        reason = "; ".join(f"{c.check}: {c.detail}" for c in failed)
    elif w.initializer.kind == "unresolved" or undecided_values or checks[0].passed is None:
        verdict = "inconclusive"
        reason = "; ".join(c.detail for c in checks if c.passed is None)
    else:
        verdict = "agree"
        reason = "all checks passed"
    evidence = {
        "reason": reason,
        "static": _static_evidence(w),
        "runtime": _runtime_evidence(ow),
        "checks": [c.as_dict() for c in checks],
        "alpha": ALPHA,
        "seeds": [v.get("seed") for v in ow.get("values") or []],
    }
    return LiveWeight(w.name, list(shape) if shape is not None else w.shape, verdict, evidence,
                      samples=_samples(ow))


def _static_evidence(w: Weight) -> dict[str, Any]:
    return {"kind": w.initializer.kind, "params": _plain(w.initializer.params),
            "limit": w.initializer.limit, "stddev": w.initializer.stddev, "shape": w.shape,
            "fallback": w.fallback}


def _runtime_evidence(ow: dict[str, Any]) -> dict[str, Any]:
    return {"variable": ow.get("full_name"), "dtype": ow.get("dtype"), "shape": ow.get("shape"),
            "summary": ow.get("summary"), "values_per_seed": [v.get("n") for v in
                                                              ow.get("values") or []]}


def _plain(v: Any) -> Any:
    if isinstance(v, Initializer):
        return {"kind": v.kind, "params": _plain(v.params), "limit": v.limit, "stddev": v.stddev}
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_plain(x) for x in v]
    return v


def _samples(ow: dict[str, Any]) -> list[float] | None:
    vals = ow.get("values") or []
    if not vals:
        return None
    a = decode_values(vals[0]).astype(np.float64)
    if a.size > SAMPLES_KEPT:
        idx = np.linspace(0, a.size - 1, SAMPLES_KEPT).astype(int)
        a = a[idx]
    return [float(x) for x in a]


def _file_check(static_file: str | None, runtime_file: str | None) -> Check:
    if not static_file or not runtime_file:
        return Check("defined_in", None, f"static {static_file!r} vs runtime {runtime_file!r}")
    return Check("defined_in", static_file == runtime_file,
                 f"static {static_file} vs runtime {runtime_file}")


def runtime_kind(desc: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """Canonical kind and params of an initializer object described by the probe."""
    attrs = dict(desc.get("attrs") or {})
    cfg = desc.get("config") or {}
    for k in (*_VS_ATTRS, *_NUMERIC_PARAMS):
        if k not in attrs and isinstance(cfg, dict) and k in cfg:
            attrs[k] = cfg[k]
    if all(k in attrs for k in _VS_ATTRS):
        dist = str(attrs["distribution"])
        dist_n = "truncated_normal" if dist == "normal" else dist
        try:
            key = (float(attrs["scale"]), str(attrs["mode"]), dist_n)
        except (TypeError, ValueError):
            key = None
        params = {k: attrs[k] for k in _VS_ATTRS}
        preset = _PRESET_OF.get(key) if key else None
        return preset or "variance_scaling", params
    cls = str(desc.get("class") or "").lower().replace("_", "")
    kind = _CLASS_KIND.get(cls) or _CLASS_KIND.get(str(desc.get("class") or "").lower())
    params = {k: attrs[k] for k in _NUMERIC_PARAMS if k in attrs}
    return kind, params


def _config_check(w: Weight, inits: dict[str, Any]) -> Check:
    base = w.name.split("/")[-1]
    stem = _WEIGHT_INIT_ATTR.get(base)
    if stem is None and (base.startswith("w_") and base.endswith("_diag")):
        stem = "peephole"
    if stem is None:
        return Check("initializer_config", None, f"no initializer attribute for {w.name!r}")
    keys = [f"{stem}_initializer", f"_{stem}_initializer", f"cell.{stem}_initializer",
            f"cell._{stem}_initializer"]
    if stem != "bias":
        keys.append("_initializer")  # TF 1.x cells: one initializer for kernel, peepholes, proj
    found = [k for k in keys if k in inits]
    if not found:
        return Check("initializer_config", None, "layer keeps no initializer object for it")
    key = found[0]
    desc = inits[key]
    if desc is None:
        return Check("initializer_config", None,
                     f"layer.{key} is None (default chosen at build time"
                     f"{'; static fallback=True' if w.fallback else ''})")
    if w.initializer.kind == "composite":
        return Check("initializer_config", None,
                     f"layer.{key} is {desc.get('class')}; static value is composite "
                     "(built from several initializers), compared per slice instead")
    if w.initializer.kind in ("unresolved", "expression"):
        return Check("initializer_config", None, f"layer.{key} is {desc.get('class')}")
    kind, params = runtime_kind(desc)
    data = {"attribute": key, "runtime_class": desc.get("class"),
            "runtime_module": desc.get("module"), "runtime_config": desc.get("config"),
            "runtime_kind": kind, "runtime_params": params}
    if kind is None:
        return Check("initializer_config", None,
                     f"layer.{key} is {desc.get('class')} (unknown to the vocabulary)", data)
    static_kind = w.initializer.kind
    sp = w.initializer.params or {}
    vs_key = _vs_key(sp)
    if static_kind == "variance_scaling" and kind != "variance_scaling" and vs_key:
        static_kind = _PRESET_OF.get(vs_key, "variance_scaling")
    if kind != static_kind:
        return Check("initializer_config", False,
                     f"layer.{key} is {desc.get('class')} ({kind}) but static says "
                     f"{w.initializer.kind}", data)
    diffs = []
    deferred = []
    for k, v in params.items():
        if v is None and sp.get(k) is not None:
            # The object stores None and decides the value when called (1.x RandomUniform's
            # maxval); the static side followed that rule, and the value tests check the result.
            deferred.append(k)
        elif k in sp and not _same(sp[k], v):
            diffs.append(f"{k}: static {sp[k]!r} vs runtime {v!r}")
    if diffs:
        return Check("initializer_config", False, f"layer.{key}: " + "; ".join(diffs), data)
    later = (f"; {', '.join(deferred)} None in the config (set when called; checked on values)"
             if deferred else "")
    return Check("initializer_config", True, f"layer.{key} is {desc.get('class')} ({kind}), "
                 f"params agree{later}", data)


def _vs_key(p: dict[str, Any]) -> tuple[float, str, str] | None:
    try:
        d = str(p["distribution"])
        return float(p["scale"]), str(p["mode"]), "truncated_normal" if d == "normal" else d
    except (KeyError, TypeError, ValueError):
        return None


def _same(a: Any, b: Any) -> bool:
    try:
        fa, fb = float(a), float(b)
        return math.isclose(fa, fb, rel_tol=1e-6, abs_tol=1e-12)
    except (TypeError, ValueError):
        return str(a) == str(b)


def _adjustment_check(w: Weight, obs: dict[str, Any]) -> Check | None:
    """forget_bias seen in a zero-weight forward step vs the static runtime adjustment."""
    observed = (obs.get("adjustments") or {}).get("forget_bias")
    static = [a for a in w.runtime_adjustments if a.kind == "forget_bias"]
    if observed is None:
        if static:
            return Check("runtime_adjustment", None, "forward step not observed by the probe")
        return None
    # attach to the weight that carries the static adjustment, else to the cell's bias
    if not static and w.name.split("/")[-1] != "bias":
        return None
    value = observed.get("observed")
    predicted = float(static[0].value) if static else 0.0
    if value is None:
        return Check("runtime_adjustment", None, str(observed.get("note") or "not observable"))
    ok = math.isclose(float(value), predicted, abs_tol=1e-4)
    return Check("runtime_adjustment", ok,
                 f"forget-gate pre-activation with all weights zero: observed {value:.6g}, "
                 f"static predicts {predicted:.6g}"
                 + ("" if static else " (no forget_bias in the static answer)"),
                 {"observed": value, "predicted": predicted, "method": observed.get("method")})
