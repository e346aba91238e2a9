"""Functions and wrappers of real releases whose answer depends on the Layer API's call path,
a ``@contextmanager``, a guard of their parameters or a wrapper that never builds its layer.

Network tests: they fail (not skip) when PyPI is unreachable.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from release_results import results as _results

from tfinit_audit.sources import SourceContext

pytestmark = [pytest.mark.network, pytest.mark.slow]


@pytest.fixture(scope="module")
def analysis_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("analysis")


def test_tf112_functions_and_the_abstract_wrapper(real_ctx: SourceContext,
                                                  analysis_cache: Path) -> None:
    r = _results(real_ctx, analysis_cache, "1.12.3", "tf.layers.batch_normalization",
                 "tf.layers.dense", "tf.contrib.summary.record_summaries_every_n_global_steps",
                 "tf.keras.estimator.model_to_estimator", "tf.keras.layers.Wrapper")
    # Keras Layer.__call__ flattens its inputs (nest.flatten = _pywrap_tensorflow.Flatten)
    # before it builds the layer on their shapes
    bn = r["tf.layers.batch_normalization"]
    assert bn.status == "resolved"
    assert {w.name: w.shape for w in bn.weights} == {
        f"batch_normalization/{n}": [32] for n in ("gamma", "beta", "moving_mean",
                                                   "moving_variance")}
    assert {w.name: w.shape for w in r["tf.layers.dense"].weights} == {
        "dense/kernel": [32, 64], "dense/bias": [64]}
    # a @contextmanager entered as `with f(n):` makes the global step
    rec = r["tf.contrib.summary.record_summaries_every_n_global_steps"]
    assert [(w.name, w.shape, w.initializer.kind) for w in rec.weights] == [
        ("global_step", [], "zeros")]
    est = r["tf.keras.estimator.model_to_estimator"]
    assert est.status == "needs-args"
    assert est.missing_arguments == ["keras_model", "keras_model_path"]
    wrapper = r["tf.keras.layers.Wrapper"]
    assert wrapper.status == "resolved" and not wrapper.weights
    assert "Wrapper never builds its layer" in (wrapper.message or "")
