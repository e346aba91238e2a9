"""diff_versions: what changed between consecutive releases, per matrix row."""

from __future__ import annotations

import copy

from report_fixtures import realistic_report

from tfinit_audit.analysis.model import Initializer
from tfinit_audit.report import diff_versions
from tfinit_audit.report.model import Report


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
