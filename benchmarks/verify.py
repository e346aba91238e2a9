"""Benchmark: live verification of the default symbol set vs a bare ``import tensorflow``.

For each interpreter, in the same run and interleaved (import, verify, import, verify, ...):
  * import  = wall time of ``python -c "import tensorflow"`` (TF logging silenced as in the probe)
  * verify  = wall time of ``verify_interpreter`` (probe subprocess: import TF, build the 16
              default symbols over 3 seeds, return values; then the comparison/statistics)
Target (issue 4): verify <= import + 5 s. Medians of ``--repeat`` runs are reported.

The static answers judged are the hand-written expected answers of tests/test_live_e2e.py (the
verify time does not depend on where they come from); ``--with-static`` also times the static
analysis of the installed release (tfinit_audit.analysis.audit.analyze) when it is available.

    .venv/bin/python benchmarks/verify.py [--repeat 3] [--python PATH ...] [--with-static]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from test_live_e2e import CASES  # noqa: E402  (expected static answers per test venv)

from tfinit_audit.analysis.model import Dims  # noqa: E402
from tfinit_audit.live.verify import verify_interpreter  # noqa: E402
from tfinit_audit.sources.cache import venvs_dir  # noqa: E402

VENVS = venvs_dir()  # $TFINIT_AUDIT_VENVS, else venvs/ in the tool's cache dir
TARGET_OVERHEAD = 5.0


def time_import(python: str) -> float:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": "-1"}
    t0 = time.perf_counter()
    subprocess.run([python, "-c", "import tensorflow"], check=True, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def time_static(python: str) -> float | None:
    try:
        from tfinit_audit.analysis.audit import analyze
        from tfinit_audit.analysis.symbols import DEFAULT_SYMBOLS
        from tfinit_audit.sources.local import open_installed
    except ImportError:
        return None
    t0 = time.perf_counter()
    analyze(open_installed(python), list(DEFAULT_SYMBOLS), Dims())
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--venv", action="append", choices=sorted(CASES),
                    help="test venv to measure (default: all three)")
    ap.add_argument("--with-static", action="store_true")
    args = ap.parse_args()
    venvs = args.venv or sorted(CASES)
    rows = []
    for venv in venvs:
        py = str(VENVS / venv / "bin" / "python")
        static = CASES[venv]()
        imports: list[float] = []
        verifies: list[float] = []
        summary = None
        for _ in range(args.repeat):
            imports.append(time_import(py))
            t0 = time.perf_counter()
            run = verify_interpreter(py, static, Dims())
            verifies.append(time.perf_counter() - t0)
            if run.error:
                print(f"{venv}: verify failed: {run.error}", file=sys.stderr)
                return 1
            summary = run.summary
        st = time_static(py) if args.with_static else None
        imp, ver = statistics.median(imports), statistics.median(verifies)
        rows.append((venv, run.python_version, run.tensorflow, imp, ver, ver - imp,
                     ver <= imp + TARGET_OVERHEAD, summary, st))
    print(f"{'venv':6} {'python':8} {'tensorflow':10} {'import s':>9} {'verify s':>9} "
          f"{'overhead':>9}  target(<= import+{TARGET_OVERHEAD:g}s)  summary")
    ok = True
    for venv, pyv, tf, imp, ver, over, met, summ, st in rows:
        ok &= met
        extra = f"  static analysis {st:.2f}s" if st is not None else ""
        print(f"{venv:6} {pyv:8} {tf or '-':10} {imp:9.2f} {ver:9.2f} {over:9.2f}  "
              f"{'met' if met else 'MISSED':>26}  {summ}{extra}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
