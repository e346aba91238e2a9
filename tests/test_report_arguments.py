"""What a symbol was built with, in every renderer: report.json (schema-valid, needs-args with
its missing parameters), explain, HTML, Markdown and the terminal summary; and the namespace
listing of a pattern."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from report_fixtures import HOSTILE, pattern_report
from rich.console import Console

from tfinit_audit.analysis.model import Member, NamespaceListing, SuppliedArgument
from tfinit_audit.report import render_json, render_markdown, render_terminal
from tfinit_audit.report.explain import render_explain
from tfinit_audit.report.html import render_html

SCHEMA = json.loads((Path(__file__).resolve().parents[1] / "docs" / "report.schema.json")
                    .read_text(encoding="utf-8"))


def errors(doc: Any) -> list[str]:
    return [f"{e.json_path}: {e.message}" for e in Draft202012Validator(SCHEMA).iter_errors(doc)]


def text(render: Any, *args: Any) -> str:
    console = Console(width=300, record=True, color_system=None, force_terminal=False)
    render(*args, console)
    return console.export_text()


def test_json_carries_arguments_input_and_listing() -> None:
    from tfinit_audit.report.json_report import expand

    compact = json.loads(render_json(pattern_report()))
    assert errors(compact) == []
    # the compact form keeps each distinct set of what symbols were built with once
    assert len(compact["built"]) == 4 and [s["built"] for s in
                                           compact["versions"][0]["symbols"]] == [0, 1, 2, 3]
    doc = json.loads(render_json(pattern_report(), "full"))
    assert errors(doc) == [] and expand(compact) == doc
    assert doc["dims"]["given"] == {"filters": 4}
    assert doc["dims"]["arguments"]["filters"] == 4 and doc["dims"]["arguments"]["units"] == 64
    assert doc["dims"]["arguments"]["layer"] == "LSTM"
    v = doc["versions"][0]
    conv, bidi, _, lam = v["symbols"]
    assert conv["arguments"] == [{"name": "filters", "value": 4, "source": "--dim"},
                                 {"name": "kernel_size", "value": 3, "source": "table"}]
    assert conv["input_shape"] == [None, 5, 5, 32] and conv["kind"] == "class"
    assert bidi["arguments"][0]["value"]["symbol"] == "tf.keras.layers.LSTM"
    assert lam["status"] == "needs-args" and lam["missing_arguments"] == ["function"]
    listing = v["namespaces"][0]
    assert listing["pattern"] == "tf.keras.layers.*" and listing["namespaces"] == 1
    assert [m["symbol"] for m in listing["members"] if m["kept"]] == [
        "tf.keras.layers.Conv2D", "tf.keras.layers.Bidirectional", "tf.keras.layers.Lambda"]
    assert v["namespaces"][1]["error"] == "tf.nope does not exist in this release"


def test_schema_rejects_needs_args_without_its_parameters() -> None:
    doc = json.loads(render_json(pattern_report(), "full"))
    bad = copy.deepcopy(doc)
    bad["versions"][0]["symbols"][3]["missing_arguments"] = []
    assert errors(bad)
    bad = copy.deepcopy(doc)
    bad["versions"][0]["symbols"][0]["arguments"][0]["source"] = "guess"
    assert errors(bad)


def test_explain_says_what_was_supplied() -> None:
    r = pattern_report()
    out = text(render_explain, r.versions[0])
    assert "built with: filters=4 [--dim]; kernel_size=3 [table]" in out
    assert "input: [?, 5, 5, 32] (input_spec min_ndim=4" in out
    assert "built with: layer=tf.keras.layers.LSTM(units=64) [table]" in out
    assert "built with: inputs=tensor[?, 32] [input]; units=64 [table]" in out
    assert "needs function: not in the argument table (give SYMBOL[name=value]" in out


def test_html_markdown_and_terminal_say_it_too() -> None:
    r = pattern_report()
    html = render_html(r)
    assert "Built with <code>filters=4 [--dim]; kernel_size=3 [table]</code>" in html
    assert "needs args" in html and 'id="namespaces"' in html
    assert "6 public names in 1 namespace, 3 reported" in html
    assert "2 skipped — creates no weights" in html
    md = render_markdown(r)
    assert "### Built with" in md and "`filters=4 [--dim]; kernel_size=3 [table]`" in md
    assert "⋯ needs args" in md and "needs function" in md
    assert "- TF 2.15.0 `tf.keras.layers.*`: 6 public names in 1 namespace(s), 3 reported" in md
    term = text(render_terminal, r)
    assert "⋯ needs args" in term and "needs function" in term
    assert "built with the argument table and --dim filters=4" in term
    assert "TF 2.15.0 tf.keras.layers.*: 6 public names in 1 namespace(s), 3 reported" in term
    assert "TF 2.15.0 tf.nope.*: tf.nope does not exist in this release" in term


def test_untrusted_argument_text_is_escaped() -> None:
    r = pattern_report()
    v = r.versions[0]
    v.symbols[0].arguments.append(SuppliedArgument("x", HOSTILE, "symbol"))
    v.namespaces[0].members.append(Member(HOSTILE, False, f"why {HOSTILE}", "other"))
    v.namespaces.append(NamespaceListing(HOSTILE, error=HOSTILE))
    html = render_html(r)
    assert "<script>alert(1)</script>" not in html
    md = render_markdown(r)
    for line in md.splitlines():  # outside code spans, no raw '<' survives
        assert all("<" not in part for part in line.split("`")[::2]), line


def test_report_json_read_back_keeps_what_symbols_were_built_with() -> None:
    from tfinit_audit.report.json_report import load_report

    r = pattern_report()
    for form in ("compact", "full"):
        back = load_report(r.to_json_dict(form))
        v0, v1 = r.versions[0], back.versions[0]
        for a, b in zip(v0.symbols, v1.symbols, strict=True):
            assert (b.kind, b.missing_arguments, b.input_shape, b.input_note, b.input_count) == (
                a.kind, a.missing_arguments, a.input_shape, a.input_note, a.input_count)
            assert [(x.name, x.value, x.source) for x in b.arguments] == [
                (x.name, x.value, x.source) for x in a.arguments]
        assert [(n.pattern, n.error, [(m.symbol, m.kept, m.reason) for m in n.members])
                for n in v1.namespaces] == [
            (n.pattern, n.error, [(m.symbol, m.kept, m.reason) for m in n.members])
            for n in v0.namespaces]
        assert back.dims.given == {"filters": 4}


def test_a_dim_no_symbol_was_built_with_is_said_with_the_likely_name() -> None:
    from tfinit_audit.cli import _unused_dims

    report = pattern_report()
    # used ('filters'), a table entry ('units'), and an added one no symbol took ('filterz')
    report.dims.given = {"filters": 4, "units": 8, "filterz": 3, "zzz_q": 1}
    lines = _unused_dims(report)
    assert lines == [
        "--dim filterz: no symbol built here has a required parameter 'filterz' "
        "(did you mean 'filters'?)",
        "--dim zzz_q: no symbol built here has a required parameter 'zzz_q'"]
    # an added entry a symbol was built with is not mentioned
    report.versions[0].symbols[0].arguments[0].name = "filterz"
    report.dims.given = {"filterz": 3}
    assert _unused_dims(report) == []
