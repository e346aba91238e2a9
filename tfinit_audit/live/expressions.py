"""Live check of an ``expression`` initializer (analysis/rules/expressions.py): its tree is
evaluated in numpy.

A tree of deterministic leaves (numbers, constant arrays, ``zeros``/``ones``/``constant``/
``identity``, weights whose own initializers are deterministic) has one value: the observed
values must equal it within float32 rounding (``RTOL`` of its largest magnitude; TensorFlow
computes in float32, this module in float64). A tree with a random leaf is sampled: ``DRAWS``
independent draws of the whole tree (a referenced weight drawn from its own static initializer,
so the pooled observed values and the draws have the same marginal distribution), compared with
the observed values pooled over the seeds by the two-sample Kolmogorov-Smirnov test at the
module's false-alarm rate ``ALPHA`` (live/stats.py); positions whose value is the same in every
draw (the zeros of a 0/1 mask times a random initializer) must hold it exactly.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from tfinit_audit.analysis.model import Initializer
from tfinit_audit.live.stats import (
    ALPHA,
    EXACT_KINDS,
    MIN_SAMPLES,
    RANDOM_KINDS,
    Check,
    expected_exact,
    predicted_distribution,
)

RTOL = 1e-6  # float32 rounding of the ops (a few ulps), relative to the largest value
DRAWS = 200  # independent draws of a random tree
MAX_DEPTH = 8  # weight references followed at most this deep (a cycle is no answer)

_UNARY: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sqrt": np.sqrt, "square": np.square, "exp": np.exp, "log": np.log,
    "negative": np.negative, "abs": np.abs,
}
_BINARY: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "add": np.add, "subtract": np.subtract, "multiply": np.multiply, "divide": np.divide,
}
Refs = dict[str, tuple[Initializer, list[int] | None]]


class NotEvaluable(Exception):  # noqa: N818 - a question's answer, not an error
    """The tree has a node this module cannot evaluate."""


class _Eval:
    """One evaluation of a tree: ``random`` says whether a random leaf was drawn."""

    def __init__(self, rng: np.random.Generator, refs: Refs) -> None:
        self.rng = rng
        self.refs = refs
        self.random = False

    def init(self, ini: Initializer, shape: list[int] | None, depth: int) -> np.ndarray:
        if shape is None:
            raise NotEvaluable(f"{ini.kind} on an unknown shape")
        if ini.kind == "expression":
            return self.node((ini.params or {}).get("tree"), shape, depth)
        if ini.kind in EXACT_KINDS:
            exp = expected_exact(ini, shape)
            if exp is None:
                raise NotEvaluable(f"no values of {ini.kind} for {shape}")
            return np.broadcast_to(np.asarray(exp, dtype=np.float64), shape)
        if ini.kind in RANDOM_KINDS:
            dist, why = predicted_distribution(ini, shape)
            if dist is None:
                raise NotEvaluable(why)
            self.random = True
            return np.asarray(dist.frozen().rvs(size=shape, random_state=self.rng),
                              dtype=np.float64).reshape(shape)
        raise NotEvaluable(f"no numpy draw of {ini.kind}")

    def node(self, node: Any, shape: list[int] | None, depth: int) -> np.ndarray:
        if isinstance(node, bool) or node is None:
            raise NotEvaluable(f"node {node!r}")
        if isinstance(node, int | float):
            return np.asarray(float(node))
        if not isinstance(node, dict):
            raise NotEvaluable(f"node {node!r}")
        if "initializer" in node:
            return self.init(_initializer(node["initializer"]), node.get("shape"), depth)
        if "array" in node:  # a constant array the source built (a 0/1 mask)
            arr = np.asarray(node["array"], dtype=np.float64)
            if arr.dtype.kind != "f":
                raise NotEvaluable("array of non-numbers")
            return arr
        if "weight" in node:
            ref = self.refs.get(str(node["weight"]))
            if ref is None or depth >= MAX_DEPTH:
                raise NotEvaluable(f"weight {node['weight']!r} not in the static answer")
            return self.init(ref[0], ref[1], depth + 1)
        op, args = node.get("op"), node.get("args") or []
        vals = [self.node(a, shape, depth) for a in args]
        if op in _UNARY and len(vals) == 1:
            return _UNARY[op](vals[0])
        if op in _BINARY and len(vals) == 2:
            return _BINARY[op](vals[0], vals[1])
        where = node.get("shape") or shape
        if where is None:
            raise NotEvaluable(f"{op} on an unknown shape")
        self.random = True
        if op == "random_uniform" and len(vals) == 2:
            lo, hi = (np.broadcast_to(v, where) for v in vals)
            return lo + (hi - lo) * self.rng.random(size=where)
        if op in ("random_normal", "truncated_normal") and len(vals) == 2:
            mean, sd = (np.broadcast_to(v, where) for v in vals)
            z = self.rng.standard_normal(size=where)
            if op == "truncated_normal":  # TensorFlow redraws outside +-2 sigma
                bad = np.abs(z) > 2
                while bad.any():
                    z[bad] = self.rng.standard_normal(size=int(bad.sum()))
                    bad = np.abs(z) > 2
            return mean + sd * z
        raise NotEvaluable(f"op {op!r}")


def _initializer(d: Any) -> Initializer:
    if isinstance(d, Initializer):
        return d
    if not isinstance(d, dict):
        raise NotEvaluable(f"initializer {d!r}")
    return Initializer(kind=str(d.get("kind")), params=d.get("params") or {},
                       limit=d.get("limit"), stddev=d.get("stddev"))


def expression_checks(init: Initializer, shape: list[int], samples: list[np.ndarray],
                      refs: Refs | None = None, seed: int = 12345) -> list[Check]:
    """The values check of an ``expression`` initializer (see module doc)."""
    tree = (init.params or {}).get("tree")
    rng = np.random.default_rng(seed)
    first = _Eval(rng, refs or {})
    try:
        value = np.broadcast_to(first.node(tree, shape, 0), shape)
    except (NotEvaluable, ValueError) as e:
        return [Check("expression", None, f"cannot evaluate the expression in numpy: {e}")]
    if not first.random:
        return [_exact(value, samples)]
    draws = [value.reshape(-1)]
    for _ in range(DRAWS - 1):
        ev = _Eval(rng, refs or {})
        draws.append(np.broadcast_to(ev.node(tree, shape, 0), shape).reshape(-1))
    checks = [_two_sample(np.concatenate(draws), samples)]
    fixed = np.all(np.stack(draws) == draws[0], axis=0)
    if fixed.any():  # positions no draw changes (a 0/1 mask's zeros): exact there
        checks.append(_fixed_positions(draws[0], fixed, samples))
    return checks


def _exact(expected: np.ndarray, samples: list[np.ndarray]) -> Check:
    tol = RTOL * max(float(np.max(np.abs(expected))) if expected.size else 0.0, 1e-30)
    worst = max((float(np.max(np.abs(np.asarray(s, dtype=np.float64).reshape(expected.shape)
                                     - expected)))
                 for s in samples if np.asarray(s).size == expected.size), default=None)
    if worst is None:
        return Check("exact", None, "no sample with the full shape")
    return Check("exact", worst <= tol, f"expression: max |difference| = {worst:.3g} over "
                                        f"{len(samples)} seeds (tolerance {tol:.3g})",
                 {"max_abs_diff": worst, "tolerance": tol})


def _fixed_positions(expected: np.ndarray, fixed: np.ndarray,
                     samples: list[np.ndarray]) -> Check:
    """The positions of a random tree whose value is the same in every draw (``mask *
    glorot_normal`` where the mask is 0) must hold that value in every seed."""
    want = expected[fixed]
    tol = RTOL * max(float(np.max(np.abs(want))) if want.size else 0.0, 1e-30)
    worst = max((float(np.max(np.abs(np.asarray(s, dtype=np.float64).reshape(-1)[fixed]
                                     - want)))
                 for s in samples if np.asarray(s).size == expected.size), default=None)
    if worst is None:
        return Check("fixed_positions", None, "no sample with the full shape")
    return Check("fixed_positions", worst <= tol,
                 f"{int(fixed.sum())} of {fixed.size} positions take one value in every "
                 f"draw: max |difference| = {worst:.3g} over {len(samples)} seeds "
                 f"(tolerance {tol:.3g})", {"max_abs_diff": worst, "tolerance": tol,
                                            "positions": int(fixed.sum())})


def _two_sample(drawn: np.ndarray, samples: list[np.ndarray]) -> Check:
    from scipy import stats as sps  # imported on use, as in live/stats.py

    x = np.concatenate([np.asarray(s, dtype=np.float64).reshape(-1) for s in samples])
    if x.size < MIN_SAMPLES:
        return Check("ks2", None, f"only {x.size} values; at least {MIN_SAMPLES} needed")
    res = sps.ks_2samp(x, drawn)
    p = float(res.pvalue)
    stat = float(res.statistic)
    return Check("ks2", p >= ALPHA and math.isfinite(stat),
                 f"two-sample Kolmogorov-Smirnov against {drawn.size} numpy draws of the "
                 f"expression: D={stat:.4g}, p={p:.3g} (n={x.size}, threshold {ALPHA:.3g})",
                 {"statistic": stat, "p": p, "n": int(x.size), "draws": int(drawn.size),
                  "threshold": ALPHA})
