"""The live section says what it compared: the installed release, the static answer used (the
release audited from its installed files, source ``installed``) and whether that release is one
of the requested ones; the interpreter is shown as named. Real TensorFlow, real releases."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tfinit_audit.sources.cache import venvs_dir

pytestmark = [pytest.mark.live, pytest.mark.network]
ROOT = Path(__file__).resolve().parents[1]
TF221 = venvs_dir() / "tf221" / "bin" / "python"
DENSE = "tf.keras.layers.Dense"


def run(*args: str, out: Path, cache: Path, cwd: Path = ROOT) -> tuple[str, dict[str, Any]]:
    res = subprocess.run([sys.executable, "-m", "tfinit_audit", *args, "--symbols", DENSE,
                          "--format", "json", "--out", str(out), "--cache-dir", str(cache)],
                         capture_output=True, text=True, timeout=900, cwd=cwd,
                         env={**os.environ, "COLUMNS": "250"})
    assert res.returncode == 0, res.stderr
    return res.stdout, json.loads((out / "report.json").read_text())


def installed_version(python: Path) -> str:
    code = "import tensorflow as tf; print(tf.__version__)"
    return subprocess.run([str(python), "-c", code], capture_output=True, text=True,
                          check=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
                          timeout=300).stdout.strip().splitlines()[-1]


def test_installed_release_not_among_the_requested(tmp_path: Path, real_cache: Path) -> None:
    tf = installed_version(TF221)
    out, report = run("--versions", "1.8", "--python", str(TF221), out=tmp_path,
                      cache=real_cache)
    (live,) = report["live"]
    assert live["compared"] == {"static_source": "installed", "static_release": tf,
                                "requested": False, "version_index": None}
    assert (f"TF {tf} installed for {TF221}, checked against the static answer from its "
            f"installed files (source installed); {tf} is not one of the releases audited "
            "above (1.8.0)") in " ".join(out.split())
    assert live["summary"]["agree"] == 2


def test_installed_release_also_requested_and_shown_as_named(tmp_path: Path,
                                                             real_cache: Path) -> None:
    tf = installed_version(ROOT / ".venv" / "bin" / "python")
    out, report = run("--versions", tf, "--python", ".venv/bin/python", out=tmp_path,
                      cache=real_cache)
    (live,) = report["live"]
    assert live["python"] == ".venv/bin/python"  # as named: no directory of this machine
    assert live["compared"] == {"static_source": "installed", "static_release": tf,
                                "requested": True, "version_index": 0}
    assert f"; {tf} is also audited above, from pypi (column TF {tf})" in " ".join(out.split())


def test_verify_compares_with_the_installed_audit_it_reports(tmp_path: Path,
                                                             real_cache: Path) -> None:
    out, report = run("verify", "--python", str(TF221), out=tmp_path, cache=real_cache)
    (v,) = report["versions"]
    assert v["source"] == "installed"
    (live,) = report["live"]
    assert live["compared"]["requested"] is True and live["compared"]["version_index"] == 0
    assert f"that audit is the {v['tensorflow']} column above" in " ".join(out.split())
