"""Benchmark of the static analysis: the default symbol set for one release, cold and warm.

    .venv/bin/python benchmarks/analysis.py [--versions 1.8.0 2.15.0] [--cache DIR]

The release's files are fetched first (not timed). Then:
- cold: no analysis results and no module summaries cached (fresh cache dir), every module parsed;
- cold-eval: summaries cached, analysis results not (the evaluator's own cost);
- warm: final results cached; a warm run only re-hashes the files it depends on.
Each timed step ends with ``gc.collect()``: the garbage an analysis leaves is its own cost (else
it is charged to whatever runs next -- e.g. the following warm step).
Targets (issue 3): cold < 2 s, warm < 0.2 s. The analysis caches are always fresh; the
source (fetch) cache is the tool's own unless --cache/--cold-fetch say otherwise.
"""

from __future__ import annotations

import argparse
import gc
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from tfinit_audit.analysis.audit import analyze
from tfinit_audit.analysis.model import Dims
from tfinit_audit.analysis.symbols import DEFAULT_SYMBOLS
from tfinit_audit.sources import SourceContext, open_tree


def timed(tree: Any, cache_dir: Path) -> tuple[float, list[Any]]:
    """Seconds of one analysis, the garbage it leaves collected, and its results."""
    gc.collect()
    t = time.perf_counter()
    res = analyze(tree, DEFAULT_SYMBOLS, Dims(), cache_dir=cache_dir)
    gc.collect()
    return time.perf_counter() - t, list(res)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--versions", nargs="+", default=["1.8.0", "2.15.0"])
    ap.add_argument(
        "--cache", default=None, help="source cache dir (default: the tool's cache, fetch warm)"
    )
    ap.add_argument("--cold-fetch", action="store_true", help="fetch into a fresh temp dir")
    args = ap.parse_args()
    src_cache: Path | None = Path(args.cache) if args.cache else None
    if args.cold_fetch:
        src_cache = Path(tempfile.mkdtemp(prefix="tfinit-bench-src-"))
    ctx = SourceContext.create(cache_dir=src_cache)
    print(f"{'release':10} {'fetch+1st':>10} {'cold':>8} {'cold-eval':>10} {'warm':>8}  statuses")
    for v in args.versions:
        tree = open_tree("pypi", v, ctx=ctx)
        scratch = Path(tempfile.mkdtemp(prefix="tfinit-bench-"))
        fetch, _ = timed(tree, scratch / "prime")  # fetches the files
        cold, _ = timed(tree, scratch / "cold")
        shutil.rmtree(scratch / "cold" / "results", ignore_errors=True)  # summaries stay
        cold_eval, _ = timed(tree, scratch / "cold")
        warm, res = timed(tree, scratch / "cold")
        statuses = ",".join(sorted({r.status for r in res}))
        print(f"{v:10} {fetch:10.2f} {cold:8.2f} {cold_eval:10.2f} {warm:8.3f}  {statuses}")
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
