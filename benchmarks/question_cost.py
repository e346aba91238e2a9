"""Where a symbol's question spends its time, and what sharing one interpreter would save.

    .venv/bin/python benchmarks/question_cost.py [--versions 1.8.0 1.15.5 2.15.1] [--rounds 3]

Per release (files fetched first; one ``Sources`` serves every pass and a first pass is not
timed, so no parse is timed: only evaluation), the default set is asked

- fresh: each symbol of a fresh ``Interpreter``, as ``analysis/run.py`` asks it, timed in three
  parts: the import of the name's root package (``tensorflow``) -- the only part every question
  does alike whatever the batch, so the most a batch-independent prefix evaluated once could
  save --, the rest of the name's resolution, and the evaluation of the layer (which imports,
  lazily, what it touches: most of the modules);
- shared: one interpreter for every symbol (its answers depend on the batch; the floor of any
  scheme that evaluates a module once per release).

Medians of ``--rounds`` rounds, seconds per release (the 16 symbols together).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any, cast

from tfinit_audit.analysis import run
from tfinit_audit.analysis.engine.interp import Interpreter
from tfinit_audit.analysis.engine.source import Sources
from tfinit_audit.analysis.model import Dims
from tfinit_audit.analysis.names import ROOTS, Resolver
from tfinit_audit.analysis.results import RecordingTree
from tfinit_audit.analysis.rules import ENGINE_RULES
from tfinit_audit.analysis.symbols import DEFAULT_SYMBOLS
from tfinit_audit.sources import SourceContext, open_tree
from tfinit_audit.sources.base import SourceTree

PARTS = ("root", "resolve", "analyze")


def one_pass(tree: SourceTree, sources: Sources, shared: bool) -> dict[str, float]:
    """The default set once: seconds per part (fresh) or in all (shared)."""
    out = dict.fromkeys(PARTS, 0.0)
    it: Interpreter | None = None
    for spec in DEFAULT_SYMBOLS:
        t0 = time.perf_counter()
        if it is None or not shared:
            it = Interpreter(tree, ENGINE_RULES, sources=sources)
        first_part = spec.name.split(".")[0]
        root = ROOTS.get(first_part, first_part)
        with it.question([]):  # what the name's resolution does first (then from sys.modules)
            it.import_module(root)
        t1 = time.perf_counter()
        resolver = Resolver(tree, engine=it)
        chosen, res, first = run._resolve(resolver, spec)
        t2 = time.perf_counter()
        run._analyze_one(it, resolver, spec, chosen, res, first, Dims())
        t3 = time.perf_counter()
        for part, dt in zip(PARTS, (t1 - t0, t2 - t1, t3 - t2), strict=True):
            out[part] += dt
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--versions", nargs="+", default=["1.8.0", "1.15.5", "2.15.1", "2.21.0"])
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    ctx = SourceContext.create()
    print(f"{'release':9} {'fresh':>7} {'root':>6} {'resolve':>8} {'analyze':>8} {'shared':>7} "
          f"{'fresh-shared':>13} {'root/fresh':>10}")
    gc.disable()  # as in an analysis (audit._cyclic_gc_paused)
    for v in args.versions:
        rec = RecordingTree(open_tree("pypi", v, ctx=ctx))
        tree = cast(SourceTree, rec)
        sources = Sources(tree, Path(tempfile.mkdtemp(prefix="tfinit-qcost-")))
        one_pass(tree, sources, shared=False)  # fetches and parses (not timed)
        fresh: dict[str, list[float]] = {p: [] for p in PARTS}
        totals: list[float] = []
        shared: list[float] = []
        for _ in range(args.rounds):
            f = one_pass(tree, sources, shared=False)
            for p in PARTS:
                fresh[p].append(f[p])
            totals.append(sum(f.values()))
            shared.append(sum(one_pass(tree, sources, shared=True).values()))
        med: dict[str, Any] = {p: statistics.median(x) for p, x in fresh.items()}
        tot, sh = statistics.median(totals), statistics.median(shared)
        print(f"{v:9} {tot:7.2f} {med['root']:6.2f} {med['resolve']:8.2f} "
              f"{med['analyze']:8.2f} {sh:7.2f} {tot - sh:13.2f} {med['root'] / tot:10.1%}")
        gc.collect()


if __name__ == "__main__":
    main()
