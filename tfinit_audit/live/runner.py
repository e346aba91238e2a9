"""Run probe.py in another interpreter as a throw-away subprocess and get its JSON back.

Isolation: the probe runs in its own session (process group) from a private temporary directory,
so a TF crash, hang or log flood cannot take the tool down; on timeout the whole group is
killed. stdout carries only JSON (the probe diverts everything else to stderr); stderr goes to
a temporary file of which only the last meaningful lines are kept for the error message.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tfinit_audit import defaults
from tfinit_audit.errors import AuditError, UsageError

PROBE_PATH = Path(__file__).with_name("probe.py")
DEFAULT_TIMEOUT = defaults.PROBE_TIMEOUT
INFO_TIMEOUT = 60.0
_NOISE = ("WARNING: All log messages before absl", "oneDNN custom operations",
          "cpu_feature_guard", "To enable the following instructions",
          "rebuild TensorFlow with the appropriate compiler flags")


class ProbeError(AuditError):
    """The probe could not run or did not answer (crash, timeout, no TensorFlow, bad JSON)."""


@dataclass
class InterpreterInfo:
    """What an interpreter has installed, read from dist-info metadata without importing TF."""

    python: str  # the interpreter path as given
    executable: str  # sys.executable inside it
    python_version: str
    tensorflow: str | None
    keras: str | None
    tf_keras: str | None
    site_packages: list[str] = field(default_factory=list)
    distributions: dict[str, Any] = field(default_factory=dict)

    @property
    def tensorflow_site_packages(self) -> str | None:
        """The site-packages directory holding the TF distribution (for the static audit)."""
        d = self.distributions.get("tensorflow") or {}
        return d.get("site_packages")


def _check_python(python: str) -> str:
    path = shutil.which(python) if os.sep not in python else python
    if not path or not os.path.isfile(path) or not os.access(path, os.X_OK):
        raise UsageError(f"no such Python interpreter: {python}")
    return path


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONHOME", None)
    env.update({
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "PYTHONWARNINGS": "ignore",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONIOENCODING": "utf-8",
        "CUDA_VISIBLE_DEVICES": "-1",  # tiny layers on CPU: no GPU start-up, same initializers
    })
    return env


_EXC_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Interrupt|Exit)\b.*")


def stderr_tail(text: str, lines: int = 3) -> str:
    """The exception line of a traceback, else the last meaningful stderr lines (one line)."""
    keep = [ln.strip() for ln in text.splitlines()
            if ln.strip() and not any(n in ln for n in _NOISE)]
    exc = [ln for ln in keep if _EXC_LINE.match(ln)]
    if exc:
        return exc[-1][:800]
    return " | ".join(keep[-lines:])[:800]


def run_script(python: str, args: list[str], stdin: bytes, timeout: float) -> dict[str, Any]:
    """Run probe.py with ``args`` under ``python``; parsed JSON or ProbeError (one line)."""
    exe = _check_python(python)
    with tempfile.TemporaryDirectory(prefix="tfinit-probe-") as tmp:
        script = Path(tmp) / "probe.py"
        shutil.copyfile(PROBE_PATH, script)  # own dir: the tool's modules cannot shadow TF's
        err_path = Path(tmp) / "stderr.txt"
        with open(err_path, "wb") as err:
            try:
                proc = subprocess.Popen(
                    [exe, str(script), *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                    stderr=err, cwd=tmp, env=_env(), start_new_session=True)
            except OSError as e:
                raise ProbeError(f"cannot run {python}: {e.strerror or e}") from None
            try:
                out, _ = proc.communicate(stdin, timeout=timeout)
            except subprocess.TimeoutExpired:
                _kill_group(proc)
                proc.communicate()
                raise ProbeError(f"probe in {python} timed out after {timeout:g} s") from None
            finally:
                if proc.poll() is None:
                    _kill_group(proc)
                    proc.wait()
        err_text = err_path.read_text(encoding="utf-8", errors="replace")
    if proc.returncode != 0:
        tail = stderr_tail(err_text) or "no error output"
        raise ProbeError(f"probe in {python} failed (exit {proc.returncode}): {tail}")
    try:
        data = json.loads(out.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ProbeError(f"probe in {python} returned no valid JSON: "
                         f"{stderr_tail(err_text) or out[:200]!r}") from None
    if not isinstance(data, dict):
        raise ProbeError(f"probe in {python} returned {type(data).__name__}, not an object")
    return data


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError):
            proc.kill()


def run_probe(python: str, request: dict[str, Any], timeout: float = DEFAULT_TIMEOUT
              ) -> dict[str, Any]:
    """The full probe (imports TF, builds every requested symbol over the seeds)."""
    return run_script(python, [], json.dumps(request).encode("utf-8"), timeout)


def interpreter_info(python: str, timeout: float = INFO_TIMEOUT) -> InterpreterInfo:
    """Python / TF / Keras / tf_keras versions and site-packages of ``python`` (no TF import)."""
    d = run_script(python, ["--info"], b"", timeout)
    return InterpreterInfo(
        python=python,
        executable=str(d.get("executable") or python),
        python_version=str(d.get("python") or ""),
        tensorflow=d.get("tensorflow"),
        keras=d.get("keras"),
        tf_keras=d.get("tf_keras"),
        site_packages=list(d.get("site_packages") or []),
        distributions=dict(d.get("distributions") or {}),
    )
