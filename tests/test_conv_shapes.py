"""Concrete shapes and numeric limits of the convolution family (issue 9, item 4), on the
documented input: 32 features/channels (the table's ``features``), 5 steps per spatial axis,
8 filters, a 3-wide window, 64 units. Each layer is built on the rank its ``input_spec``
declares. The expected numbers are derived here by hand from TensorFlow's fan rule (the
receptive field is the product of all dims but the last two; ``fan_in = rf * shape[-2]``,
``fan_out = rf * shape[-1]``; glorot_uniform's limit is ``sqrt(6 / (fan_in + fan_out))``),
checked against the analysis of the real releases (network) and against the layers built in
each test virtualenv's TensorFlow (live)."""

from __future__ import annotations

import math

import pytest
from test_audit_real import assert_hops_real, one, tree_of

from tfinit_audit.analysis.audit import analyze
from tfinit_audit.analysis.model import Dims, SymbolResult
from tfinit_audit.analysis.symbols import parse_symbol
from tfinit_audit.sources import SourceContext


def glorot_limit(shape: list[int]) -> float:
    rf = math.prod(shape[:-2])
    return math.sqrt(6 / (rf * shape[-2] + rf * shape[-1]))


C, F, K, L = 32, 8, 3, 5  # channels, filters, window, length of each spatial axis
OUT = L - K + 1  # a locally connected layer's output positions per axis ("valid")

# symbol -> {weight: shape} for one input (the glorot_uniform kernels are checked for their
# limit; biases are zeros)
KERAS2 = {
    "tf.keras.layers.Conv1D": {"kernel": [K, C, F], "bias": [F]},
    "tf.keras.layers.Conv2D": {"kernel": [K, K, C, F], "bias": [F]},
    "tf.keras.layers.Conv3D": {"kernel": [K, K, K, C, F], "bias": [F]},
    # transposed: [*window, filters, input channels]
    "tf.keras.layers.Conv2DTranspose": {"kernel": [K, K, F, C], "bias": [F]},
    "tf.keras.layers.Conv3DTranspose": {"kernel": [K, K, K, F, C], "bias": [F]},
    "tf.keras.layers.SeparableConv1D": {"depthwise_kernel": [K, C, 1],
                                        "pointwise_kernel": [1, C, F], "bias": [F]},
    "tf.keras.layers.SeparableConv2D": {"depthwise_kernel": [K, K, C, 1],
                                        "pointwise_kernel": [1, 1, C, F], "bias": [F]},
    "tf.keras.layers.DepthwiseConv2D": {"depthwise_kernel": [K, K, C, 1], "bias": [C]},
    # one kernel per output position: [positions, window * channels, filters]
    "tf.keras.layers.LocallyConnected1D": {"kernel": [OUT, K * C, F], "bias": [OUT, F]},
    "tf.keras.layers.LocallyConnected2D": {"kernel": [OUT * OUT, K * K * C, F],
                                           "bias": [OUT, OUT, F]},
    # the four gates side by side: 4 * filters columns
    "tf.keras.layers.ConvLSTM2D": {"kernel": [K, K, C, 4 * F],
                                   "recurrent_kernel": [K, K, F, 4 * F], "bias": [4 * F]},
}
KERAS215 = {
    **KERAS2,
    "tf.keras.layers.Conv1DTranspose": {"kernel": [K, F, C], "bias": [F]},
    "tf.keras.layers.DepthwiseConv1D": {"depthwise_kernel": [K, C, 1], "bias": [C]},
    "tf.keras.layers.ConvLSTM1D": {"kernel": [K, C, 4 * F], "recurrent_kernel": [K, F, 4 * F],
                                   "bias": [4 * F]},
    "tf.keras.layers.ConvLSTM3D": {"kernel": [K, K, K, C, 4 * F],
                                   "recurrent_kernel": [K, K, K, F, 4 * F], "bias": [4 * F]},
}
KERAS3 = {  # Keras 3: no locally connected layers; a depthwise kernel is named "kernel"
    **{s: w for s, w in KERAS215.items() if "LocallyConnected" not in s
       and "Depthwise" not in s},
    "tf.keras.layers.DepthwiseConv1D": {"kernel": [K, C, 1], "bias": [C]},
    "tf.keras.layers.DepthwiseConv2D": {"kernel": [K, K, C, 1], "bias": [C]},
}
RELEASES = {"1.15.5": KERAS2, "2.15.1": KERAS215, "2.21.0": KERAS3}


def check(r: SymbolResult, want: dict[str, list[int]]) -> None:
    assert r.status == "resolved", (r.symbol, r.message)
    got = {w.name: w for w in r.weights}
    assert {n: w.shape for n, w in got.items()} == want, r.symbol
    for name, w in got.items():
        if name == "recurrent_kernel":
            assert w.initializer.kind == "orthogonal"
        elif name == "bias":
            assert w.initializer.kind in ("zeros", "composite")  # ConvLSTM: unit_forget_bias
        else:
            assert w.initializer.kind == "glorot_uniform", (r.symbol, name)
            assert w.initializer.limit == pytest.approx(glorot_limit(want[name])), (
                r.symbol, name)


@pytest.mark.network
@pytest.mark.parametrize("version", sorted(RELEASES))
def test_convolution_kernels_have_concrete_shapes_and_limits(
    real_ctx: SourceContext, version: str
) -> None:
    tree = tree_of(real_ctx, version)
    for symbol, want in RELEASES[version].items():
        r = one(tree, symbol)
        check(r, want)
        assert r.input_note is not None and r.input_note.startswith("input_spec ")
        assert_hops_real(tree, r)


def test_the_hand_derived_limits() -> None:
    # a few of the numbers above, spelled out: Conv2D 3x3 from 32 to 8 channels
    assert glorot_limit([3, 3, 32, 8]) == pytest.approx(math.sqrt(6 / (288 + 72)))
    assert glorot_limit([3, 3, 8, 32]) == glorot_limit([3, 3, 32, 8])  # transposed: same sum
    assert glorot_limit([3, 96, 8]) == pytest.approx(math.sqrt(6 / (288 + 24)))  # LC1D


@pytest.mark.live
@pytest.mark.slow
@pytest.mark.parametrize(("venv", "version"), [("tf115", "1.15.5"), ("tf215", "2.15.1"),
                                               ("tf221", "2.21.0")])
def test_convolution_kernels_agree_with_tensorflow(venv: str, version: str) -> None:
    from test_live_e2e import describe, venv_python

    from tfinit_audit.live.verify import verify_interpreter
    from tfinit_audit.sources.local import open_installed

    python = venv_python(venv)
    want = RELEASES[version]
    static = analyze(open_installed(python), [parse_symbol(s) for s in want], Dims())
    for r in static:
        check(r, want[r.symbol])
    run = verify_interpreter(python, static, Dims(), timeout=900)
    assert run.error is None, run.error
    assert run.summary["disagree"] == 0 and run.summary["inconclusive"] == 0, describe(run)
    for s in run.symbols:
        assert sorted(w.name for w in s.weights) == sorted(want[s.symbol]), s.symbol
