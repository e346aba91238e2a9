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
from report_fixtures import empty_report, error_only_report, hostile_report, realistic_report

from tfinit_audit.live.model import LiveRun, LiveSymbol, LiveWeight
from tfinit_audit.report import render_json, write_reports

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "docs" / "report.schema.json"


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def errors(validator: Draft202012Validator, doc: Any) -> list[str]:
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(doc)]


@pytest.mark.parametrize(
    "make", [realistic_report, hostile_report, empty_report, error_only_report]
)
def test_reports_validate(validator: Draft202012Validator, make: Any, tmp_path: Path) -> None:
    written = write_reports(make(), tmp_path, {"json"})
    doc = json.loads(written["json"].read_text(encoding="utf-8"))
    assert errors(validator, doc) == []
    assert doc["schema_version"] == 1


def test_contract_fields_of_design_section_4(validator: Draft202012Validator) -> None:
    doc = json.loads(render_json(realistic_report()))
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
    good = json.loads(render_json(realistic_report()))
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
