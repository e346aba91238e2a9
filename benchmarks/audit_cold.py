"""Benchmark of the whole audit, cold (fresh --cache-dir) and warm: wall time and what the fetch
stage cost per release (FetchStats: requests, bytes, files, speculative prefetches).

    .venv/bin/python benchmarks/audit_cold.py [--versions 1.8 1.10 2.15] [--no-prefetch]
                                              [--each] [--runs-warm 3]

Each run is a fresh interpreter (``python -c`` calling ``tfinit_audit.cli.main`` with
``--no-live --format none``), so nothing memoised in-process from an earlier run helps; the
child reports the VersionReports' fetch stats on a side channel. ``--each`` also times every
release alone in its own fresh cache (the latency of one release). ``--no-prefetch`` sets
TFINIT_AUDIT_NO_PREFETCH=1 to measure the fetch stage without speculative import prefetch.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import io, json, sys, contextlib, hashlib
from tfinit_audit import cli, pipeline
from tfinit_audit.report.model import _plain
out_path, argv = sys.argv[1], sys.argv[2:]
captured = {}
orig = pipeline.build_report
def build_report(versions, *a, **kw):
    captured["versions"] = versions
    return orig(versions, *a, **kw)
pipeline.build_report = build_report
buf = io.StringIO()
with contextlib.redirect_stdout(buf):
    code = cli.main(argv)
rows = []
for v in captured.get("versions", []):
    f = v.fetch
    rows.append({"version": v.tensorflow, "status": v.status, "error": v.error,
                 "requests": f.requests, "bytes": f.bytes, "seconds": f.seconds,
                 "from_cache": f.from_cache, "files": f.files,
                 "prefetched": getattr(f, "prefetched", None),
                 "wheel_bytes": sum(p.size or 0 for p in v.packages),
                 "symbols": len(v.symbols),
                 "answer": hashlib.sha256(json.dumps([_plain(s) for s in v.symbols],
                                                     sort_keys=True, default=str).encode()
                                          ).hexdigest()[:12]})
with open(out_path, "w") as fh:
    json.dump({"code": code, "rows": rows}, fh)
"""


def run_once(versions: list[str], cache: Path, env: dict[str, str]) -> dict[str, object]:
    """One audit in a fresh interpreter; wall time measured around the whole process."""
    fd, out = tempfile.mkstemp(suffix=".json")
    os.close(fd)
    try:
        argv = ["--versions", *versions, "--no-live", "--format", "none",
                "--cache-dir", str(cache)]
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", CHILD, out, *argv], env=env,
                              capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            raise SystemExit(f"audit child failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
        data = json.loads(Path(out).read_text())
    finally:
        os.unlink(out)
    if data["code"] != 0:
        raise SystemExit(f"audit exited {data['code']}: {data['rows']}\n{proc.stderr[-2000:]}")
    return {"wall": wall, "rows": data["rows"]}


def show(label: str, run: dict[str, object]) -> None:
    rows = run["rows"]
    assert isinstance(rows, list)
    for r in rows:
        pf = "" if r["prefetched"] is None else f"{r['prefetched']:>6}"
        share = 100 * r["bytes"] / r["wheel_bytes"] if r["wheel_bytes"] else 0.0
        print(f"{label:<10} {r['version']:<8} {r['files']:>5} {pf:>6} {r['requests']:>8} "
              f"{r['bytes']:>12,} {share:>6.2f}% {r['seconds']:>8.2f} {r['from_cache']:>6} "
              f"{r['symbols']:>4} {r['answer']}")
    print(f"{label:<10} {'ALL':<8} wall {run['wall']:.2f} s (whole process: interpreter start, "
          f"resolve, fetch, analysis)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--versions", nargs="+", default=["1.8", "1.10", "2.15"])
    ap.add_argument("--no-prefetch", action="store_true",
                    help="set TFINIT_AUDIT_NO_PREFETCH=1 (no speculative import prefetch)")
    ap.add_argument("--each", action="store_true",
                    help="also time each release alone, cold, in its own fresh cache")
    ap.add_argument("--runs-warm", type=int, default=3, help="warm runs (median is shown)")
    args = ap.parse_args()
    env = dict(os.environ)
    env.pop("TFINIT_AUDIT_CACHE", None)
    if args.no_prefetch:
        env["TFINIT_AUDIT_NO_PREFETCH"] = "1"
    else:
        env.pop("TFINIT_AUDIT_NO_PREFETCH", None)

    print(f"prefetch: {'off' if args.no_prefetch else 'on'}")
    print(f"{'run':<10} {'release':<8} {'files':>5} {'prefet':>6} {'requests':>8} "
          f"{'bytes':>12} {'share':>7} {'fetch s':>8} {'cached':>6} {'syms':>4} answer")
    if args.each:
        for v in args.versions:
            cache = Path(tempfile.mkdtemp(prefix="tfa-audit-cold-"))
            try:
                show(f"cold {v}", run_once([v], cache, env))
            finally:
                shutil.rmtree(cache, ignore_errors=True)
    cache = Path(tempfile.mkdtemp(prefix="tfa-audit-cold-"))
    try:
        cold = run_once(args.versions, cache, env)
        show("cold", cold)
        warms = sorted((run_once(args.versions, cache, env) for _ in range(args.runs_warm)),
                       key=lambda r: r["wall"])  # type: ignore[arg-type,return-value]
        show("warm(med)", warms[len(warms) // 2])
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
