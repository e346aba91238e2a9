"""Run the real command line in a child process and measure it: exit code, the lines it printed,
report.json, wall time and peak resident memory (``ru_maxrss`` of the child, from ``wait4``).

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
            timeout: float = 300) -> Run:
    """``tfinit-audit ARGS --format json --out TMP/out`` in a child; figures noted as ``case``."""
    out_dir = tmp / "out"
    full = [sys.executable, "-m", "tfinit_audit", *args]
    if "--format" not in args and args[:1] not in (["fetch"], ["explain"], ["cache"]):
        full += ["--format", "json", "--out", str(out_dir)]
    child_env = {**os.environ, "TFINIT_AUDIT_NO_PREFETCH": "1", **(env or {})}
    stdout, stderr = tmp / "stdout.txt", tmp / "stderr.txt"
    t0 = time.monotonic()
    with open(stdout, "wb") as fo, open(stderr, "wb") as fe:
        proc = subprocess.Popen(full, stdout=fo, stderr=fe, env=child_env)
        deadline = t0 + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                _, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.02)
    seconds = time.monotonic() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    report_path = out_dir / "report.json"
    report = json.loads(report_path.read_text()) if report_path.is_file() else None
    run = Run(proc.returncode, stdout.read_text("utf-8", "replace"),
              stderr.read_text("utf-8", "replace"), seconds, usage.ru_maxrss / 1024, report)
    first = (run.error_lines or ["ok"])[0]
    FIGURES.append((case, seconds, run.peak_mib, f"exit {run.code}: {first[:110]}"))
    return run


def tree_size(path: Path) -> int:
    """Bytes of every file below ``path``."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
