"""Benchmark of a cold audit against ``pip download --no-deps`` of the same wheels, side by side
in one run: wall time, requests, bytes, prefetch accuracy, and the cache it leaves.

    .venv/bin/python benchmarks/audit_cold.py [--versions 1.8 1.10 2.15] [--runs 3]
        [--baseline-python /work/main/.venv/bin/python] [--plans] [--warm 3] [--no-pip]
        [--floor]

Each round, in this order: a cold audit in a fresh, empty ``--cache-dir`` (this code); the same
with ``--baseline-python`` (another checkout, e.g. main, for before/after in one run); with
``--plans``, a cold audit whose fresh cache holds only the read plans the first audit of the
round recorded (what a run knows after an earlier run of the family: no member, directory,
index answer or result); then ``pip download --no-deps --no-cache-dir`` of every wheel the
audit read, all at once (one pip per wheel, in parallel); with ``--floor``, the audit again in
the cold audit's cache with its analyses and plans removed -- every file and index answer cached,
so nothing is fetched: what the analysis alone costs, the wall time a network that cost nothing
would give -- all releases together and each alone. Medians and min-max over the rounds;
the ratio audit/pip is taken round by round. CPU seconds and peak RSS (the largest sum at one
instant) are those of the audit's whole process tree -- the tool and its worker processes --
sampled from /proc (``scale.Sampler``); requests and bytes are the releases' fetch stats (every
process's) or what the tool's own process saw on the wire, whichever is more.

Each audit is a fresh interpreter (``python -c`` calling ``tfinit_audit.cli.main`` with
``--no-live --format none``) that reports its releases' fetch stats and every request and
byte on the wire (index answers included) on a side channel; the answers are hashed per
release and must be the same in every run. ``PYTHONDONTWRITEBYTECODE`` is unset for them: the
tool's modules are compiled once, as an installed package's (and pip's own) are.
``cache/fetched`` is the cache's size after the cold audit (apparent bytes of every file; on
disk, whole blocks, in brackets) over the bytes the audit fetched. ``accuracy`` is the
prefetch's bytes used / bytes fetched (releases together); baselines that do not count prefetch
bytes show files used / files prefetched.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from fetch import pip_args  # the pip arguments that select one wheel (benchmarks/fetch.py)
from scale import Sampler  # peak RSS and CPU of a process tree (benchmarks/scale.py)

CHILD = r"""
import io, json, sys, contextlib, hashlib
from tfinit_audit import cli, pipeline
from tfinit_audit.sources import http as _http
from tfinit_audit.report.model import _plain
out_path, argv = sys.argv[1], sys.argv[2:]
wire = {"requests": 0, "bytes": 0}
_get, _range = _http.Http.get, _http.Http.get_range
def get(self, *a, **k):
    res = _get(self, *a, **k)
    wire["requests"] += 1
    wire["bytes"] += len(res.content)
    return res
def get_range(self, *a, **k):
    data = _range(self, *a, **k)
    wire["requests"] += 1
    wire["bytes"] += len(data)
    return data
_http.Http.get, _http.Http.get_range = get, get_range
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
                 "prefetched": getattr(f, "prefetched", 0),
                 "prefetch_used": getattr(f, "prefetch_used", 0),
                 "prefetch_bytes": getattr(f, "prefetch_bytes", None),
                 "prefetch_used_bytes": getattr(f, "prefetch_used_bytes", None),
                 "plan_from": getattr(f, "plan_from", None),
                 "wheels": [p.file for p in v.packages],
                 "answer": hashlib.sha256(json.dumps([_plain(s) for s in v.symbols],
                                                     sort_keys=True, default=str).encode()
                                          ).hexdigest()[:12]})
import resource
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
with open(out_path, "w") as fh:
    json.dump({"code": code, "rows": rows, "wire": wire, "rss": rss}, fh)
