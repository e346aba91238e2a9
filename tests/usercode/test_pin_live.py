"""--pin end to end, on real TensorFlow: a model file written for TF 1.15 is pinned to keep
1.15's behaviour in 2.15, then run in the real 2.15 test virtualenv. Every layer's built weights
must have 1.15's initializers (the live check's statistics, ``live/stats.py``), shapes and
porting facts -- as the static analysis of 1.15 states them -- and every line the pin did not
touch must be byte-identical."""

from __future__ import annotations

import ast
import difflib
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tfinit_audit import pipeline
from tfinit_audit.analysis.model import SymbolResult
from tfinit_audit.live.stats import check_values
from tfinit_audit.report import fmt

pytestmark = [pytest.mark.live, pytest.mark.network, pytest.mark.slow]
LIVE = Path(__file__).parent / "fixtures" / "live"
VENVS = Path(os.environ.get("TFINIT_AUDIT_VENVS", Path.home() / ".cache/tfinit-audit/venvs"))
SEEDS = "11,12,13"


def built_in(python: Path, model: Path) -> dict[str, Any]:
    res = subprocess.run([str(python), str(LIVE / "build_weights.py"), str(model), SEEDS],
                         capture_output=True, text=True, timeout=600,
                         env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert res.returncode == 0, res.stderr[-2000:]
    out: dict[str, Any] = json.loads(res.stdout.strip().splitlines()[-1])
    return out


def call_spans(text: str) -> dict[tuple[int, int], tuple[int, int]]:
    """(line, 1-based column) of each call -> its first and last line."""
    spans = {}
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Call):
            spans[(node.lineno, node.col_offset + 1)] = (node.lineno, node.end_lineno or 0)
    return spans


def test_pin_115_runs_as_115_in_215(real_cache: Path, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    python = VENVS / "tf215" / "bin" / "python"
    assert python.exists(), "run scripts/setup-test-envs.sh"
    model = tmp_path / "model_115.py"
    shutil.copy(LIVE / "model_115.py", model)
    monkeypatch.chdir(tmp_path)
    before = model.read_text()
    result = pipeline.scan([model.name], from_version="1.15", to_version="2.15", pin="1.15",
                           write=True, cache_dir=real_cache)
    after = model.read_text()
    pinned = [s for s in result.sites if s.changes]
    assert {s.call.code.split("(")[0] for s in pinned} == {
        "tf.keras.layers.GRU", "tf.keras.layers.LSTM", "tf.keras.layers.GRUCell",
        "tf.keras.layers.LSTMCell"}
    assert all(c.pin is not None for s in pinned for c in s.changes)

    # untouched lines are byte-identical: every difference lies inside a pinned call
    spans = call_spans(before)
    allowed = {ln for s in pinned
               for ln in range(spans[(s.call.line, s.call.column)][0],
                               spans[(s.call.line, s.call.column)][1] + 1)}
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    for tag, i1, i2, _, _ in difflib.SequenceMatcher(a=old, b=new).get_opcodes():
        if tag != "equal":
            touched = set(range(i1 + 1, i2 + 1)) or {i1}  # an insertion after line i1
            assert touched <= allowed, (tag, i1, i2)
    assert "            return_sequences=True,  # this comment must survive the pin\n" in after

    # the pinned file, built in real TF 2.15, has TF 1.15's static answers
    observed = built_in(python, model)
    assert observed["tensorflow"].startswith("2.15")
    static = {s.call.code.split("(")[0] + repr(s.call.line): s for s in result.sites}
    rec115 = result.report.versions[0]
    for name, layer in observed["layers"].items():
        site = _site_of(result, name, before)
        sym = _static(rec115.symbols, site.releases[0].row)
        for w in sym.weights:
            got = layer["weights"][w.name.split("/")[-1]]
            assert got["shape"] == w.shape, (name, w.name)
            samples = [np.asarray(v, dtype=np.float64).reshape(w.shape) for v in got["samples"]]
            checks = check_values(w.initializer, w.shape, samples)
            assert checks and all(c.passed for c in checks), (
                name, w.name, fmt.init_params(w.initializer),
                [(c.check, c.passed, c.detail) for c in checks])
        facts = {k: fmt.fact_value(v) for k, v in sym.facts.items()}
        for fact, value in layer["facts"].items():
            if fact in facts:
                assert value == facts[fact], (name, fact, value, facts[fact])
    assert static  # every layer was matched to its call site above


def _site_of(result: Any, name: str, text: str) -> Any:
    line = next(i for i, ln in enumerate(text.splitlines(), 1) if f'"{name}":' in ln)
    (site,) = [s for s in result.sites if s.call.line == line]
    return site


def _static(symbols: list[SymbolResult], row: str | None) -> SymbolResult:
    (sym,) = [s for s in symbols if (s.twin or s.symbol) == row]
    assert sym.status == "resolved", (sym.symbol, sym.message)
    return sym
