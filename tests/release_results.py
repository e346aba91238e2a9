"""Analysis results of real releases from the package index, by symbol name (the real-wheel
tests of single symbols)."""

from __future__ import annotations

from pathlib import Path

from tfinit_audit.analysis.audit import analyze
from tfinit_audit.analysis.model import Dims, SymbolResult
from tfinit_audit.analysis.symbols import parse_symbol
from tfinit_audit.sources import SourceContext, open_tree


def results(ctx: SourceContext, cache: Path, version: str, *symbols: str
            ) -> dict[str, SymbolResult]:
    """Each of ``symbols`` analysed in ``version`` from PyPI with the default dims."""
    tree = open_tree("pypi", version, ctx=ctx)
    found = analyze(tree, [parse_symbol(s) for s in symbols], Dims(), cache_dir=cache)
    return {r.symbol: r for r in found}
