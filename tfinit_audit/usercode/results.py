"""Analysis results per (release, symbol spec), cached one by one.

A scan asks for many specs (one per distinct configuration in the user's code) and a code edit
changes only a few of them; caching each answer by itself keeps a re-scan after an edit from
analysing the others again. Only releases read from immutable wheels (sha256 known) are cached
here; the analysis keeps its own cache for every source. Entries are keyed by the packages'
hashes, the dims and the hash of the analysis code.
"""

from __future__ import annotations

import hashlib
import json
import pickle
from collections.abc import Callable

from tfinit_audit.analysis.model import Dims, SymbolResult
from tfinit_audit.analysis.symbols import SymbolSpec
from tfinit_audit.sources.base import SourceTree
from tfinit_audit.sources.cache import Cache
from tfinit_audit.usercode.bind import spec_key

CACHE_NS = "usercode-results"
RunFn = Callable[[list[SymbolSpec]], list[SymbolResult]]


class ResultCache:
    def __init__(self, cache: Cache | None, tree: SourceTree, dims: Dims,
                 code_version: str) -> None:
        pkgs = list(tree.packages)
        immutable = bool(pkgs) and all(p.sha256 for p in pkgs) and tree.kind in ("pypi",
                                                                                  "wheel")
        self.cache = cache if immutable else None
        blob = json.dumps([code_version, tree.release, tree.kind,
                           [f"{p.name}={p.version}:{p.sha256}" for p in pkgs],
                           sorted((k, str(v)) for k, v in vars(dims).items())])
        self.ident = hashlib.sha256(blob.encode()).hexdigest()[:32]

    def _key(self, spec: SymbolSpec) -> str:
        return hashlib.sha256(spec_key(spec).encode()).hexdigest()[:32]

    def get(self, spec: SymbolSpec) -> SymbolResult | None:
        if self.cache is None:
            return None
        raw = self.cache.get(CACHE_NS, self.ident, self._key(spec))
        if raw is None:
            return None
        try:
            value = pickle.loads(raw)
        except (pickle.UnpicklingError, EOFError, AttributeError, TypeError, ImportError):
            return None
        return value if isinstance(value, SymbolResult) else None

    def put(self, spec: SymbolSpec, result: SymbolResult) -> None:
        if self.cache is not None:
            self.cache.put(CACHE_NS, self.ident, self._key(spec), pickle.dumps(result))

    def analyse(self, specs: list[SymbolSpec], run: RunFn) -> dict[str, SymbolResult]:
        """``{spec_key: result}`` for ``specs``: cached ones loaded, the rest analysed in one
        batch by ``run`` and stored."""
        out: dict[str, SymbolResult] = {}
        missing: list[SymbolSpec] = []
        for s in specs:
            hit = self.get(s)
            if hit is None:
                missing.append(s)
            else:
                out[spec_key(s)] = hit
        if missing:
            for s, r in zip(missing, run(missing), strict=True):
                out[spec_key(s)] = r
                self.put(s, r)
        return out
