"""A symbol no audited release has is a usage error (exit 2) naming the closest public names of
those releases, and nothing is probed live for it; real releases from the package index."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import tfinit_audit
from tfinit_audit.errors import UsageError

pytestmark = pytest.mark.network
LTSM = "tf.keras.layers.LTSM"
HINT = "did you mean tf.keras.layers.LSTM or tf.keras.layers.LSTMCell?"


def cli(*args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tfinit_audit", *args, "--cache-dir", str(cache)],
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "TFINIT_AUDIT_NO_PREFETCH": "1"})


def _marker_plugin(tmp: Path) -> tuple[Path, Path]:
    """A probe plug-in that leaves a file behind: it exists iff a live probe ran."""
    marker = tmp / "probed"
    plugin = tmp / "plugin.py"
    plugin.write_text(f"open({str(marker)!r}, 'w').write('probed')\n")
    return plugin, marker


def test_typo_in_every_release_exits_2_with_suggestions_and_no_live_check(
    tmp_path: Path, real_cache: Path
) -> None:
    # this interpreter has TensorFlow, so the main job verifies it live by default
    plugin, marker = _marker_plugin(tmp_path)
    res = cli("--versions", "1.8", "2.15", "--symbols", LTSM, "--out", str(tmp_path / "r"),
              "--probe-plugin", str(plugin), cache=real_cache)
    assert res.returncode == 2, res.stderr
    errors = [ln for ln in res.stderr.splitlines() if "error" in ln]
    assert errors == [f"tfinit-audit: error: {LTSM}: no such public name in TensorFlow 1.8.0, "
                      f"2.15.1 (tf.keras.layers has no attribute 'LTSM'); {HINT}"]
    assert not marker.exists() and "Traceback" not in res.stderr
    assert not (tmp_path / "r").exists()  # nothing to report


def test_typo_next_to_a_real_symbol_keeps_the_report(tmp_path: Path, real_cache: Path) -> None:
    res = cli("--versions", "2.15", "--symbols", LTSM, "tf.keras.layers.Dense", "--no-live",
              "--format", "json", "--out", str(tmp_path), cache=real_cache)
    assert res.returncode == 2
    assert f"tfinit-audit: error: {LTSM}: no such public name in TensorFlow 2.15.1" in res.stderr
    (v,) = json.loads((tmp_path / "report.json").read_text())["versions"]
    typo, dense = v["symbols"]
    assert typo["status"] == "absent" and typo["message"].endswith(HINT)
    assert dense["status"] == "resolved"


def test_explain_of_a_typo_exits_2(real_cache: Path) -> None:
    res = cli("explain", "tf.keras.layers.GRUU", "--version", "2.15", cache=real_cache)
    assert res.returncode == 2
    (line,) = res.stderr.strip().splitlines()
    assert line.startswith("tfinit-audit: error: tf.keras.layers.GRUU: no such public name in "
                           "TensorFlow 2.15.1") and "did you mean tf.keras.layers.GRU" in line


def test_typo_in_an_earlier_part_and_the_api(real_cache: Path) -> None:
    with pytest.raises(UsageError, match=r"did you mean tf\.keras\.layers\.LSTM\?$"):
        tfinit_audit.audit(["2.15"], symbols=["tf.kears.layers.LSTM"], cache_dir=real_cache)
    with pytest.raises(UsageError, match="did you mean tf.nn.rnn_cell.LSTMCell"):
        tfinit_audit.explain("tf.nn.rnn_cell.LSTMcell", "1.8", cache_dir=real_cache)


def test_verify_of_a_typo_probes_nothing(tmp_path: Path, real_cache: Path) -> None:
    plugin, marker = _marker_plugin(tmp_path)
    res = cli("verify", "--symbols", LTSM, "--format", "none", "--probe-plugin", str(plugin),
              cache=real_cache)
    assert res.returncode == 2, res.stderr
    assert "no such public name in TensorFlow" in res.stderr and "did you mean" in res.stderr
    assert not marker.exists()
    ok = cli("verify", "--symbols", "tf.keras.layers.Dense", "--format", "none",
             "--probe-plugin", str(plugin), cache=real_cache)
    assert ok.returncode == 0, ok.stderr
    assert marker.exists()  # the plug-in does mark a probe that runs


def test_diff_of_a_typo_exits_2(real_cache: Path) -> None:
    res = cli("diff", "1.8", "2.15", "--symbols", LTSM, cache=real_cache)
    assert res.returncode == 2
    assert res.stderr.strip().splitlines()[-1].endswith(HINT)


def test_releases_that_differ_in_why_a_name_is_missing_each_say_theirs(
    tmp_path: Path, real_cache: Path
) -> None:
    # 1.0 has the cell only under tf.contrib.rnn; 2.16 (Keras 3) nowhere under that name
    res = cli("--versions", "1.0.0", "2.16.1", "--symbols", "tf.nn.rnn_cell.LSTMCell",
              "--no-live", "--format", "none", cache=real_cache)
    assert res.returncode == 2, res.stderr
    assert ("tfinit-audit: error: tf.nn.rnn_cell.LSTMCell: no such public name in TensorFlow "
            "1.0.0, 2.16.1 (1.0.0: tf.nn has no attribute 'rnn_cell'; this release has "
            "tf.contrib.rnn.LSTMCell · 2.16.1: tf.nn has no attribute 'rnn_cell')") in res.stderr
