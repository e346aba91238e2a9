"""Entry points the CLI calls: verify static answers against one or more live interpreters.

Typical CLI flow per interpreter::

    info = interpreter_info(python)               # versions + site-packages, no TF import
    static = <analysis of the installed release>   # source "installed" (info.site_packages)
    run = verify_interpreter(python, static, dims) # probe subprocess + comparison -> LiveRun
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from tfinit_audit.analysis.model import Dims, SymbolResult
from tfinit_audit.analysis.symbols import DEFAULT_SYMBOLS, parse_symbol
from tfinit_audit.errors import UsageError
from tfinit_audit.live.compare import compare_run
from tfinit_audit.live.model import LiveRun
from tfinit_audit.live.runner import (
    DEFAULT_TIMEOUT,
    InterpreterInfo,
    ProbeError,
    interpreter_info,
    run_probe,
)
from tfinit_audit.live.stats import MIN_SAMPLES, RANDOM_KINDS

DEFAULT_SEEDS = (1, 2, 3)  # independent builds per symbol; values pooled for the tests
MAX_VALUES = 200_000  # per tensor and seed; larger tensors are subsampled (summary stays full)
MAX_SEEDS = 32  # builds of one symbol at most, when its smallest random weight is tiny

__all__ = [
    "DEFAULT_SEEDS",
    "InterpreterInfo",
    "ProbeError",
    "interpreter_info",
    "probe_request",
    "verify_interpreter",
    "verify_interpreters",
]


def _kind_hint(name: str) -> str:
    for spec in DEFAULT_SYMBOLS:
        if name in spec.candidates():
            return spec.kind_hint
    return ""


def _probe_value(value: Any) -> Any:
    """A supplied argument as the probe builds it: an inner layer becomes
    ``{"__layer__": public name, "args": {...}}`` (the probe constructs it first)."""
    if isinstance(value, dict) and "symbol" in value and "arguments" in value:
        try:
            inner = parse_symbol(str(value["symbol"]))
            name = inner.name
        except UsageError:
            name = str(value["symbol"])
        return {"__layer__": name,
                "args": {a["name"]: _probe_value(a["value"]) for a in value["arguments"]}}
    if isinstance(value, list):
        return [_probe_value(v) for v in value]
    return value


def probe_entry(sr: SymbolResult) -> dict[str, Any]:
    """One symbol of the probe request: the public name, the arguments and input shape the
    static analysis built it with (the probe builds exactly those), how to call it."""
    try:
        spec = parse_symbol(sr.symbol)
    except UsageError:
        spec = None
    name = spec.name if spec else sr.symbol
    entry: dict[str, Any] = {"key": sr.symbol, "name": name,
                             "kind_hint": "function" if sr.kind == "function"
                             else _kind_hint(name)}
    inputs = [a for a in sr.arguments if a.source == "input"]
    if sr.kind == "function" and inputs and sr.input_shape is not None:
        # a function applied to an input: f(tensor, **arguments)
        entry["call"] = "apply"
        entry["input_arg"] = inputs[0].name
        entry["args"] = {a.name: _probe_value(a.value) for a in sr.arguments
                         if a.source != "input"}
        entry["input_shape"] = list(sr.input_shape)
    elif sr.kind == "function" and any(a.name == "shape" for a in sr.arguments):
        # a get_variable-style function: f("v", shape=[input_dim, units], **symbol args)
        entry["args"] = spec.kwargs if spec else {}
        entry["call"] = "name_shape"
    elif sr.kind == "function":
        # a function of no input (tf.compat.v1.train.create_global_step): f(**arguments)
        entry["call"] = "apply"
        entry["args"] = {a.name: _probe_value(a.value) for a in sr.arguments}
    elif sr.input_shape is None:
        entry["args"] = spec.kwargs if spec else {}
    else:
        entry["args"] = {a.name: _probe_value(a.value) for a in sr.arguments}
        entry["input_shape"] = list(sr.input_shape)
        if sr.input_count > 1:  # built and called on a list of inputs
            entry["input_count"] = sr.input_count
        if sr.input_parts:  # a cell called on a tuple of inputs of these shapes
            entry["input_parts"] = [list(p) for p in sr.input_parts]
        if sr.build_input:  # what its build gets: "TensorShape" or "tuple"
            entry["build_input"] = sr.build_input
    if sr.status == "needs-args":
        entry["build"] = False
        entry["reason"] = sr.message or "needs arguments"
    elif sr.kind == "function" and not sr.weights:
        # nothing to compare, and calling it may do anything (a model factory downloads)
        entry["build"] = False
        entry["reason"] = "the static analysis found no variable the function creates"
    return entry


def probe_request(static_results: Iterable[SymbolResult], dims: Dims | None = None,
                  seeds: Iterable[int] = DEFAULT_SEEDS, plugins: Iterable[str] = (),
                  max_values: int = MAX_VALUES) -> dict[str, Any]:
    """The JSON request probe.py reads: one entry per static symbol (``probe_entry``)."""
    seeds = list(seeds)
    symbols = []
    for sr in static_results:
        entry = probe_entry(sr)
        more = seeds_for(sr, seeds)
        if more != seeds:  # as many values in all as 3 builds would send, at most
            entry["seeds"] = more
            entry["max_values"] = max(1, max_values * len(seeds) // len(more))
        symbols.append(entry)
    d = dims or Dims()
    return {"symbols": symbols, "dims": {"units": d.units, "input_dim": d.input_dim},
            "seeds": list(seeds), "plugins": list(plugins), "max_values": max_values}


def seeds_for(sr: SymbolResult, seeds: list[int]) -> list[int]:
    """``seeds``, or more of them when the symbol's smallest weight with a random initializer
    has too few values for the distribution tests to decide on ``len(seeds)`` builds
    (``stats.MIN_SAMPLES`` pooled values: a ``[3, 3, 1, 1]`` kernel, 9 values a build, is built
    4 times), at most ``MAX_SEEDS``."""
    sizes = [math.prod(w.shape) for w in sr.weights
             if w.shape and w.initializer.kind in RANDOM_KINDS | {"expression"}
             and all(isinstance(d, int) and d > 0 for d in w.shape)]
    if not sizes or not seeds:
        return seeds
    need = min(MAX_SEEDS, -(-MIN_SAMPLES // min(sizes)))
    return seeds + [max(seeds) + i for i in range(1, need - len(seeds) + 1)]


def verify_interpreter(python: str, static_results: list[SymbolResult], dims: Dims | None = None,
                       timeout: float = DEFAULT_TIMEOUT, *, seeds: Iterable[int] = DEFAULT_SEEDS,
                       plugins: Iterable[str] = (),
                       progress: Callable[[str], None] | None = None) -> LiveRun:
    """Probe ``python`` for every static symbol and judge each weight.

    The symbols are probed ``PROBE_BATCH`` at a time, each batch in its own subprocess with
    ``timeout`` seconds (one TensorFlow import per batch), so a long list (``--symbols all``)
    is not one run against one time limit. A batch that crashes, hangs past ``timeout`` or
    lacks TensorFlow sets the LiveRun's ``error`` (one line); if it is the first batch, the run
    has no symbols, else its symbols are reported with that error. A missing interpreter
    raises UsageError. ``plugins`` are Python files the probe executes after importing TF
    (tests use one to change a default initializer in the throw-away process).
    """
    t0 = time.monotonic()
    batches = [static_results[i:i + PROBE_BATCH]
               for i in range(0, len(static_results), PROBE_BATCH)] or [[]]
    merged: dict[str, Any] | None = None
    error: str | None = None
    for n, batch in enumerate(batches, 1):
        if progress and len(batches) > 1:
            progress(f"probing symbols {(n - 1) * PROBE_BATCH + 1}-"
                     f"{(n - 1) * PROBE_BATCH + len(batch)} of {len(static_results)}")
        request = probe_request(batch, dims, seeds, plugins)
        try:
            probe = run_probe(python, request, timeout)
        except ProbeError as e:
            if merged is None:
                return _failed_run(python, str(e), time.monotonic() - t0)
            error = error or str(e)
            merged["symbols"].extend(
                {"key": sr.symbol, "name": sr.symbol, "status": "error",
                 "message": f"probe batch {n} of {len(batches)} failed: {e}"} for sr in batch)
            continue
        if merged is None:
            merged = probe
        else:
            merged["symbols"].extend(probe.get("symbols") or [])
    assert merged is not None
    run = compare_run(python, static_results, merged, seconds=time.monotonic() - t0)
    run.error = error
    return run


PROBE_BATCH = 100  # symbols per probe subprocess


def _failed_run(python: str, error: str, seconds: float) -> LiveRun:
    info: InterpreterInfo | None
    try:
        info = interpreter_info(python)
    except ProbeError:
        info = None
    return LiveRun(python=python, python_version=info.python_version if info else "",
                   tensorflow=info.tensorflow if info else None,
                   keras=info.keras if info else None, error=error, seconds=seconds)


def verify_interpreters(static_by_python: Mapping[str, list[SymbolResult]],
                        dims: Dims | None = None, timeout: float = DEFAULT_TIMEOUT
                        ) -> list[LiveRun]:
    """``verify_interpreter`` for each interpreter with the static results of its release."""
    return [verify_interpreter(py, results, dims, timeout)
            for py, results in static_by_python.items()]
