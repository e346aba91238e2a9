"""The committed example report lives in reports/example/ and names no directory of the
machine that made it; the README's commands (the main job, verify) write to reports/, which git
ignores, so they never leave a clone with changes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "reports" / "example"
# an absolute path of a machine: /root/..., /home/x/..., /work/..., /tmp/..., C:\Users\...
MACHINE_PATH = re.compile(r"(?<![\w.:/-])(?:/(?:root|home|work|tmp|usr|opt|var|Users|srv|mnt)"
                          r"/[\w.+-]+|[A-Z]:\\\\[\w.-]+)")


def test_the_example_report_names_no_directory_of_its_machine() -> None:
    files = {p.name: p.read_text("utf-8") for p in EXAMPLE.iterdir()}
    assert set(files) == {"index.html", "report.json", "report.md"}
    for name, text in files.items():
        assert MACHINE_PATH.findall(text) == [], name
    report = json.loads(files["report.json"])
    assert report["live"], "the example is made with a live check"
    for run in report["live"]:
        assert not os.path.isabs(run["python"])
        assert run["compared"]["static_source"] == "installed"
    assert "--out reports/example" in report["command"]


@pytest.mark.network
@pytest.mark.live
@pytest.mark.slow
def test_readme_commands_leave_a_clone_clean(tmp_path: Path, real_cache: Path) -> None:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=300)
    env = {**os.environ, "TFINIT_AUDIT_CACHE": str(real_cache)}
    # the quick start's main job (fewer symbols, same defaults: live check, --out reports)
    # and verify, run in the clone exactly as the README shows them
    for args in (["--versions", "1.8", "--symbols", "tf.nn.rnn_cell.LSTMCell"],
                 ["verify", "--symbols", "tf.keras.layers.Dense"]):
        res = subprocess.run([sys.executable, "-m", "tfinit_audit", *args], cwd=clone, env=env,
                             capture_output=True, text=True, timeout=900)
        assert res.returncode == 0, res.stderr
    assert (clone / "reports" / "index.html").is_file()  # the run did write its reports
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"],
                            cwd=clone, capture_output=True, text=True, check=True).stdout
    assert status == ""
