"""Run the real command line in a child process and measure it: exit code, the lines it printed,
report.json, wall time and peak resident memory.

Peak memory is the child's own ``VmHWM`` (the high-water mark of the address space its ``exec``
made), which the child writes to a file as it exits; while it runs the parent also polls it
(a child killed at the timeout has no exit). Not ``ru_maxrss``: Linux carries the forked
parent's size into it across ``exec``, so under a large pytest process every child would seem
as large as pytest.

Every hostile-input test records its figures in ``FIGURES``; ``conftest.py`` prints them as a
table at the end of the run (the numbers quoted in issue 13's closing note come from there).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tfinit_audit.report import expand

FIGURES: list[tuple[str, float, float, str]] = []  # (case, seconds, peak MiB, outcome)


@dataclass
class Run:
    code: int
    out: str
    err: str
    seconds: float
    peak_mib: float
    report: dict[str, Any] | None

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if "error" in line]

    def version(self, tensorflow: str) -> dict[str, Any]:
        assert self.report is not None, self.err
        return next(v for v in self.report["versions"] if v["tensorflow"] == tensorflow)


def run_cli(args: list[str], tmp: Path, *, case: str, env: dict[str, str] | None = None,
            timeout: float = 300, honour_permissions: bool = False) -> Run:
    """``tfinit-audit ARGS --format json --out TMP/out`` in a child; figures noted as ``case``."""
    out_dir = tmp / "out"
    hwm_file = tmp / "vmhwm.txt"
    hwm_file.unlink(missing_ok=True)
    full = [sys.executable, "-c", _CHILD, str(hwm_file), *args]
    if honour_permissions and os.getuid() == 0:  # root reads any file: drop that power
        full = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", *full]
    if "--format" not in args and args[:1] not in (["fetch"], ["explain"], ["cache"]):
        full += ["--format", "json", "--out", str(out_dir)]
    child_env = {**os.environ, "TFINIT_AUDIT_NO_PREFETCH": "1", **(env or {})}
    stdout, stderr = tmp / "stdout.txt", tmp / "stderr.txt"
    t0 = time.monotonic()
    with open(stdout, "wb") as fo, open(stderr, "wb") as fe:
        proc = subprocess.Popen(full, stdout=fo, stderr=fe, env=child_env)
        deadline = t0 + timeout
        polled = 0
        while proc.poll() is None:
            polled = max(polled, _vmhwm(f"/proc/{proc.pid}/status"))
            if time.monotonic() > deadline:
                proc.kill()
                proc.wait()
                break
            time.sleep(0.02)
    seconds = time.monotonic() - t0
    peak_kib = max(polled, _vmhwm(str(hwm_file)))
    report_path = out_dir / "report.json"
    # the full form (every hop inline): what the tests compare, whichever form was written
    report = expand(json.loads(report_path.read_text())) if report_path.is_file() else None
    run = Run(proc.returncode, stdout.read_text("utf-8", "replace"),
              stderr.read_text("utf-8", "replace"), seconds, peak_kib / 1024, report)
    first = (run.error_lines or ["ok"])[0]
    FIGURES.append((case, seconds, run.peak_mib, f"exit {run.code}: {first[:110]}"))
    return run


# the child: note its own peak (VmHWM) as it exits, then be ``python -m tfinit_audit ARGS``
_CHILD = """\
import atexit, runpy, sys
out = sys.argv[1]
def note():
    with open("/proc/self/status") as src, open(out, "w") as dst:
        dst.write(src.read())
atexit.register(note)
sys.argv = ["tfinit-audit", *sys.argv[2:]]
runpy.run_module("tfinit_audit", run_name="__main__", alter_sys=True)
"""


def _vmhwm(status_file: str) -> int:
    """``VmHWM`` (KiB) from a /proc/PID/status text, 0 if there is none (yet)."""
    try:
        with open(status_file) as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def tree_size(path: Path) -> int:
    """Bytes of every file below ``path``."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
