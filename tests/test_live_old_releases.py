"""The default symbol set of the newest patch of 0.12, 1.2, 1.4, 1.8 and 1.12, audited from the
files installed in each virtualenv of scripts/setup-test-envs.sh (Python 3.6) and built in that
TensorFlow: no weight disagrees, every name the release lacks is missing at run time too, and
the static answer is complete (no ``partial``, nothing unresolved)."""

from __future__ import annotations

import pytest
from test_live_e2e import describe, venv_python

from tfinit_audit.analysis.audit import analyze
from tfinit_audit.analysis.model import Dims
from tfinit_audit.analysis.symbols import DEFAULT_SYMBOLS
from tfinit_audit.live.verify import verify_interpreter
from tfinit_audit.sources.local import open_installed

pytestmark = [pytest.mark.live, pytest.mark.slow]

# venv, release, the default-set names the release lacks (each absent at run time too)
RELEASES = [
    ("tf012", "0.12.1", {"tf.layers.Dense"} | {s.name for s in DEFAULT_SYMBOLS
                                               if s.name.startswith("tf.keras.")}),
    ("tf12", "1.2.1", {"tf.layers.Dense"} | {s.name for s in DEFAULT_SYMBOLS
                                             if s.name.startswith("tf.keras.")}),
    ("tf14", "1.4.1", {"tf.keras.layers.LSTMCell", "tf.keras.layers.GRUCell"}),
    ("tf18", "1.8.0", set()),
    ("tf112", "1.12.3", set()),
]


@pytest.mark.parametrize(("venv", "release", "lacks"), RELEASES,
                         ids=[r[1] for r in RELEASES])
def test_default_set_agrees_live(venv: str, release: str, lacks: set[str]) -> None:
    python = venv_python(venv)
    static = analyze(open_installed(python), list(DEFAULT_SYMBOLS), Dims())
    for s in static:
        assert s.status in ("resolved", "absent"), (s.symbol, s.status, s.message)
        assert all(w.initializer.kind != "unresolved" for w in s.weights), s.symbol
    assert {s.twin for s in static if s.status == "absent"} == lacks
    run = verify_interpreter(python, static, Dims(), timeout=600)
    assert run.error is None, run.error
    assert run.tensorflow == release and run.python_version.startswith("3.6.")
    assert run.summary["disagree"] == 0, describe(run)
    weights = sum(len(s.weights) for s in static)
    assert run.summary["agree"] + run.summary["inconclusive"] == weights
    for s, st in zip(run.symbols, static, strict=True):
        if st.status == "absent":  # the name is missing when the probe asks for it
            assert s.status == "absent" and not s.weights, (s.symbol, s.status, s.message)
            continue
        assert s.status == "ok" and s.file_agrees is True, (s.symbol, s.message)
        shapes = {w.name: w.shape for w in st.weights}
        for lw in s.weights:
            # the only thing left undecided is a shape the static side did not compute
            if lw.verdict == "inconclusive":
                assert shapes[lw.name] is None, (s.symbol, lw.name, lw.evidence["reason"])


# TF 1.2 tf.layers functions: the layer takes its scope with next(variable_scope(...).gen),
# converts its input with convert_to_tensor and reaches get_variable's default initializer
# through a deep chain of calls; get_local_variable forwards to get_variable (functools.wraps)
FUNCTIONS_12 = ["tf.layers.dense", "tf.layers.conv2d", "tf.layers.conv1d",
                "tf.layers.batch_normalization", "tf.layers.conv2d_transpose",
                "tf.get_local_variable"]


def test_tf_layers_functions_of_1_2_agree_live() -> None:
    from tfinit_audit.analysis.symbols import parse_symbol

    python = venv_python("tf12")
    static = analyze(open_installed(python), [parse_symbol(n) for n in FUNCTIONS_12], Dims())
    for s in static:
        assert s.status == "resolved" and s.weights, (s.symbol, s.status, s.message)
        assert all(w.initializer.kind != "unresolved" and w.shape for w in s.weights), s.symbol
    kernel = next(w for w in static[0].weights if w.name == "dense/kernel")
    assert (kernel.initializer.kind, kernel.shape, kernel.fallback) == (
        "glorot_uniform", [32, 64], True)
    run = verify_interpreter(python, static, Dims(), timeout=600)
    assert run.error is None, run.error
    assert run.summary["disagree"] == 0 and run.summary["inconclusive"] == 0, describe(run)
    assert run.summary["agree"] == sum(len(s.weights) for s in static)
