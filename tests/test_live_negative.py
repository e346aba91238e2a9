"""Negative tests: a default initializer changed at run time must come out ``disagree``.

A small plug-in file is executed by the probe right after ``import tensorflow``, inside the
throw-away subprocess only; it also prints to stdout to show that cannot corrupt the JSON.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_live_e2e import CASES, venv_python  # expected static answers, written by hand

from tfinit_audit.analysis.model import Dims
from tfinit_audit.live.verify import verify_interpreter

pytestmark = [pytest.mark.live, pytest.mark.slow]

DENSE_NORMAL = '''
import tensorflow as tf
print("plug-in noise on stdout")
_Dense = tf.keras.layers.Dense
_orig = _Dense.__init__
def _patched(self, *args, **kwargs):
    kwargs.setdefault("kernel_initializer", tf.keras.initializers.RandomNormal(stddev=0.1))
    _orig(self, *args, **kwargs)
_Dense.__init__ = _patched
'''

GLOROT_VALUES_NORMAL = '''
import tensorflow as tf
def _call(self, shape, dtype=None, **kwargs):
    return tf.random.normal(shape, stddev=0.1, dtype=dtype or "float32")
tf.keras.initializers.GlorotUniform.__call__ = _call
'''


def dense_only(venv: str) -> list:
    return [s for s in CASES[venv]() if s.symbol == "tf.keras.layers.Dense"]


@pytest.mark.parametrize("venv", ["tf115", "tf215", "tf221"])
def test_changed_default_initializer_disagrees(venv: str, tmp_path: Path) -> None:
    plugin = tmp_path / "dense_normal.py"
    plugin.write_text(DENSE_NORMAL)
    run = verify_interpreter(venv_python(venv), dense_only(venv), Dims(), timeout=600,
                             plugins=[str(plugin)])
    assert run.error is None, run.error
    (dense,) = run.symbols
    verdict = {w.name: w for w in dense.weights}
    assert verdict["bias"].verdict == "agree"
    kernel = verdict["kernel"]
    assert kernel.verdict == "disagree"
    checks = {c["check"]: c for c in kernel.evidence["checks"]}
    assert checks["initializer_config"]["passed"] is False
    assert checks["initializer_config"]["runtime_kind"] == "random_normal"
    assert checks["ks"]["passed"] is False and checks["ks"]["p"] < 1e-10
    assert checks["bounds"]["passed"] is False
    assert "initializer_config" in kernel.evidence["reason"]
    assert run.summary == {"agree": 1, "disagree": 1, "inconclusive": 0}


@pytest.mark.parametrize("venv", ["tf215", "tf221"])
def test_values_alone_expose_a_changed_initializer(venv: str, tmp_path: Path) -> None:
    """The object still claims glorot_uniform; only the statistics can tell."""
    plugin = tmp_path / "glorot_values_normal.py"
    plugin.write_text(GLOROT_VALUES_NORMAL)
    run = verify_interpreter(venv_python(venv), dense_only(venv), Dims(), timeout=600,
                             plugins=[str(plugin)])
    assert run.error is None, run.error
    kernel = run.symbols[0].weights[0]
    assert kernel.name == "kernel" and kernel.verdict == "disagree"
    checks = {c["check"]: c["passed"] for c in kernel.evidence["checks"]}
    assert checks["initializer_config"] is True
    assert checks["ks"] is False and checks["bounds"] is False
