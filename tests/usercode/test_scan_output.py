"""scan's outputs without the network: the JSON document against docs/scan.schema.json (every
variant of a call site and change), every field documented in docs/scan-json.md, the terminal
listing, and the HTML "Your code" section (escaped, linked to the per-symbol provenance)."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from report_fixtures import realistic_report
from rich.console import Console

from tfinit_audit.report import render_html
from tfinit_audit.report.usercode import render_scan_json, render_scan_terminal
from tfinit_audit.usercode.model import (
    Arg,
    CallSite,
    FileScan,
    FoundCall,
    Pin,
    PinnedFile,
    ReleaseView,
    ScanResult,
    SiteChange,
)

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs" / "scan.schema.json").read_text())
DOC = (ROOT / "docs" / "scan-json.md").read_text()


def sample() -> ScanResult:
    gru = FoundCall("model/enc.py", 42, 11, "tensorflow.keras.layers.GRU",
                    "tf.keras.layers.GRU", "tf.keras.layers.GRU(128, return_sequences=True)",
                    [Arg("128", None, True, 128), Arg("True", "return_sequences", True, True)])
    views = [ReleaseView("1.10.0", "resolved", None, analysed_as="tf.keras.layers.GRU",
                         row="tf.keras.layers.GRU", defined_in="tensorflow:x.py:1"),
             ReleaseView("2.15.0", "resolved", None, analysed_as="tf.keras.layers.GRU",
                         row="tf.keras.layers.GRU")]
    site = CallSite(gru, "layer", views, [
        SiteChange("shape", "bias", "[384]", "[2, 384]", "reset_after",
                   Pin("reset_after", "False", "analysis")),
        SiteChange("facts", "gate_order", "z, r, h", "r, z, h", None, None,
                   "no argument sets the gate order"),
        SiteChange("initializer", "kernel", "glorot_uniform", "orthogonal(gain=1.0)",
                   "kernel_initializer",
                   Pin("kernel_initializer", "tf.keras.initializers.GlorotUniform()",
                       "signature", ["import tensorflow as tf"])),
    ], set_by_user=["return_sequences", "units"])
    nb = FoundCall("nb.ipynb", 2, 8, "tensorflow.contrib.rnn.LSTMCell", "rnn.LSTMCell",
                   "rnn.LSTMCell(n) <script>", [Arg("cfg", None, star="**")], via="alias",
                   via_name="rnn", cell=3, ignored=True)
    cell = CallSite(nb, "layer", [
        ReleaseView("1.10.0", "unresolved", "cannot follow", "unresolved", "cannot follow"),
        ReleaseView("2.15.0", "absent", "tf has no attribute 'contrib'", "absent",
                    "tf has no attribute 'contrib'")], unavailable_in=["2.15.0"],
        notes=["the call unpacks **kwargs"])
    return ScanResult(["model", "nb.ipynb"], "1.10.0", "2.15.0", [site, cell],
                      [FileScan("model/enc.py", "model.enc"), FileScan("nb.ipynb", "nb")],
                      skipped=[("model/bad.py", "syntax error at line 3: invalid syntax")],
                      pin_release="1.10.0",
                      pinned=[PinnedFile("model/enc.py", "--- a\n+++ b\n", 1, False)],
                      unknown={"tf.contrib.foo.Bar": 2}, seconds=1.5)


def test_json_is_valid_against_the_schema() -> None:
    v = Draft202012Validator(SCHEMA)
    Draft202012Validator.check_schema(SCHEMA)
    doc = json.loads(render_scan_json(sample()))
    assert [f"{e.json_path}: {e.message}" for e in v.iter_errors(doc)] == []
    assert doc["summary"] == {"files": 2, "call_sites": 2, "relying_on_changed_defaults": 1,
                              "unavailable": 1, "unpinnable": 1, "ignored": 0,
                              "skipped_files": 1}
    site = doc["call_sites"][0]
    assert {k: site[k] for k in ("path", "line", "column", "symbol")} == {
        "path": "model/enc.py", "line": 42, "column": 11, "symbol": "tf.keras.layers.GRU"}
    assert doc["call_sites"][1]["unavailable_in"] == ["2.15.0"]
    broken = json.loads(render_scan_json(sample()))
    broken["call_sites"][0]["changes"][0]["reason"] = "both"
    assert list(v.iter_errors(broken)), "a change with a pin and a reason must not validate"


def test_every_field_is_documented() -> None:
    doc = json.loads(render_scan_json(sample()))
    keys = set(doc) | set(doc["summary"]) | set(doc["call_sites"][0]) \
        | set(doc["call_sites"][0]["changes"][0]) | set(doc["call_sites"][0]["releases"][0])
    missing = [k for k in sorted(keys) if f"`{k}`" not in DOC]
    assert missing == []


def test_terminal_grouped_by_file() -> None:
    buf = io.StringIO()
    render_scan_terminal(sample(), Console(file=buf, width=200, color_system=None))
    lines = buf.getvalue().splitlines()
    assert lines[0] == "TensorFlow 1.10.0 → 2.15.0   (pins keep 1.10.0)"
    assert lines[1] == "model/enc.py"
    assert re.match(r"  42:11 +tf\.keras\.layers\.GRU\(128, return_sequences=True\)$",
                    lines[2])
    assert "shape [384] → [2, 384]   pin reset_after=False" in lines[3]
    assert "cannot pin: no argument sets the gate order" in lines[4]
    assert lines[6] == "nb.ipynb"
    assert "cell 3:2:8" in lines[7] and "(= tf.contrib.rnn.LSTMCell)" in lines[7] \
        and "ignored" in lines[7]
    assert "unavailable in 2.15.0: tf has no attribute 'contrib'" in lines[8]
    assert lines[-1] == ("2 files, 2 layer calls, 1 rely on defaults that change, "
                         "1 unavailable, 1 with changes no argument can pin, 1 file skipped")


def test_html_section_escaped_and_linked() -> None:
    report = realistic_report()
    result = sample()
    result.from_release, result.to_release = report.versions[1].label, report.versions[2].label
    for v, rv in zip(report.versions[1:3], result.sites[0].releases, strict=True):
        rv.release = v.label
    report.usercode = result
    html = render_html(report)
    assert 'id="yourcode"' in html and '<a href="#yourcode">Your code</a>' in html
    assert "&lt;script&gt;" in html and "rnn.LSTMCell(n) <script>" not in html
    section = html[html.index('id="yourcode"'):]
    section = section[:section.index("</section>")]
    links = re.findall(r'href="#([^"]+--v\d)"', section)
    assert sorted(set(links)) == ["tf-keras-layers-gru--v1", "tf-keras-layers-gru--v2"]
    for anchor in links:
        assert f'id="{anchor}"' in html
    assert "model/bad.py" in html and "syntax error at line 3" in html


@pytest.mark.parametrize("show_all", [False, True])
def test_quiet_call_sites_only_with_all(show_all: bool) -> None:
    result = sample()
    result.sites[0].changes = []
    buf = io.StringIO()
    render_scan_terminal(result, Console(file=buf, width=200, color_system=None),
                         show_all=show_all)
    assert ("42:11" in buf.getvalue()) is show_all
