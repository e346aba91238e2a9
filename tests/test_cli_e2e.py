"""The whole tool through its CLI, on real releases and real TensorFlow: what a user runs.

- the main job on a real PyPI release writes a report.json valid against docs/report.schema.json,
  with the known 1.8 LSTMCell answer and provenance lines equal to the fetched file's lines;
- `explain` prints the fallback chain;
- `verify --fail-on-mismatch` on the TF 2.15 test venv passes (exit 0), and with a plug-in that
  changes Dense's default initializer in the throw-away probe process it exits 1.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from tfinit_audit.cli import main
from tfinit_audit.report import expand
from tfinit_audit.sources import SourceContext, open_tree
from tfinit_audit.sources.cache import venvs_dir

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "docs" / "report.schema.json").read_text())
VENVS = venvs_dir()  # $TFINIT_AUDIT_VENVS, else venvs/ in the tool's cache dir


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.network
@pytest.mark.slow
def test_main_job_report_on_real_release(
    real_cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "reports"
    code, out, err = _run(
        ["--versions", "1.8.0", "--symbols", "tf.nn.rnn_cell.LSTMCell", "tf.nn.rnn_cell.GRUCell",
         "--no-live", "--cache-dir", str(real_cache), "--out", str(out_dir)], capsys)
    assert code == 0, err
    assert "Traceback" not in err
    compact = json.loads((out_dir / "report.json").read_text())
    jsonschema.validate(compact, SCHEMA)
    assert compact["form"] == "compact"  # the default; the full form names every hop inline
    report = expand(compact)
    jsonschema.validate(report, SCHEMA)
    (version,) = report["versions"]
    assert version["tensorflow"] == "1.8.0" and version["status"] == "ok"
    assert version["packages"][0]["sha256"]
    lstm = next(s for s in version["symbols"] if s["symbol"] == "tf.nn.rnn_cell.LSTMCell")
    assert lstm["defined_in"]["path"] == "tensorflow/python/ops/rnn_cell_impl.py"
    kernel = next(w for w in lstm["weights"] if w["name"] == "kernel")
    assert kernel["shape"] == [96, 256]
    assert kernel["initializer"]["kind"] == "glorot_uniform" and kernel["fallback"] is True
    assert math.isclose(kernel["initializer"]["limit"], math.sqrt(6 / 352))
    # every hop's code is the real line of the real file at that release
    tree = open_tree("pypi", "1.8.0", ctx=SourceContext.create(cache_dir=real_cache))
    for hop in kernel["provenance"]:
        text = tree.read_text(hop["path"])
        assert text is not None, hop
        assert text.splitlines()[hop["line"] - 1].strip() == hop["code"], hop
    assert any("_get_default_initializer" in h["code"] for h in kernel["provenance"])
    gru = next(s for s in version["symbols"] if s["symbol"] == "tf.nn.rnn_cell.GRUCell")
    gates_bias = next(w for w in gru["weights"] if w["name"] == "gates/bias")
    assert gates_bias["initializer"]["kind"] == "constant"
    assert gates_bias["initializer"]["params"]["value"] == 1.0
    html = (out_dir / "index.html").read_text()
    assert "tf.nn.rnn_cell.LSTMCell" in html and "rnn_cell_impl.py" in html
    assert "| `tf.nn.rnn_cell.LSTMCell` |" in (out_dir / "report.md").read_text()


@pytest.mark.network
def test_explain_prints_the_fallback_chain(
    real_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(["explain", "tf.nn.rnn_cell.LSTMCell", "--version", "1.8.0",
                           "--cache-dir", str(real_cache)], capsys)
    assert code == 0, err
    assert "glorot_uniform" in out and "None-fallback" in out
    assert "variable_scope.py" in out and "forget_bias" in out


def _venv(name: str) -> str:
    py = VENVS / name / "bin" / "python"
    if not py.exists():
        pytest.fail(f"{py} missing: run scripts/setup-test-envs.sh (the README test command does)")
    return str(py)


@pytest.mark.live
@pytest.mark.slow
def test_verify_fail_on_mismatch_exit_codes(tmp_path: Path) -> None:
    py = _venv("tf215")
    base = [sys.executable, "-m", "tfinit_audit", "verify", "--python", py,
            "--symbols", "tf.keras.layers.Dense", "tf.keras.layers.LSTM",
            "--fail-on-mismatch", "--cache-dir", str(tmp_path / "cache")]
    ok = subprocess.run([*base, "--out", str(tmp_path / "ok")], capture_output=True, text=True,
                        timeout=900)
    assert ok.returncode == 0, ok.stderr
    live = json.loads((tmp_path / "ok" / "report.json").read_text())["live"]
    assert live[0]["summary"]["disagree"] == 0 and live[0]["summary"]["agree"] >= 5
    # A plug-in run in the probe's process changes Dense's default kernel initializer.
    plugin = tmp_path / "plugin.py"
    plugin.write_text(
        "import tensorflow as tf\n"
        "_orig = tf.keras.layers.Dense.__init__\n"
        "def _init(self, *a, **k):\n"
        "    k.setdefault('kernel_initializer', tf.keras.initializers.RandomNormal(stddev=0.1))\n"
        "    _orig(self, *a, **k)\n"
        "tf.keras.layers.Dense.__init__ = _init\n"
    )
    bad = subprocess.run([*base, "--probe-plugin", str(plugin), "--out", str(tmp_path / "bad")],
                         capture_output=True, text=True, timeout=900)
    assert bad.returncode == 1, bad.stderr
    assert "disagree" in bad.stderr
    live = json.loads((tmp_path / "bad" / "report.json").read_text())["live"]
    dense = next(s for s in live[0]["symbols"] if s["symbol"] == "tf.keras.layers.Dense")
    kernel = next(w for w in dense["weights"] if w["name"] == "kernel")
    assert kernel["verdict"] == "disagree" and kernel["evidence"]