"""


def run_audit(python: str, versions: list[str], cache: Path, env: dict[str, str]
              ) -> dict[str, Any]:
    """One audit in a fresh interpreter; wall time around the whole process."""
    fd, out = tempfile.mkstemp(suffix=".json")
    os.close(fd)
    try:
        argv = ["--versions", *versions, "--no-live", "--format", "none",
                "--cache-dir", str(cache)]
        t0 = time.perf_counter()
        # cwd: not this checkout, whose tfinit_audit `python -c` would import first
        proc = subprocess.Popen([python, "-c", CHILD, out, *argv], env=env, cwd=cache.parent,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        sampler = Sampler(proc.pid)  # the whole process tree: the tool and its workers
        sampler.start()
        _, stderr = proc.communicate()
        wall = time.perf_counter() - t0
        sampler.stop.set()
        sampler.join()
        cpu = sum(sampler.cpu.values())
        if proc.returncode != 0:
            raise SystemExit(f"audit child failed ({proc.returncode}):\n{stderr[-2000:]}")
        data = json.loads(Path(out).read_text())
    finally:
        os.unlink(out)
    if data["code"] != 0:
        raise SystemExit(f"audit exited {data['code']}: {data['rows']}\n{stderr[-2000:]}")
    size, disk = cache_size(cache)
    return {"wall": wall, "cpu": cpu, "rows": data["rows"], "wire": data["wire"],
            "cache": size, "disk": disk, "rss": max(data.get("rss", 0), sampler.rss_sum)}


def cache_size(root: Path) -> tuple[int, int]:
    """Apparent bytes and bytes on disk of every file below ``root`` but the test venvs."""
    size = disk = 0
    for dirpath, dirnames, filenames in os.walk(root):
        if Path(dirpath) == root and "venvs" in dirnames:
            dirnames.remove("venvs")
        for name in filenames:
            st = os.lstat(os.path.join(dirpath, name))
            size += st.st_size
            disk += st.st_blocks * 512
    return size, disk


def pip_download(filenames: list[str]) -> tuple[float, int]:
    """``pip download --no-deps --no-cache-dir`` of every wheel at once (one pip each)."""
    dest = Path(tempfile.mkdtemp(prefix="tfa-pip-"))
    try:
        t0 = time.perf_counter()
        procs = [subprocess.Popen([sys.executable, "-m", "pip", "download", "--no-deps",
                                   "--no-cache-dir", "-q", "-d", str(dest / str(i)),
                                   *pip_args(fn)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                 for i, fn in enumerate(filenames)]
        for p in procs:
            _, err = p.communicate()
            if p.returncode != 0:
                raise SystemExit(f"pip download failed: {err[-1000:]}")
        wall = time.perf_counter() - t0
        got = sorted(f.name for f in dest.glob("*/*"))
        if got != sorted(filenames):
            raise SystemExit(f"pip downloaded {got}, expected {sorted(filenames)}")
        return wall, sum(f.stat().st_size for f in dest.glob("*/*"))
    finally:
        shutil.rmtree(dest, ignore_errors=True)


def without_analyses(cache: Path) -> None:
    """Remove the stored analyses (summaries, results) and read plans: what is left are the
    files, zip directories and index answers -- nothing to fetch, everything to analyse."""
    shutil.rmtree(cache / "analysis", ignore_errors=True)
    shutil.rmtree(cache / "blobs" / "plans", ignore_errors=True)


def seed_plans(src: Path, dest: Path) -> None:
    """A fresh cache holding only the read plans of ``src``."""
    plans = src / "blobs" / "plans"
    if plans.is_dir():
        shutil.copytree(plans, dest / "blobs" / "plans", dirs_exist_ok=True)


def totals(run: dict[str, Any]) -> dict[str, Any]:
    rows = run["rows"]
    pb = [r["prefetch_bytes"] for r in rows]
    out = {"wall": run["wall"], "cpu": run["cpu"], "rss": run["rss"],
           # the wire as this process saw it, or the releases' fetch stats (those of worker
           # processes added) when they say more: workers fetch what their analysis reads
           "requests": max(run["wire"]["requests"], sum(r["requests"] for r in rows)),
           "bytes": max(run["wire"]["bytes"], sum(r["bytes"] for r in rows)),
           "cache": run["cache"], "disk": run["disk"],
           "prefetched": sum(r["prefetched"] for r in rows),
           "prefetch_used": sum(r["prefetch_used"] for r in rows)}
    if all(b is not None for b in pb):
        out["prefetch_bytes"] = sum(pb)
        out["prefetch_used_bytes"] = sum(r["prefetch_used_bytes"] for r in rows)
    return out


def spread(values: list[float], fmt: str = "{:.2f}") -> str:
    if not values:
        return "-"
    med = statistics.median(values)
    return f"{fmt.format(med)} ({fmt.format(min(values))}-{fmt.format(max(values))})"


def report(label: str, runs: list[dict[str, Any]], pip: list[float]) -> None:
    ts = [totals(r) for r in runs]
    ratio = [t["wall"] / p for t, p in zip(ts, pip, strict=False)] if pip else []
    acc: list[float] = []
    kind = "bytes"
    for t in ts:
        if "prefetch_bytes" in t and t["prefetch_bytes"]:
            acc.append(t["prefetch_used_bytes"] / t["prefetch_bytes"])
        elif t["prefetched"]:
            kind = "files"
            acc.append(t["prefetch_used"] / t["prefetched"])
    print(f"{label}: wall {spread([t['wall'] for t in ts])} s, CPU "
          f"{spread([t['cpu'] for t in ts])} s"
          + (f"  audit/pip x{spread(ratio)}" if ratio else ""))
    print(f"    requests {spread([t['requests'] for t in ts], '{:.0f}')}  bytes "
          f"{spread([t['bytes'] / 1e6 for t in ts])} MB  prefetch accuracy ({kind}) "
          f"{spread([100 * a for a in acc], '{:.0f}')} %")
    print(f"    cache/fetched x{spread([t['cache'] / t['bytes'] for t in ts])} "
          f"(on disk x{spread([t['disk'] / t['bytes'] for t in ts])}); cache "
          f"{spread([t['cache'] / 1e6 for t in ts])} MB; peak RSS "
          f"{spread([t['rss'] / 2**20 for t in ts], '{:.0f}')} MiB")
    rows = runs[len(runs) // 2]["rows"]
    for r in rows if len(rows) <= 12 else []:
        pbytes = r["prefetch_bytes"]
        acc1 = (f"{100 * r['prefetch_used_bytes'] / pbytes:.0f}% of {pbytes / 1e6:.2f} MB"
                if pbytes else "-")
        print(f"    {r['version']:<8} {r['requests']:>4} req {r['bytes'] / 1e6:>6.2f} MB "
              f"files {r['files']:>4}  prefetched {r['prefetched']:>4} used "
              f"{r['prefetch_used']:>4} ({acc1})  plan {r['plan_from'] or '-'}  "
              f"answer {r['answer']}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--versions", nargs="+", default=["1.8", "1.10", "2.15"])
    ap.add_argument("--runs", type=int, default=3, help="rounds (medians and min-max)")
    ap.add_argument("--baseline-python", default=None,
                    help="also time this interpreter's tfinit_audit, e.g. main's venv")
    ap.add_argument("--plans", action="store_true",
                    help="also a cold audit whose cache holds only the read plans")
    ap.add_argument("--warm", type=int, default=0, help="warm runs after the first cold one")
    ap.add_argument("--no-pip", action="store_true", help="no pip download baseline")
    ap.add_argument("--floor", action="store_true",
                    help="also the analysis alone: the audit in the cold cache without its "
                         "analyses and plans (nothing fetched), together and each release")
    ap.add_argument("--no-prefetch", action="store_true",
                    help="set TFINIT_AUDIT_NO_PREFETCH=1 (no speculative prefetch)")
    args = ap.parse_args()
    env = dict(os.environ)
    env.pop("TFINIT_AUDIT_CACHE", None)
    # as installed (and as pip's own modules are): each module compiled once, not at every run
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if args.no_prefetch:
        env["TFINIT_AUDIT_NO_PREFETCH"] = "1"
    runs: dict[str, list[dict[str, Any]]] = {"cold": [], "baseline": [], "planned": []}
    floor: dict[str, list[dict[str, Any]]] = {}
    pip: list[float] = []
    warm: list[float] = []
    answers: dict[str, set[str]] = {}
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = float("nan")
    print(f"versions {' '.join(args.versions)}; {args.runs} rounds; load average {load:.1f}")
    for i in range(args.runs):
        tmp = Path(tempfile.mkdtemp(prefix="tfa-bench-"))
        try:
            for d in ("cold", "base", "planned"):
                (tmp / d).mkdir()
            cold = run_audit(sys.executable, args.versions, tmp / "cold", env)
            runs["cold"].append(cold)
            if i == 0 and args.warm:
                warm = sorted(run_audit(sys.executable, args.versions, tmp / "cold", env)["wall"]
                              for _ in range(args.warm))
            if args.baseline_python:
                runs["baseline"].append(run_audit(args.baseline_python, args.versions,
                                                  tmp / "base", env))
            if args.plans:
                seed_plans(tmp / "cold", tmp / "planned")
                runs["planned"].append(run_audit(sys.executable, args.versions,
                                                 tmp / "planned", env))
            if not args.no_pip:
                wheels = [w for r in cold["rows"] for w in r["wheels"]]
                pip.append(pip_download(wheels)[0])
            if args.floor:
                for vs in [args.versions, *([v] for v in args.versions)]:
                    without_analyses(tmp / "cold")
                    got = run_audit(sys.executable, vs, tmp / "cold", env)
                    floor.setdefault(" ".join(vs), []).append(got)
                    for row in got["rows"]:
                        answers.setdefault(row["version"], set()).add(row["answer"])
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        for mode in runs.values():
            for r in mode[-1:]:
                for row in r["rows"]:
                    answers.setdefault(row["version"], set()).add(row["answer"])
        print(f"  round {i + 1}: cold {cold['wall']:.2f} s"
              + (f", pip {pip[-1]:.2f} s" if pip else ""))
    if pip:
        print(f"pip download --no-deps, all wheels at once: {spread(pip)} s")
    report("cold", runs["cold"], pip)
    if runs["baseline"]:
        report(f"cold, {args.baseline_python}", runs["baseline"], pip)
    if runs["planned"]:
        report("cold with the plans of an earlier run", runs["planned"], pip)
    if warm:
        print(f"warm: {spread(warm)} s")
    for label, alone in floor.items():
        fetched = sum(totals(r)["requests"] for r in alone)
        ratio = [r["wall"] / p for r, p in zip(alone, pip, strict=False)]
        print(f"analysis alone (nothing fetched), {label}: wall "
              f"{spread([r['wall'] for r in alone])} s, CPU "
              f"{spread([r['cpu'] for r in alone])} s"
              + (f"  audit/pip x{spread(ratio)}" if pip and label == " ".join(args.versions)
                 else "")
              + (f"  ({fetched} requests: not all cached)" if fetched else ""))
    same = all(len(a) == 1 for a in answers.values())
    print(f"answers identical in every run: {'yes' if same else 'NO'} "
          + ", ".join(f"{v} {sorted(a)}" for v, a in answers.items()))
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
