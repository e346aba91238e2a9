"""diff_versions: what changed between consecutive releases, per matrix row."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from report_fixtures import realistic_report

from tfinit_audit.analysis.model import Initializer
from tfinit_audit.report import diff_versions
from tfinit_audit.report.model import Report
from tfinit_audit.report.view import build_view


def changes_of(
    report: Report, row: str, kind: str | None = None
) -> list[tuple[str, str, str | None, str, str]]:
    return [
        (c.from_version, c.to_version, c.weight, c.before, c.after)
        for c in diff_versions(report)
        if c.row == row and (kind is None or c.kind == kind)
    ]


def test_same_answer_different_chain_is_a_trace_change() -> None:
    r = realistic_report()
    ch = [
        c
        for c in diff_versions(r)
        if c.row == "tf.nn.rnn_cell.LSTMCell" and c.to_version == "1.10.0"
    ]
    assert [(c.kind, c.weight, c.affects_values) for c in ch] == [("chain", "kernel", False)]
    assert "variable_scope.py:828" in ch[0].before and "base_layer.py:518" in ch[0].after


def test_shape_facts_availability_initializer() -> None:
    r = realistic_report()
    assert changes_of(r, "tf.keras.layers.GRU", "shape") == [
        ("1.10.0", "2.15.0", "bias", "[192]", "[2, 192]")
    ]
    assert ("1.10.0", "2.15.0", "reset_after", "False", "True") in changes_of(
        r, "tf.keras.layers.GRU", "facts"
    )
    assert changes_of(r, "tf.keras.layers.GroupNormalization", "availability") == [
        (
            "1.10.0",
            "2.15.0",
            None,
            "absent (no public name tf.keras.layers.GroupNormalization in this release)",
            "resolved",
        )
    ]
    init = changes_of(r, "tf.layers.Dense", "initializer")
    assert (
        init and init[0][3].startswith("glorot_uniform(") and init[0][4].startswith("unresolved:")
    )
    assert changes_of(r, "tf.nn.rnn_cell.BasicRNNCell", "availability")[-1][:2] == (
        "2.15.0",
        "2.16.1",
    )


def test_defining_file_and_concrete_name_changes() -> None:
    r = realistic_report()
    defined = changes_of(r, "tf.nn.rnn_cell.LSTMCell", "defined_in")
    assert defined and "keras/src/layers/rnn/legacy_cells.py" in defined[0][4]
    assert changes_of(r, "tf.nn.rnn_cell.LSTMCell", "symbol") == [
        ("1.10.0", "2.15.0", None, "tf.nn.rnn_cell.LSTMCell", "tf.compat.v1.nn.rnn_cell.LSTMCell")
    ]


def test_error_release_is_skipped_and_compared_across() -> None:
    r = realistic_report()
    err = r.versions.pop()  # 2.99 error at the end
    r.versions.insert(2, err)  # 1.8, 1.10, ERROR, 2.15, 2.16
    pairs = {(c.from_version, c.to_version) for c in diff_versions(r)}
    assert ("1.10.0", "2.15.0") in pairs
    assert not any("2.99" in (a, b) for a, b in pairs)


def test_identical_releases_have_no_changes_and_edits_are_detected() -> None:
    r = realistic_report()
    r.versions = [r.versions[2], copy.deepcopy(r.versions[2])]
    r.versions[1].tensorflow = "2.15.1"
    assert diff_versions(r) == []
    # a changed source answer changes the diff: constant 1.0 instead of zeros for GRU's bias
    gru = next(s for s in r.versions[1].symbols if s.symbol == "tf.keras.layers.GRU")
    gru.weights[2].initializer = Initializer("constant", {"value": 1.0})
    ch = diff_versions(r)
    assert [(c.kind, c.weight, c.before, c.after) for c in ch] == [
        ("initializer", "bias", "zeros", "constant(value=1.0)")
    ]
    # a moved line alone is not a change; moved code is
    lstm = next(s for s in r.versions[1].symbols if s.symbol == "tf.keras.layers.LSTM")
    lstm.weights[0].provenance[0].line += 7
    assert len(diff_versions(r)) == 1
    lstm.weights[0].provenance[0].code = "kernel_initializer='he_uniform',"
    assert {c.kind for c in diff_versions(r)} == {"initializer", "chain"}


def test_runtime_adjustment_and_weight_set_changes() -> None:
    r = realistic_report()
    r.versions = [r.versions[0], copy.deepcopy(r.versions[0])]
    r.versions[1].tensorflow = "1.8.1"
    cell = next(s for s in r.versions[1].symbols if s.symbol == "tf.nn.rnn_cell.LSTMCell")
    cell.weights[1].runtime_adjustments[0].value = 0.0
    cell.weights.pop(0)
    ch = {(c.kind, c.weight): c for c in diff_versions(r)}
    assert ch[("adjustment", "bias")].after == "forget_bias=0.0 added to forget gate pre-activation"
    assert (ch[("weights", "kernel")].before, ch[("weights", "kernel")].after) == (
        "present",
        "gone",
    )


# ------------------------------------------------------------ changes mean changes (issue 13)
def _lstm_row(r: Report, version: int) -> Any:
    return next(s for s in r.versions[version].symbols if s.symbol.endswith("rnn_cell.LSTMCell"))


def test_an_unknown_side_is_a_gap_not_a_change() -> None:
    r = realistic_report()
    kernel = _lstm_row(r, 1).weights[0]
    kernel.shape = None  # the analysis could not compute it in 1.10.0
    kernel.initializer = Initializer(kind="unresolved", params={"expression": "init"})
    ch = [c for c in diff_versions(r) if c.row == "tf.nn.rnn_cell.LSTMCell"
          and c.kind in ("shape", "initializer")]
    assert {(c.to_version, c.kind, c.category) for c in ch} == {
        ("1.10.0", "shape", "gap"), ("1.10.0", "initializer", "gap"),  # known -> unknown
        ("2.15.0", "shape", "gap"), ("2.15.0", "initializer", "gap")}  # and back
    assert not any(c.affects_values for c in ch)
    view = build_view(r)
    cells = next(row for row in view.rows if row.key == "tf.nn.rnn_cell.LSTMCell").cells
    assert cells[1].gap and not cells[1].changed
    assert view.totals["gaps"] >= 2


def test_a_change_behind_a_gap_is_still_reported() -> None:
    r = realistic_report()
    _lstm_row(r, 1).weights[0].shape = None  # 1.8.0 [96, 256] -> 1.10.0 ? -> 2.15.0 [...]
    after = _lstm_row(r, 2).weights[0]
    after.shape = [100, 256]
    ch = [c for c in diff_versions(r) if c.row == "tf.nn.rnn_cell.LSTMCell" and c.kind == "shape"]
    assert [(c.from_version, c.to_version, c.before, c.after, c.category) for c in ch] == [
        ("1.8.0", "1.10.0", "[96, 256]", "?", "gap"),
        ("1.10.0", "2.15.0", "?", "[100, 256]", "gap"),
        ("1.8.0", "2.15.0", "[96, 256]", "[100, 256]", "value"),  # from the last known
    ]
    assert [c.to_json()["category"] for c in ch] == ["gap", "gap", "value"]


def test_facts_are_not_values_and_spellings_of_one_function_are_no_change() -> None:
    r = realistic_report()
    dense = [s for s in r.versions[0].symbols if s.symbol == "tf.layers.Dense"]
    later = [s for s in r.versions[1].symbols if s.symbol == "tf.layers.Dense"]
    for s, value in ((dense[0], None), (later[0], "linear")):
        s.facts["activation"] = {"value": value, "path": "x.py", "line": 1, "code": "..."}
    assert [c for c in changes_of(r, "tf.layers.Dense", "facts") if c[1] == "1.10.0"] == []
    gru = [c for c in diff_versions(r) if c.row == "tf.keras.layers.GRU" and c.kind == "facts"]
    assert gru and all(c.category == "facts" and not c.affects_values for c in gru)


@pytest.mark.network
@pytest.mark.slow
def test_real_releases_gap_and_activation_spelling(real_cache: Path) -> None:
    """1.13.1 aliases TensorShape = TensorShapeV1; once that alias converts a list like the
    class (rules/shapes.py), Dense's kernel shape and BatchNormalization's weights are known
    there as in 1.12.3 and 1.14.0: no change and no gap (gaps themselves: the synthetic tests
    above). tf.layers.Dense's activation is None in 1.8.0 and 'linear' (the same identity) in
    1.10.1: no change."""
    import tfinit_audit

    d = tfinit_audit.diff("1.12.3", "1.13.1", "1.14.0", cache_dir=real_cache,
                          symbols=["tf.layers.Dense", "tf.keras.layers.BatchNormalization"])
    assert [c.text() for c in d.changes if c.affects_values] == []
    assert [c.text() for c in d.changes if c.is_gap] == []
    dense = [v.symbols[0] for v in d.report.versions]
    assert [[w.shape for w in s.weights if w.name == "kernel"] for s in dense] == [[[32, 64]]] * 3
    assert "▲ 0 change(s) of starting values" in d.text
    spelled = tfinit_audit.diff("1.8.0", "1.10.1", cache_dir=real_cache,
                                symbols=["tf.layers.Dense"])
    assert [c for c in spelled.changes if c.kind == "facts"] == []
    facts = [s.facts["activation"]["value"] for s in
             (v.symbols[0] for v in spelled.report.versions)]
    assert facts == [None, "linear"]  # the facts themselves are reported as they are
