"""Benchmark of name resolution (and the whole static analysis) for the default symbol set.

    .venv/bin/python benchmarks/names.py [--versions 1.8.0 1.10.0 2.15.0 2.21.0] [--no-analyze]

Per release: one priming pass fills the fetch cache (not timed); then, each with a fresh tree
object,
  names cold  -- Resolver over an empty summaries cache, every default symbol (+ compat twins)
  names warm  -- the same with the summaries cache the cold pass left behind
  audit cold  -- analysis.audit.analyze() over an empty cache dir (names + evaluation)
  audit warm  -- the same again (result cache hit)
Targets (issue 3, this 2-core machine): whole analysis < 2 s cold after fetch, < 0.2 s warm.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from tfinit_audit.analysis.model import Dims
from tfinit_audit.analysis.names import Resolver
from tfinit_audit.analysis.symbols import DEFAULT_SYMBOLS
from tfinit_audit.sources import SourceContext, open_tree
from tfinit_audit.sources.base import SourceTree

RELEASES = ["1.8.0", "1.10.0", "2.15.0", "2.21.0"]


def resolve_all(tree: SourceTree, cache: Path) -> tuple[float, int, list[str]]:
    """Seconds, modules summarized, and one status line per symbol."""
    t = time.perf_counter()
    r = Resolver(tree, cache)
    lines = []
    for spec in DEFAULT_SYMBOLS:
        res = None
        for cand in spec.candidates():
            res = r.resolve_public(cand)
            if res.status != "absent":
                break
        assert res is not None
        loc = res.definition.location if res.definition else None
        lines.append(f"{spec.row}: {res.status} {loc.path + ':' + str(loc.line) if loc else ''}")
    return time.perf_counter() - t, len(r.interp.summarized), lines


def analyze_all(tree: SourceTree, cache: Path) -> float:
    from tfinit_audit.analysis.audit import analyze

    t = time.perf_counter()
    analyze(tree, list(DEFAULT_SYMBOLS), Dims(), cache_dir=cache)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--versions", nargs="*", default=RELEASES)
    ap.add_argument("--no-analyze", action="store_true", help="time name resolution only")
    ap.add_argument("--verbose", action="store_true", help="print each symbol's resolution")
    args = ap.parse_args()
    ctx = SourceContext.create()
    print(f"{'release':10} {'names cold':>10} {'modules':>8} {'names warm':>10}"
          + ("" if args.no_analyze else f" {'audit cold':>10} {'audit warm':>10}"))
    for rel in args.versions:
        with tempfile.TemporaryDirectory() as tmp:
            base = Path(tmp)
            resolve_all(open_tree("pypi", rel, ctx=ctx), base / "prime")  # fills fetch cache
            cold, n, lines = resolve_all(open_tree("pypi", rel, ctx=ctx), base / "names")
            warm, _, _ = resolve_all(open_tree("pypi", rel, ctx=ctx), base / "names")
            row = f"{rel:10} {cold:10.2f} {n:8d} {warm:10.3f}"
            if not args.no_analyze:
                acold = analyze_all(open_tree("pypi", rel, ctx=ctx), base / "audit")
                awarm = analyze_all(open_tree("pypi", rel, ctx=ctx), base / "audit")
                row += f" {acold:10.2f} {awarm:10.3f}"
            print(row, flush=True)
            if args.verbose:
                for line in lines:
                    print("   ", line)


if __name__ == "__main__":
    main()
