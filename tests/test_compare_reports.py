"""benchmarks/compare_reports.py: every decided answer compared, timings ignored."""

from __future__ import annotations

import copy
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from report_fixtures import realistic_report

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "compare_reports.py"


@pytest.fixture(scope="module")
def cmp() -> ModuleType:
    spec = importlib.util.spec_from_file_location("compare_reports", SCRIPT)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["compare_reports"] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture()
def report() -> dict[str, Any]:
    data: dict[str, Any] = realistic_report().to_json_dict(form="full")
    return data


def _weighted(report: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    v = next(v for v in report["versions"] if any(s["weights"] for s in v["symbols"]))
    return v, next(s for s in v["symbols"] if s["weights"])


def test_identical_reports_have_no_difference(cmp: ModuleType, report: dict[str, Any]) -> None:
    assert cmp.compare(report, copy.deepcopy(report)) == []


def test_timings_and_run_metadata_are_ignored(cmp: ModuleType, report: dict[str, Any]) -> None:
    after = copy.deepcopy(report)
    after["generated_at"] = "2030-01-01T00:00:00Z"
    after["command"] = "tfinit-audit --something-else"
    for v in after["versions"]:
        v["analysis_seconds"] = 123.0
        if v.get("fetch"):
            v["fetch"]["seconds"] = 99.0
            v["fetch"]["requests"] += 1
    assert cmp.compare(report, after) == []


def test_a_changed_hop_line_is_reported_with_its_place(
    cmp: ModuleType, report: dict[str, Any]
) -> None:
    after = copy.deepcopy(report)
    v, s = _weighted(after)
    hop = s["weights"][0]["provenance"][0]
    hop["line"] += 1
    diffs = cmp.compare(report, after)
    assert len(diffs) == 1
    assert diffs[0].startswith(f"{v['tensorflow']} {s['symbol']}.weights[0].provenance[0].line:")


@pytest.mark.parametrize("change", ["status", "initializer", "fact", "missing symbol"])
def test_answers_that_differ_are_reported(
    cmp: ModuleType, report: dict[str, Any], change: str
) -> None:
    after = copy.deepcopy(report)
    v, s = _weighted(after)
    if change == "status":
        s["status"] = "partial"
    elif change == "initializer":
        s["weights"][0]["initializer"]["kind"] = "zeros"
    elif change == "fact":
        s["facts"]["gate_order"] = {"value": ["x"]}
    else:
        v["symbols"].remove(s)
    assert cmp.compare(report, after)


def test_command_line_exit_codes(
    cmp: ModuleType, report: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(report))
    b.write_text(json.dumps(report))
    assert cmp.main([str(a), str(b)]) == 0
    after = copy.deepcopy(report)
    _weighted(after)[1]["weights"][0]["shape"] = None
    b.write_text(json.dumps(after))
    assert cmp.main([str(a), str(b)]) == 1
    assert "shape" in capsys.readouterr().out
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(SystemExit) as exc:
        cmp.main([str(a), str(bad)])
    assert exc.value.code == 2


def test_compact_and_full_forms_compare_equal(cmp: ModuleType, report: dict[str, Any]) -> None:
    compact = realistic_report().to_json_dict(form="compact")
    assert compact["form"] == "compact" and compact["hops"]
    assert cmp.compare(report, compact) == [] and cmp.compare(compact, report) == []
    # a hop changed in the shared table is a difference wherever that hop is used
    after = copy.deepcopy(compact)
    after["hops"][0]["line"] += 1
    diffs = cmp.compare(report, after)
    assert diffs and all(".line:" in d for d in diffs)


def test_broken_hop_reference_is_unreadable_input(
    cmp: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    compact = realistic_report().to_json_dict(form="compact")
    _weighted(compact)[1]["weights"][0]["provenance"][0] = len(compact["hops"])
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(realistic_report().to_json_dict(form="full")))
    b.write_text(json.dumps(compact))
    with pytest.raises(SystemExit) as exc:
        cmp.main([str(a), str(b)])
    assert exc.value.code == 2
    assert "hop reference out of range" in capsys.readouterr().err


def test_a_field_added_empty_is_no_difference(cmp: ModuleType, report: dict[str, Any]) -> None:
    """report.json only ever adds fields: a report made before a field existed compares equal
    to one that has it empty, but not to one where it says something."""
    old = copy.deepcopy(report)
    for v in old["versions"]:
        v.pop("warnings", None)
    for v in report["versions"]:
        v["warnings"] = []
    assert cmp.compare(old, report) == []
    report["versions"][0]["warnings"] = ["tensorflow/x.py:3: SyntaxError: invalid syntax"]
    assert len(cmp.compare(old, report)) == 1
