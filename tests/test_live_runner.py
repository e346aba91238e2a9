"""The probe runner: isolation, timeout, crashes, log floods, and old interpreters."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from tfinit_audit.errors import UsageError
from tfinit_audit.live.runner import PROBE_PATH, ProbeError, interpreter_info, run_probe, run_script
from tfinit_audit.live.verify import verify_interpreter
from tfinit_audit.sources.cache import venvs_dir

PYENV = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
VENVS = venvs_dir()  # $TFINIT_AUDIT_VENVS, else venvs/ in the tool's cache dir


def fake_python(tmp_path: Path, body: str) -> str:
    """An executable that stands in for an interpreter (it ignores the probe script)."""
    p = tmp_path / "python"
    p.write_text("#!/bin/sh\n" + body + "\n")
    p.chmod(0o755)
    return str(p)


def alive(pid: int) -> bool:
    """Running (a killed orphan may linger as a zombie until init reaps it: not alive)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def test_hanging_interpreter_times_out_and_is_killed(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    py = fake_python(tmp_path, f"sleep 120 & echo $! > {pidfile}; wait")
    t0 = time.monotonic()
    with pytest.raises(ProbeError, match="timed out after 2 s"):
        run_probe(py, {"symbols": []}, timeout=2)
    assert time.monotonic() - t0 < 15
    child = int(pidfile.read_text())
    time.sleep(0.2)
    assert not alive(child)  # the whole process group was killed, not just the interpreter


def test_crash_gives_one_clean_line(tmp_path: Path) -> None:
    py = fake_python(tmp_path, "echo 'Traceback (most recent call last):' >&2; "
                               "echo '  File x, line 1' >&2; echo 'RuntimeError: boom' >&2; "
                               "echo 'I0000 oneDNN custom operations are on' >&2; exit 7")
    with pytest.raises(ProbeError) as e:
        run_probe(py, {"symbols": []}, timeout=30)
    msg = str(e.value)
    assert "exit 7" in msg and msg.endswith("RuntimeError: boom") and "\n" not in msg
    run = verify_interpreter(py, [], timeout=30)
    assert run.error and "RuntimeError: boom" in run.error and run.symbols == []


def test_log_flood_is_discarded(tmp_path: Path) -> None:
    py = fake_python(tmp_path, "head -c 30000000 /dev/zero | tr '\\0' 'x' >&2; "
                               "echo '{\"ok\": 1}'")
    assert run_script(py, [], b"", timeout=60) == {"ok": 1}


def test_garbage_stdout_is_an_error(tmp_path: Path) -> None:
    py = fake_python(tmp_path, "echo 'not json'")
    with pytest.raises(ProbeError, match="no valid JSON"):
        run_script(py, [], b"", timeout=30)


def test_missing_interpreter_is_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such Python interpreter"):
        interpreter_info(str(tmp_path / "nope" / "python"))


def test_interpreter_without_tensorflow() -> None:
    py = PYENV / "3.10.13" / "bin" / "python"
    assert py.is_file(), py
    info = interpreter_info(str(py))
    assert info.python_version == "3.10.13" and info.tensorflow is None
    with pytest.raises(ProbeError, match="No module named"):
        run_probe(str(py), {"symbols": []}, timeout=60)


def test_probe_source_runs_on_python_3_6() -> None:
    py = PYENV / "3.6.15" / "bin" / "python"
    assert py.is_file(), py
    subprocess.run([str(py), "-m", "py_compile", str(PROBE_PATH)], check=True,
                   env={**os.environ, "PYTHONPYCACHEPREFIX": "/tmp/tfinit-pycache"})
    info = interpreter_info(str(py))
    assert info.python_version == "3.6.15"


@pytest.mark.live
@pytest.mark.parametrize("venv,python,tf,keras", [
    ("tf115", "3.7.16", "1.15.5", None), ("tf215", "3.11", "2.15.", "2.15."),
    ("tf221", "3.11", "2.21.", "3.")])
def test_interpreter_info_reads_versions(venv: str, python: str, tf: str, keras: str | None
                                         ) -> None:
    info = interpreter_info(str(VENVS / venv / "bin" / "python"))
    assert info.python_version.startswith(python)
    assert info.tensorflow and info.tensorflow.startswith(tf)
    assert info.keras == keras if keras is None else (info.keras or "").startswith(keras)
    site = info.tensorflow_site_packages
    assert site and Path(site, "tensorflow").is_dir()
