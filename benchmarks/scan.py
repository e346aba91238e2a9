"""Benchmark of ``scan``: 10,000 lines of real model code, warm and with the user code cold.

    .venv/bin/python benchmarks/scan.py [--lines 10000] [--runs 7] [--cache DIR]

The code is tensor2tensor 1.15.7's ``tensor2tensor/layers`` (TF 1.x model code nobody here
wrote), read out of its wheel on the package index by range requests; whole files (tests left
out) are taken in name order while the total stays within ``--lines``. The scan compares TF 1.15
with 2.15.

- first: the first scan into the cache (releases fetched and analysed if they were not yet);
- warm: everything cached -- the target (issue 11): <= 5 s for 10,000 lines;
- usercode cold: the releases' answers cached, every file of user code parsed again (libcst +
  scope metadata), the per-file cache emptied before each run;
- cli warm: ``tfinit-audit scan`` as a process (interpreter start and imports included).
Medians of ``--runs`` (usercode cold: of 3). Each timed run ends with ``gc.collect()``.
"""

from __future__ import annotations

import argparse
import gc
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from packaging.version import Version

from tfinit_audit import pipeline
from tfinit_audit.sources import SourceContext
from tfinit_audit.sources.wheel import RemoteWheel, choose_wheel
from tfinit_audit.usercode.scan import CACHE_NS

DIST, VERSION, PREFIX = "tensor2tensor", "1.15.7", "tensor2tensor/layers/"


def corpus(ctx: SourceContext, dest: Path, lines: int) -> int:
    """Whole files of the package, in name order, each taken while the total stays within
    ``lines``; the lines written."""
    files = ctx.index.project(DIST).releases()[Version(VERSION)]
    w = choose_wheel(files)
    wheel = RemoteWheel(w.url, filename=w.filename, sha256=w.sha256, size=w.size,
                        http=ctx.http, cache=ctx.cache)
    names = sorted(n for n in wheel.names() if n.startswith(PREFIX) and n.endswith(".py")
                   and not n.endswith("_test.py"))
    data = wheel.read_many(names)
    total = 0
    for name in names:
        text = data[name].decode("utf-8")
        if total + text.count("\n") > lines:
            continue
        (dest / Path(name).name).write_text(text, encoding="utf-8")
        total += text.count("\n")
    return total


def timed(fn: Callable[[], object], before: Callable[[], None] | None = None,
          runs: int = 7) -> list[float]:
    out = []
    for _ in range(runs):
        if before:
            before()
        gc.collect()
        t = time.perf_counter()
        fn()
        gc.collect()
        out.append(time.perf_counter() - t)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--cache", default=None, help="cache dir (default: the tool's cache)")
    args = ap.parse_args()
    ctx = SourceContext.create(cache_dir=args.cache)
    root = Path(tempfile.mkdtemp(prefix="tfinit-bench-scan-"))
    try:
        n_lines = corpus(ctx, root, args.lines)
        n_files = len(list(root.glob("*.py")))

        def scan() -> object:
            return pipeline.scan([root], from_version="1.15", to_version="2.15",
                                 cache_dir=ctx.cache.root)

        t = time.perf_counter()
        result = scan()
        first = time.perf_counter() - t
        warm = timed(scan, runs=args.runs)
        files_ns = Path(ctx.cache.root) / "blobs" / CACHE_NS
        cold = timed(scan, before=lambda: shutil.rmtree(files_ns, ignore_errors=True), runs=3)
        exe = Path(sys.executable).parent / "tfinit-audit"
        cmd = [str(exe), "scan", str(root), "--from", "1.15", "--to", "2.15",
               "--cache-dir", str(ctx.cache.root)]
        cli = timed(lambda: subprocess.run(cmd, capture_output=True, check=True), runs=3)
        sites = len(result.sites)  # type: ignore[attr-defined]
        print(f"{n_files} files, {n_lines} lines of {DIST} {VERSION}, {sites} call sites, "
              "TF 1.15 -> 2.15")
        print(f"first {first:.2f} s | warm median {statistics.median(warm):.2f} s "
              f"(min {min(warm):.2f}) | usercode cold median {statistics.median(cold):.2f} s | "
              f"cli warm median {statistics.median(cli):.2f} s")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
