"""The answers of the rules for plain sources and sub-layers, from each test virtualenv's
installed release (scripts/setup-test-envs.sh), checked by building the layers in that
TensorFlow: string identifiers handed to ``add_weight``, initializer constructors with
arguments and numbers from numpy, renorm's nested ``sqrt`` initializer, a TF 1.x inline
None-means-default, weights found although ``build`` rejects the documented input, and the
weights of ``MultiHeadAttention``'s sub-layers under their names. The probe builds each layer
as the static side did (its arguments, its input shape, a list of inputs for attention layers,
the input for each required parameter of ``call``): no plug-in."""

from __future__ import annotations

import pytest
from test_live_e2e import describe, venv_python

from tfinit_audit.analysis.audit import analyze
from tfinit_audit.analysis.model import Dims
from tfinit_audit.analysis.symbols import parse_symbol
from tfinit_audit.live.verify import verify_interpreter
from tfinit_audit.sources.local import open_installed

pytestmark = [pytest.mark.live, pytest.mark.slow]

SYMBOLS = {
    "tf115": ["tf.nn.rnn_cell.GRUCell", "tf.keras.layers.BatchNormalization[renorm=True]",
              "tf.layers.BatchNormalization[renorm=True]", "tf.keras.layers.Conv3DTranspose",
              "tf.keras.layers.AdditiveAttention"],
    "tf215": ["tf.keras.layers.MultiHeadAttention[num_heads=2,key_dim=8]",
              "tf.keras.layers.EinsumDense[equation='ab,bc->ac',output_shape=64]",
              "tf.keras.layers.experimental.RandomFourierFeatures[output_dim=16]",
              "tf.keras.layers.Attention[use_scale=True]", "tf.keras.layers.Normalization",
              "tf.keras.layers.BatchNormalization[renorm=True]",
              "tf.keras.layers.Conv1DTranspose", "tf.keras.layers.DepthwiseConv1D"],
    "tf221": ["tf.keras.layers.MultiHeadAttention[num_heads=2,key_dim=8]",
              "tf.keras.layers.EinsumDense[equation='ab,bc->ac',output_shape=64]",
              "tf.keras.layers.Normalization", "tf.keras.layers.Attention[use_scale=True]"],
}
# every weight agrees. Keras 2 MultiHeadAttention declares no input rank; it is built on the
# rank its docstring documents for ``query`` (3), on which Keras builds every sub-layer, the
# output projection included. The transposed and depthwise convolutions are built on the rank
# they declare


@pytest.mark.parametrize("venv", sorted(SYMBOLS))
def test_rules_answers_agree_with_tensorflow(venv: str) -> None:
    python = venv_python(venv)
    static = analyze(open_installed(python), [parse_symbol(s) for s in SYMBOLS[venv]], Dims())
    for s in static:
        assert s.status == "resolved", (s.symbol, s.message)
    run = verify_interpreter(python, static, Dims(), timeout=900)
    assert run.error is None, run.error
    assert run.summary["disagree"] == 0, describe(run)
    for s in run.symbols:
        assert s.status == "ok", (s.symbol, s.message)
        ws = next(x for x in static if x.symbol == s.symbol).weights
        expected = [w.name for w in ws if not (
            w.condition and f"{w.name} (only if" in (s.message or ""))]
        assert sorted(w.name for w in s.weights) == sorted(expected), s.symbol
        for w in s.weights:
            assert w.verdict == "agree", (s.symbol, w.name, w.evidence.get("reason"))
