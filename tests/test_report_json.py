"""report.json: Report.to_json_dict() validated against docs/report.schema.json."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from jsonschema import Draft202012Validator
from report_fixtures import (
    all_releases_document,
    empty_report,
    error_only_report,
    hostile_report,
    realistic_report,
)

from tfinit_audit.errors import UsageError
from tfinit_audit.live.model import LiveRun, LiveSymbol, LiveWeight
from tfinit_audit.report import expand, load_report, render_json, write_reports

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "docs" / "report.schema.json"


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def errors(validator: Draft202012Validator, doc: Any) -> list[str]:
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(doc)]


@pytest.mark.parametrize("form", ["compact", "full"])
@pytest.mark.parametrize(
    "make", [realistic_report, hostile_report, empty_report, error_only_report]
)
def test_reports_validate(
    validator: Draft202012Validator, make: Any, form: str, tmp_path: Path
) -> None:
    written = write_reports(make(), tmp_path, {"json"}, json_form=form)
    doc = json.loads(written["json"].read_text(encoding="utf-8"))
    assert errors(validator, doc) == []
    assert doc["schema_version"] == 1 and doc["form"] == form
    assert ("hops" in doc) == (form == "compact")


def test_contract_fields_of_design_section_4(validator: Draft202012Validator) -> None:
    doc = json.loads(render_json(realistic_report(), "full"))
    assert doc["tool"] == {"name": "tfinit-audit", "version": "0.1.0"}
    assert doc["dims"]["units"] == 64 and doc["dims"]["input_dim"] == 32
    v18 = doc["versions"][0]
    assert v18["requested"] == "1.8" and v18["tensorflow"] == "1.8.0" and v18["source"] == "pypi"
    assert set(v18["packages"][0]) >= {"name", "version", "file", "sha256"}
    assert set(v18["fetch"]) >= {"requests", "bytes", "seconds", "from_cache"}
    cell = next(s for s in v18["symbols"] if s["symbol"] == "tf.nn.rnn_cell.LSTMCell")
    assert cell["defined_in"] == {
        "package": "tensorflow",
        "path": "tensorflow/python/ops/rnn_cell_impl.py",
        "line": 611,
        "qualname": "LSTMCell",
    }
    kernel, bias = cell["weights"]
    assert kernel["shape"] == [96, 256] and kernel["fallback"] is True
    assert kernel["initializer"]["kind"] == "glorot_uniform"
    assert math.isclose(kernel["initializer"]["limit"], math.sqrt(6 / 352))
    assert [h["line"] for h in kernel["provenance"]] == [762, 187, 775, 828]
    assert set(kernel["provenance"][0]) == {"package", "path", "line", "code", "note"}
    assert bias["runtime_adjustments"][0] == {
        "kind": "forget_bias",
        "value": 1.0,
        "applies_to": "forget gate pre-activation",
        "path": "tensorflow/python/ops/rnn_cell_impl.py",
        "line": 841,
        "package": "tensorflow",
    }
    assert cell["facts"]["gate_order"] == ["i", "j", "f", "o"]
    lstm215 = next(
        s for s in doc["versions"][2]["symbols"] if s["symbol"] == "tf.keras.layers.LSTM"
    )
    parts = lstm215["weights"][2]["initializer"]["params"]["parts"]
    assert [(p["initializer"]["kind"], p["start"], p["stop"]) for p in parts] == [
        ("zeros", 0, 64),
        ("ones", 64, 128),
        ("zeros", 128, 256),
    ]
    twin = next(
        s
        for s in doc["versions"][2]["symbols"]
        if s["symbol"] == "tf.compat.v1.nn.rnn_cell.LSTMCell"
    )
    assert twin["twin"] == "tf.nn.rnn_cell.LSTMCell"
    assert doc["versions"][4]["status"] == "error" and doc["versions"][4]["error"]
    live = doc["live"][0]
    assert live["summary"] == {"agree": 5, "disagree": 1, "inconclusive": 1}
    w = live["symbols"][0]["weights"][0]
    assert w["verdict"] == "agree" and len(w["samples"]) == 400 and "checks" in w["evidence"]
    kinds = {c["kind"] for c in doc["changes"]}
    assert {"shape", "availability", "initializer", "chain", "defined_in"} <= kinds


def test_numpy_and_non_finite_values_become_strict_json(validator: Draft202012Validator) -> None:
    r = empty_report()
    r.live = [
        LiveRun(
            "/py",
            "3.11",
            "2.15.0",
            "2.15.0",
            symbols=[
                LiveSymbol(
                    "tf.keras.layers.Dense",
                    "ok",
                    weights=[
                        LiveWeight(
                            "kernel",
                            [np.int64(32), 64],  # type: ignore[list-item]
                            "inconclusive",
                            {
                                "p": np.float32(0.5),
                                "arr": np.arange(3),
                                "nan": float("nan"),
                                "inf": np.inf,
                            },
                            [0.1, float("nan")],
                        )
                    ],
                )
            ],
        )
    ]
    text = render_json(r)  # allow_nan=False: would raise on NaN
    doc = json.loads(text)
    ev = doc["live"][0]["symbols"][0]["weights"][0]["evidence"]
    assert ev == {"p": 0.5, "arr": [0, 1, 2], "nan": None, "inf": None}
    assert doc["live"][0]["symbols"][0]["weights"][0]["shape"] == [32, 64]
    assert errors(validator, doc) == []


def test_schema_rejects_contract_violations(validator: Draft202012Validator) -> None:
    good = json.loads(render_json(realistic_report(), "full"))
    assert errors(validator, good) == []

    def broken(mutate: Any) -> list[str]:
        doc = copy.deepcopy(good)
        mutate(doc)
        return errors(validator, doc)

    def w0(d: dict[str, Any]) -> dict[str, Any]:
        return d["versions"][0]["symbols"][0]["weights"][0]

    assert broken(lambda d: d.update(schema_version=2))
    assert broken(lambda d: d["versions"][0]["symbols"][0].update(status="guessed"))
    assert broken(lambda d: w0(d)["initializer"].update(kind="xavier"))
    assert broken(lambda d: w0(d)["initializer"].pop("limit"))
    assert broken(lambda d: w0(d)["provenance"][0].pop("line"))
    assert broken(lambda d: w0(d)["provenance"][0].update(path="/root/.cache/x/tensorflow/a.py"))
    assert broken(
        lambda d: w0(d)["provenance"][0].update(
            path="tensorflow-1.8.0.data/purelib/tensorflow/a.py"
        )
    )
    assert broken(lambda d: d["versions"][0]["packages"][0].update(sha256="xyz"))
    assert broken(lambda d: d["versions"][4].update(error=None))  # error status needs its message
    assert broken(lambda d: d["live"][0]["symbols"][0]["weights"][0].update(verdict="maybe"))
    assert broken(
        lambda d: d["versions"][2]["symbols"][3]["weights"][2]["initializer"]["params"].pop("parts")
    )
    assert broken(lambda d: d.pop("versions"))
    # the forms do not mix: references only in the compact form, hop objects only in the full
    assert broken(lambda d: w0(d).update(provenance=[0]))
    assert broken(lambda d: d.update(hops=[]))
    compact = json.loads(render_json(realistic_report(), "compact"))
    assert errors(validator, compact) == []
    for mutate in (
        lambda d: d.pop("hops"),
        lambda d: w0(d)["provenance"].append(good["versions"][0]["symbols"][0]["weights"][0]
                                             ["provenance"][0]),
        lambda d: w0(d)["provenance"].append(-1),
        lambda d: d["hops"][0].pop("code"),
        lambda d: d.update(form="tiny"),
    ):
        doc = copy.deepcopy(compact)
        mutate(doc)
        assert errors(validator, doc), mutate


def test_compact_form_shares_hops_and_expands_to_the_full_form() -> None:
    report = realistic_report()
    full = report.to_json_dict(form="full")
    compact = report.to_json_dict()  # the default is what the CLI writes
    assert compact["form"] == "compact" and full["form"] == "full"
    hops = compact["hops"]
    keys = [json.dumps(h, sort_keys=True) for h in hops]
    assert len(keys) == len(set(keys))  # each distinct hop once
    used = sum(len(w["provenance"]) for v in full["versions"] for s in v["symbols"]
               for w in s["weights"]) + sum(len(s["name_hops"]) for v in full["versions"]
                                            for s in v["symbols"])
    assert len(hops) < used  # the fixture repeats hops across releases; they are shared
    assert expand(compact) == full
    assert expand(full) is full
    # answers stay inline in the compact form: a reader of initializers needs no table
    k18 = next(s for s in compact["versions"][0]["symbols"]
               if s["symbol"] == "tf.nn.rnn_cell.LSTMCell")["weights"][0]
    assert k18["initializer"]["kind"] == "glorot_uniform" and k18["shape"] == [96, 256]
    assert [hops[i]["line"] for i in k18["provenance"]] == [762, 187, 775, 828]


def test_compact_report_json_is_one_line_and_full_is_indented() -> None:
    compact, full = render_json(realistic_report()), render_json(realistic_report(), "full")
    assert compact.count("\n") == 1 and full.startswith('{\n  "schema_version": 1,')
    assert json.loads(compact)["form"] == "compact"
    with pytest.raises(ValueError, match="unknown report.json form"):
        realistic_report().to_json_dict(form="tiny")
    with pytest.raises(UsageError, match="unknown report.json form"):
        write_reports(realistic_report(), Path("/nonexistent"), {"json"}, json_form="tiny")


def test_expand_rejects_broken_references() -> None:
    compact = realistic_report().to_json_dict()
    for bad in (len(compact["hops"]), -1, "0", None):
        doc = copy.deepcopy(compact)
        doc["versions"][0]["symbols"][1]["weights"][0]["provenance"][0] = bad
        with pytest.raises(ValueError, match="hop reference"):
            expand(doc)
        with pytest.raises(UsageError, match="malformed report.json"):
            load_report(doc)
    with pytest.raises(UsageError, match="not a tfinit-audit report.json"):
        load_report({"schema_version": 2, "versions": []})


@pytest.mark.parametrize("make", [realistic_report, hostile_report, error_only_report])
def test_load_report_round_trips(make: Any) -> None:
    report = make()
    for form in ("compact", "full"):
        doc = report.to_json_dict(form=form)
        assert load_report(doc).to_json_dict(form=form) == doc


def test_a_report_read_back_keeps_the_argument_table_it_recorded() -> None:
    """A report.json made when the table had other entries reads back with its own table (the
    arguments that run built with), not this tool's current one."""
    doc = realistic_report().to_json_dict()
    table = doc["dims"]["arguments"]
    assert "units" in table and len(table) > 3
    old = {k: v for k, v in list(table.items())[:3]} | {"retired_entry": 7}
    doc["dims"]["arguments"] = old
    report = load_report(doc)
    assert report.dims.arguments == old
    assert report.to_json_dict()["dims"]["arguments"] == old


