"""The pipeline's stages: one record per release from resolve to the report (fake index)."""

from __future__ import annotations

from pathlib import Path

import pytest
from httpserver import FakeIndex

from tfinit_audit import pipeline
from tfinit_audit.analysis.symbols import DEFAULT_SYMBOLS, SymbolSpec
from tfinit_audit.errors import UsageError
from tfinit_audit.sources import parse_source

INIT = "def glorot_uniform_initializer():\n    pass\n"


@pytest.fixture()
def published(index: FakeIndex) -> FakeIndex:
    for v in ("1.8.0", "1.10.0"):
        index.add("tensorflow", v, {"tensorflow/python/ops/init_ops.py": INIT}, purelib=True)
    return index


def test_one_record_per_release_flows_into_the_report(published: FakeIndex, make_ctx,  # type: ignore[no-untyped-def]
                                                       ) -> None:
    ctx = make_ctx()
    records = pipeline.resolve(parse_source("pypi"), ["1.8", "1.10"], ctx)
    assert [(r.requested, r.tensorflow, r.source, r.tree) for r in records] == [
        ("1.8", "1.8.0", "pypi", None), ("1.10", "1.10.0", "pypi", None)]
    pipeline.fetch(records, "pypi", ctx)
    assert all(r.tree is not None and r.status == "ok" for r in records)
    specs = [SymbolSpec("tf.nn.rnn_cell.LSTMCell")]
    pipeline.analyse(records, specs, pipeline.make_dims(), ctx)
    report = pipeline.build_report(records, [], pipeline.make_dims())
    assert [id(v) for v in report.versions] == [id(r) for r in records]  # the same records
    first = report.versions[0]
    assert first.symbols[0].symbol == "tf.nn.rnn_cell.LSTMCell"
    assert first.symbols[0].status == "absent"  # the fake release has no such name
    assert first.packages[0].name == "tensorflow" and first.fetch.requests >= 1
    # working state stays out of report.json
    doc = report.to_json_dict()["versions"][0]
    assert "tree" not in doc and "exception" not in doc


def test_a_local_source_is_its_own_release(tmp_path: Path, make_ctx) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "site"
    for path, text in {
        "tensorflow/python/ops/init_ops.py": INIT,
        "tensorflow-1.8.0.dist-info/METADATA": "Name: tensorflow\nVersion: 1.8.0\n",
        "tensorflow-1.8.0.dist-info/top_level.txt": "tensorflow\n",
    }.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    records = pipeline.open_releases(None, source=f"dir:{root}", cache_dir=tmp_path / "c")
    assert [(r.requested, r.tensorflow, r.source, r.status) for r in records] == [
        (f"dir:{root}", "1.8.0", "dir", "ok")]
    checked = pipeline.open_releases(["1.8", "2.0"], source=f"dir:{root}",
                                     cache_dir=tmp_path / "c")
    assert [(r.requested, r.status) for r in checked] == [("1.8", "ok"), ("2.0", "error")]
    assert isinstance(checked[1].exception, UsageError)
    with pytest.raises(UsageError):
        pipeline.raise_if_all_failed_on_input(checked[1:])
    pipeline.raise_if_all_failed_on_input(checked)  # one release is fine: nothing raised


def test_inputs() -> None:
    assert pipeline.symbol_specs(None) == list(DEFAULT_SYMBOLS)
    one = pipeline.symbol_specs("tf.nn.rnn_cell.LSTMCell[num_proj=16]")
    assert one == [SymbolSpec("tf.nn.rnn_cell.LSTMCell", (("num_proj", 16),))]
    assert pipeline.symbol_specs([one[0], "tensorflow.keras.layers.GRU"])[1].name == (
        "tf.keras.layers.GRU")
    dims = pipeline.make_dims(128, 16)
    assert (dims.units, dims.input_dim) == (128, 16)
    for bad in ((0, 32), (64, -1), (True, 32), (64, 3.5)):
        with pytest.raises(UsageError):
            pipeline.make_dims(*bad)  # type: ignore[arg-type]
