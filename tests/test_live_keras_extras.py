"""Keras layers `--symbols all` left partial or inconclusive before their conventions had
rules, answered from the installed files of the test virtualenvs and built live there.

Known answers, read from each release's source (keras/src/...):

- ``MeanTensor`` (TF 1.15.5 tensorflow_core/python/keras/metrics.py, 2.15.1
  keras/src/metrics/base_metric.py): ``shape=None``, so ``Metric.__call__`` -> ``update_state``
  -> ``_build(values.shape)`` makes ``total`` and ``count`` with ``initializer="zeros"``, of the
  values' whole shape: one batch of the table's size (1) of 32 features -> ``[1, 32]``.
- ``SpectralNormalization`` (2.15.1, 2.21.0): its build requires ``layer.kernel`` (or
  ``embeddings``); LSTM's code sets neither, so it wraps the table's next choice, ``Dense(64)``
  on 32 features: ``kernel`` glorot_uniform ``[32, 64]``, ``bias`` zeros ``[64]``, and its own
  ``vector_u`` ``TruncatedNormal(stddev=0.02)`` ``[1, 64]``.
- ``MultiHeadAttention(num_heads=2, key_dim=16)`` (2.15.1, 2.21.0): documented query ``(B, T,
  dim)``: built on ``[batch, 5, 32]``; query/key/value kernels ``[32, 2, 16]`` and biases
  ``[2, 16]``; the output projection ``[2, 16, 32]`` and ``[32]`` (back to the query's 32).
- ``Discretization`` (2.15.1): ``summary`` of shape ``(2, None)`` starts as the literal
  ``[[], []]`` its initializer lambda returns: a constant, created with that value's shape
  ``(2, 0)`` (the open axis is set when ``adapt`` assigns the summary).
- ``STFTSpectrogram`` (2.21.0): ``frame_length=256``, ``fft_length`` the next power of two
  (256), kernels ``(256, 1, 129)`` from ``initializers.STFT("real"/"imag", "hann", "density",
  False)``: the DFT basis times a symmetric hann window, L2-normalised (scipy in the venv).
"""

from __future__ import annotations

from typing import Any

import pytest
from test_live_e2e import describe, venv_python

from tfinit_audit.analysis.audit import analyze
from tfinit_audit.analysis.model import Dims, SymbolResult
from tfinit_audit.analysis.symbols import parse_symbol
from tfinit_audit.live.verify import verify_interpreter
from tfinit_audit.sources.local import open_installed

pytestmark = [pytest.mark.live, pytest.mark.slow]

GLOROT = "glorot_uniform"
KNOWN: dict[str, dict[str, dict[str, tuple[list[int] | None, str]]]] = {
    "tf.keras.metrics.MeanTensor": {
        "tf115": {"total": ([1, 32], "zeros"), "count": ([1, 32], "zeros")},
        "tf215": {"total": ([1, 32], "zeros"), "count": ([1, 32], "zeros")},
    },
    "tf.keras.layers.SpectralNormalization": {
        env: {"layer/kernel": ([32, 64], GLOROT), "layer/bias": ([64], "zeros"),
              "vector_u": ([1, 64], "truncated_normal")} for env in ("tf215", "tf221")
    },
    "tf.keras.layers.MultiHeadAttention": {
        env: {**{f"{p}/kernel": ([32, 2, 16], GLOROT) for p in ("query", "key", "value")},
              **{f"{p}/bias": ([2, 16], "zeros") for p in ("query", "key", "value")},
              "attention_output/kernel": ([2, 16, 32], GLOROT),
              "attention_output/bias": ([32], "zeros")} for env in ("tf215", "tf221")
    },
    "tf.keras.layers.Discretization": {"tf215": {"summary": ([2, 0], "constant")}},
    "tf.keras.layers.STFTSpectrogram": {
        "tf221": {"real_kernel": ([256, 1, 129], "stft"), "imag_kernel": ([256, 1, 129], "stft")},
    },
}
INCONCLUSIVE: set[tuple[str, str]] = set()  # every weight is judged


def cases() -> list[tuple[str, str]]:
    return [(env, name) for name, by in KNOWN.items() for env in by]


@pytest.fixture(scope="module")
def answers() -> dict[str, list[SymbolResult]]:
    return {}


def static(env: str, cache: dict[str, Any]) -> list[SymbolResult]:
    if env not in cache:
        names = [n for n, by in KNOWN.items() if env in by]
        cache[env] = analyze(open_installed(venv_python(env)), [parse_symbol(n) for n in names],
                             Dims())
    return cache[env]


@pytest.mark.parametrize(("env", "name"), cases())
def test_static_answer_is_the_one_read_from_the_source(
        env: str, name: str, answers: dict[str, Any]) -> None:
    r = next(s for s in static(env, answers) if s.symbol == name)
    assert r.status == "resolved", r.message
    got = {w.name: (w.shape, w.initializer.kind) for w in r.weights}
    assert got == KNOWN[name][env]
    if name.endswith("SpectralNormalization"):
        [arg] = r.arguments
        assert arg.value["symbol"] == "tf.keras.layers.Dense"
        assert "sets no 'kernel' or 'embeddings'" in arg.value["note"]
    if name.endswith("Discretization"):
        [w] = r.weights
        assert w.initializer.params == {"value": [[], []]}
        assert w.shape_expr == "(2, None)"
    if name.endswith("STFTSpectrogram"):
        for w in r.weights:
            assert w.initializer.params == {"side": w.name.split("_")[0], "window": "hann",
                                            "scaling": "density", "periodic": False}


@pytest.mark.parametrize("env", ["tf115", "tf215", "tf221"])
def test_they_agree_with_tensorflow(env: str, answers: dict[str, Any]) -> None:
    results = static(env, answers)
    run = verify_interpreter(venv_python(env), results, Dims(), timeout=600)
    assert run.error is None, run.error
    assert run.summary["disagree"] == 0, describe(run)
    for s in run.symbols:
        for w in s.weights:
            if (s.symbol, w.name) in INCONCLUSIVE:
                assert w.verdict == "inconclusive" and w.evidence.get("reason"), (s.symbol, w)
            else:
                assert w.verdict == "agree", (s.symbol, w.name, w.evidence.get("reason"))
    expected = sum(len(by[env]) for by in KNOWN.values() if env in by)
    assert sum(len(s.weights) for s in run.symbols) == expected
