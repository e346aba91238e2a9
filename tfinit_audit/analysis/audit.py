"""Entry point of the static analysis: specs -> one SymbolResult each (a pattern listed first
into the names it keeps), for one release tree.

Final results are stored on disk with everything the analysis saw (``results.py``: every file
the name resolver and the evaluator read, every existence check and listing), and serve every
tree that shows the same: a warm run of the same release parses nothing, a patch release whose
files on the resolution path are byte-identical analyses nothing, and a changed file anywhere on
the resolution path is noticed.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path

from tfinit_audit.analysis.model import Analysis, Dims, SymbolResult
from tfinit_audit.analysis.results import ResultStore, Seen, Stored
from tfinit_audit.analysis.symbols import SymbolSpec
from tfinit_audit.sources.base import SourceTree

ANALYSIS_VERSION = "5"  # bump when the evaluator's semantics change (invalidates cached results)


def analyze(
    tree: SourceTree,
    specs: list[SymbolSpec],
    dims: Dims,
    cache_dir: Path | None = None,
    progress: Callable[[str], None] | None = None,
    budget: int | None = None,
    problems: list[str] | None = None,
) -> list[SymbolResult]:
    """The symbol results of ``analyze_release`` (patterns expanded)."""
    return analyze_release(tree, specs, dims, cache_dir, progress, budget, problems).symbols


def analyze_release(
    tree: SourceTree,
    specs: list[SymbolSpec],
    dims: Dims,
    cache_dir: Path | None = None,
    progress: Callable[[str], None] | None = None,
    budget: int | None = None,
    problems: list[str] | None = None,
) -> Analysis:
    """Resolve each spec to its defining class and evaluate the weights it creates; a pattern
    (``tf.keras.layers.*``, ``all``) is first listed as this release exposes it
    (analysis/listing.py). Each symbol's evaluation may take ``budget`` interpreter steps
    (default the engine's ``ABSTRACT_BUDGET``; another budget is a one-off: nothing stored is
    used or kept); over it, the symbol is ``partial`` with where the analysis stopped (the
    others go on).

    With ``cache_dir``, the answer is looked up first among the stored analyses of any release
    whose files on the resolution path (and, for a pattern, the namespaces listed) are the ones
    this tree has (``results.py``); a new answer is stored there. ``problems``, if given,
    receives one line per file the analysis read but could not parse (a syntax error: the
    analysis went on without that file's definitions)."""
    found: list[str] = []
    store = _store_for(tree, specs, dims, cache_dir) if budget is None else None
    release_key = _release_key(tree)  # before the analysis opens any lazy part
    results = _stored(tree, store, found, release_key)
    if results is None:
        from tfinit_audit.analysis.run import run_specs  # the engine: only when analysing

        with _cyclic_gc_paused():
            results, seen = run_specs(tree, specs, dims, cache_dir, progress, found, budget)
        if store is not None:
            store.store(Stored(seen, results, list(found), _tree_problems(tree, seen)),
                        release_key)
    if problems is not None:
        problems.extend(p for p in found if p not in problems)
    return results


def stored(
    tree: SourceTree, specs: list[SymbolSpec], dims: Dims, cache_dir: Path | None,
    problems: list[str] | None = None,
) -> Analysis | None:
    """The answer ``analyze_release`` would give, if one is stored for a tree that shows what
    this one does (nothing is analysed); None otherwise."""
    found: list[str] = []
    results = _stored(tree, _store_for(tree, specs, dims, cache_dir), found, _release_key(tree))
    if results is not None and problems is not None:
        problems.extend(p for p in found if p not in problems)
    return results


def nothing_stored(kind: str, specs: list[SymbolSpec], dims: Dims, cache_dir: Path) -> bool:
    """No answer to these specs and sizes is stored for any tree of ``kind`` by this code:
    every release of that kind asked now will be analysed (known before any tree is open)."""
    return _store_of(kind, specs, dims, cache_dir).empty()


def _stored(tree: SourceTree, store: ResultStore | None, found: list[str], release_key: str
            ) -> Analysis | None:
    hit = store.lookup(tree, release_key) if store is not None else None
    if hit is None:
        return None
    found.extend(hit.problems)
    note: Callable[[str], None] | None = getattr(tree, "problem", None)
    for line in hit.tree_problems:
        if note is not None:
            note(line)  # as if this tree had read the file (its warnings are the same)
    return hit.results


def _tree_problems(tree: SourceTree, seen: Seen) -> list[str]:
    """The tree's lines about files the analysis read (``path: not UTF-8 ...``)."""
    return [line for line in getattr(tree, "problems", [])
            if line.partition(": ")[0] in seen.reads]


@contextlib.contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """The cold analysis builds millions of small, long-lived objects (syntax trees, abstract
    values) and little cyclic garbage; with the cycle collector on, its repeated full passes over
    them cost ~40 % of the run. Paused for one analysis, re-enabled (as it was) afterwards --
    with what the analysis allocated moved to the oldest generation first (``freeze`` then
    ``unfreeze``): else the first young collection after it walks them all (0.15 s at the end
    of a 2.15.1 analysis); its cyclic garbage goes with the next full collection. Not where
    the process had frozen objects of its own (a pre-forking server's ``gc.freeze()``):
    ``unfreeze`` would let go of those too."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            if gc.get_freeze_count() == 0:
                gc.freeze()
                gc.unfreeze()
            gc.enable()


# ----------------------------------------------------------------------------- cache
@functools.cache
def _code_version() -> str:
    """Hash of the analysis code itself, so cached results die with the code that made them."""
    here = Path(__file__).parent
    h = hashlib.sha256(ANALYSIS_VERSION.encode())
    for path in sorted(here.rglob("*.py")):
        with contextlib.suppress(OSError):
            h.update(path.relative_to(here).as_posix().encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def _spec_key(specs: list[SymbolSpec], dims: Dims) -> str:
    blob = json.dumps(
        [[s.name, list(s.args), list(s.alternatives), s.kind_hint] for s in specs]
        + [sorted(vars(dims).items(), key=lambda kv: kv[0])],
        default=str, sort_keys=True,
    )
    return hashlib.sha256((_code_version() + blob).encode()).hexdigest()[:24]


def _store_for(
    tree: SourceTree, specs: list[SymbolSpec], dims: Dims, cache_dir: Path | None
) -> ResultStore | None:
    """The stored analyses of these specs and sizes by this code, for trees of this kind."""
    return None if cache_dir is None else _store_of(tree.kind, specs, dims, cache_dir)


def _store_of(kind: str, specs: list[SymbolSpec], dims: Dims, cache_dir: Path) -> ResultStore:
    family = hashlib.sha256(f"{_spec_key(specs, dims)}|{kind}".encode()).hexdigest()[:24]
    return ResultStore(cache_dir, family)


def _release_key(tree: SourceTree) -> str:
    """This release's identity as far as it is known before the analysis (which stored
    analysis it used last is tried first)."""
    pk = ",".join(f"{p.name}={p.version}:{p.sha256 or p.file}" for p in tree.packages)
    return hashlib.sha256(f"{tree.release}|{tree.kind}|{pk}".encode()).hexdigest()[:24]