def test_all_releases_real_report(validator: Draft202012Validator) -> None:
    """102 real releases: both forms validate, the compact one is a fifth of the full one's size
    or less, and reading it back and writing it again changes nothing."""
    doc = all_releases_document()
    assert len(doc["versions"]) == 102 and doc["form"] == "compact"
    assert errors(validator, doc) == []
    report = load_report(doc)
    assert report.to_json_dict() == doc
    full_text, compact_text = render_json(report, "full"), render_json(report)
    full = json.loads(full_text)
    assert errors(validator, full) == []
    assert expand(doc) == full
    assert len(compact_text) * 5 < len(full_text)
    hops = sum(len(w["provenance"]) for v in full["versions"] for s in v["symbols"]
               for w in s["weights"])
    assert len(doc["hops"]) * 5 < hops  # hops repeat across releases; each is written once


def test_schema_knows_every_initializer_kind_the_analysis_names() -> None:
    """A kind the rules' vocabulary can produce (or a preset name) is one the schema allows:
    uniform_unit_scaling (TF 0.12's RNN cells) was produced but not allowed once."""
    from tfinit_audit.analysis.rules.vocabulary import _PRESETS, VOCABULARY

    text = SCHEMA_PATH.read_text(encoding="utf-8")
    schema = json.loads(text)
    enums = [e for e in _enums(schema) if "glorot_uniform" in e]
    assert len(enums) == 1
    produced = set(VOCABULARY.values()) | set(_PRESETS.values()) | {"composite", "unresolved"}
    assert produced <= set(enums[0]), produced - set(enums[0])


def _enums(node: Any) -> list[list[Any]]:
    if isinstance(node, dict):
        found = [node["enum"]] if isinstance(node.get("enum"), list) else []
        return found + [e for v in node.values() for e in _enums(v)]
    if isinstance(node, list):
        return [e for v in node for e in _enums(v)]
    return []
