"""GitHub link mapping for provenance hops (one rule: tfinit_audit.report.links.repo_path)."""

from __future__ import annotations

import pytest

from tfinit_audit.report.links import release_tag, repo_path, source_link
from tfinit_audit.sources.base import PackageFile


@pytest.mark.parametrize(
    ("package", "path", "version", "expected"),
    [
        (
            "tensorflow",
            "tensorflow/python/ops/rnn_cell_impl.py",
            "1.8.0",
            "tensorflow/python/ops/rnn_cell_impl.py",
        ),
        (
            "tensorflow",
            "tensorflow_core/python/ops/init_ops.py",
            "2.0.0",
            "tensorflow/python/ops/init_ops.py",
        ),
        ("tensorflow", "tensorflow/_api/v2/compat/v1/__init__.py", "2.15.0", None),
        ("tensorflow", "tensorflow/tools/api/generator/api/nn/rnn_cell/__init__.py", "1.8.0", None),
        (
            "tensorflow",
            "tensorflow_core/python/keras/api/_v1/keras/layers/__init__.py",
            "2.0.0",
            None,
        ),
        ("tensorflow", "tensorflow/python/ops/gen_array_ops.py", "1.8.0", None),
        ("keras", "keras/src/layers/rnn/lstm.py", "2.15.0", "keras/src/layers/rnn/lstm.py"),
        ("keras", "keras/layers/rnn/lstm.py", "2.10.0", "keras/layers/rnn/lstm.py"),
        ("keras", "keras/api/_v1/keras/__init__.py", "2.15.0", None),
        ("keras", "keras/src/layers/rnn/lstm.py", "3.0.5", "keras/layers/rnn/lstm.py"),
        ("keras", "keras/src/layers/rnn/lstm.py", "3.3.3", "keras/src/layers/rnn/lstm.py"),
        (
            "keras",
            "keras/_tf_keras/keras/layers/__init__.py",
            "3.3.3",
            "keras/api/_tf_keras/keras/layers/__init__.py",
        ),
        (
            "tf_keras",
            "tf_keras/src/layers/rnn/legacy_cells.py",
            "2.16.0",
            "tf_keras/layers/rnn/legacy_cells.py",
        ),
        ("tf-keras", "tf_keras/__init__.py", "2.16.0", None),
    ],
)
def test_repo_path(package: str, path: str, version: str, expected: str | None) -> None:
    assert repo_path(package, path, version)[1] == expected


def test_release_tags() -> None:
    assert release_tag("1.8.0") == "v1.8.0"
    assert release_tag("2.15.0rc1") == "v2.15.0-rc1"
    assert release_tag("2.16.0.dev20240101") is None


def test_source_link_uses_the_distribution_version() -> None:
    pk = [PackageFile("tensorflow-cpu", "2.15.1", "w.whl"), PackageFile("keras", "2.15.0", "k.whl")]
    tf = source_link("tensorflow", "tensorflow/python/ops/init_ops.py", 12, pk, "2.15.1")
    assert (
        tf.url
        == "https://github.com/tensorflow/tensorflow/blob/v2.15.1/tensorflow/python/ops/init_ops.py#L12"
    )
    k = source_link(
        None, "keras/src/initializers/initializers.py", 40, pk, "2.15.1"
    )  # package inferred
    assert (
        k.url
        == "https://github.com/keras-team/keras/blob/v2.15.0/keras/src/initializers/initializers.py#L40"
    )
    gen = source_link("tensorflow", "tensorflow/_api/v2/compat/v1/__init__.py", 3, pk, "2.15.1")
    assert gen.url is None and gen.reason == "generated"
    unknown = source_link("numpy", "numpy/core/numeric.py", 3, pk, "2.15.1")
    assert unknown.url is None and unknown.reason == "unknown distribution"
    nightly = source_link(
        "tensorflow", "tensorflow/python/ops/init_ops.py", 3, [], "2.17.0.dev20240501"
    )
    assert nightly.url is None and nightly.reason == "no release tag"
