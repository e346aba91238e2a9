"""Entry points the CLI calls: verify static answers against one or more live interpreters.

Typical CLI flow per interpreter::

    info = interpreter_info(python)               # versions + site-packages, no TF import
    static = <analysis of the installed release>   # source "installed" (info.site_packages)
    run = verify_interpreter(python, static, dims) # probe subprocess + comparison -> LiveRun
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Mapping
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

DEFAULT_SEEDS = (1, 2, 3)  # independent builds per symbol; values pooled for the tests
MAX_VALUES = 200_000  # per tensor and seed; larger tensors are subsampled (summary stays full)

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


def probe_request(static_results: Iterable[SymbolResult], dims: Dims | None = None,
                  seeds: Iterable[int] = DEFAULT_SEEDS, plugins: Iterable[str] = (),
                  max_values: int = MAX_VALUES) -> dict[str, Any]:
    """The JSON request probe.py reads: one entry per static symbol (name + constructor args)."""
    symbols = []
    for sr in static_results:
        try:
            spec = parse_symbol(sr.symbol)
        except UsageError:
            spec = None
        name = spec.name if spec else sr.symbol
        symbols.append({"key": sr.symbol, "name": name,
                        "args": spec.kwargs if spec else {}, "kind_hint": _kind_hint(name)})
    d = dataclasses.asdict(dims or Dims())
    d["conv_kernel"] = list(d["conv_kernel"])
    return {"symbols": symbols, "dims": d, "seeds": list(seeds), "plugins": list(plugins),
            "max_values": max_values}


def verify_interpreter(python: str, static_results: list[SymbolResult], dims: Dims | None = None,
                       timeout: float = DEFAULT_TIMEOUT, *, seeds: Iterable[int] = DEFAULT_SEEDS,
                       plugins: Iterable[str] = ()) -> LiveRun:
    """Probe ``python`` for every static symbol and judge each weight.

    A probe that crashes, hangs past ``timeout`` or lacks TensorFlow yields a LiveRun with
    ``error`` set (one line) and no symbols; a missing interpreter raises UsageError.
    ``plugins`` are Python files the probe executes after importing TF (tests use one to
    change a default initializer in the throw-away process).
    """
    t0 = time.monotonic()
    request = probe_request(static_results, dims, seeds, plugins)
    try:
        probe = run_probe(python, request, timeout)
    except ProbeError as e:
        info: InterpreterInfo | None
        try:
            info = interpreter_info(python)
        except ProbeError:
            info = None
        return LiveRun(python=python, python_version=info.python_version if info else "",
                       tensorflow=info.tensorflow if info else None,
                       keras=info.keras if info else None, error=str(e),
                       seconds=time.monotonic() - t0)
    return compare_run(python, static_results, probe, seconds=time.monotonic() - t0)


def verify_interpreters(static_by_python: Mapping[str, list[SymbolResult]],
                        dims: Dims | None = None, timeout: float = DEFAULT_TIMEOUT
                        ) -> list[LiveRun]:
    """``verify_interpreter`` for each interpreter with the static results of its release."""
    return [verify_interpreter(py, results, dims, timeout)
            for py, results in static_by_python.items()]
