"""A SourceTree made of several distributions ("parts"), each mapping import paths to files.

PyPI, GitHub and local sources differ only in how a part lists and reads its files; path lookup,
text decoding, in-memory memoisation, prefetching and fetch statistics live here once.
"""

from __future__ import annotations

import bisect
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Protocol

from tfinit_audit.sources.base import FetchStats, PackageFile
from tfinit_audit.sources.http import Counter


class Part(Protocol):
    """One distribution inside a release tree."""

    package: PackageFile

    def paths(self) -> dict[str, str]:
        """Import path -> the part's own key for that file (member name, repo path...)."""
        ...

    def read(self, key: str) -> bytes: ...

    def read_many(self, keys: list[str]) -> dict[str, bytes]: ...

    def cache_hits(self) -> int: ...

    def close(self) -> None: ...


class CompositeTree:
    """Lazy, read-only import-path view over ordered parts; the first part that has a path wins.

    ``lazy_parts`` maps a top-level package (``tf_keras``) to a callable that opens the part
    only when a path below it is first asked for (returns None when there is nothing to add).
    """

    def __init__(
        self,
        release: str,
        kind: str,
        parts: list[Part],
        *,
        counter: Counter | None = None,
        lazy_parts: dict[str, Callable[[], Part | None]] | None = None,
        stats: FetchStats | None = None,
    ) -> None:
        self.release = release
        self.kind = kind
        self.stats = stats or FetchStats()
        self.counter = counter or Counter()
        self._parts: list[Part] = []
        self._owner: dict[str, tuple[Part, str]] = {}
        self._sorted: list[str] = []
        self._lazy = dict(lazy_parts or {})
        self._text: dict[str, str | None] = {}
        self._read: set[str] = set()
        self._lock = threading.RLock()
        self._depth = threading.local()
        self._hits_before = 0
        for p in parts:
            self._add(p)

    # -- parts ---------------------------------------------------------------------------
    @property
    def packages(self) -> list[PackageFile]:
        return [p.package for p in self._parts]

    @property
    def parts(self) -> list[Part]:
        return list(self._parts)

    def _add(self, part: Part) -> None:
        with self._lock:
            self._parts.append(part)
            owner = self._owner
            for path, key in part.paths().items():
                if path not in owner:
                    owner[path] = (part, key)
            self._sorted = sorted(self._owner)

    def _ensure_lazy(self, path: str) -> None:
        top = path.split("/", 1)[0]
        if top not in self._lazy:
            return
        with self._lock:
            opener = self._lazy.pop(top, None)
            if opener is None:
                return
            with self._timed():
                part = opener()
            if part is not None:
                self._add(part)

    # -- SourceTree -------------------------------------------------------------------------
    def read_bytes(self, path: str) -> bytes | None:
        self._ensure_lazy(path)
        hit = self._owner.get(path)
        if hit is None:
            return None
        part, key = hit
        with self._timed():
            data = part.read(key)
        self._note_read(path)
        return data

    def read_text(self, path: str) -> str | None:
        with self._lock:
            if path in self._text:
                return self._text[path]
        data = self.read_bytes(path)
        text = None if data is None else data.decode("utf-8", errors="replace")
        with self._lock:
            self._text[path] = text
        return text

    def exists(self, path: str) -> bool:
        p = path.strip("/")
        self._ensure_lazy(p)
        if p in self._owner:
            return True
        i = bisect.bisect_left(self._sorted, p + "/")
        return i < len(self._sorted) and self._sorted[i].startswith(p + "/")

    def list(self, prefix: str) -> list[str]:
        p = prefix.strip("/")
        if not p:
            return list(self._sorted)
        self._ensure_lazy(p)
        lo = bisect.bisect_left(self._sorted, p + "/")
        hi = bisect.bisect_left(self._sorted, p + "0")  # '0' sorts right after '/'
        return self._sorted[lo:hi]

    def package_of(self, path: str) -> str | None:
        p = path.strip("/")
        if not self.exists(p):
            return None
        hit = self._owner.get(p)
        if hit is None:
            below = self.list(p)
            hit = self._owner.get(below[0]) if below else None
        return hit[0].package.name if hit else None

    # -- extras ------------------------------------------------------------------------------
    def prefetch(self, paths: Iterable[str]) -> dict[str, bool]:
        """Fetch many files at once (concurrently, per part and across parts); path -> found."""
        wanted = list(dict.fromkeys(p.strip("/") for p in paths))
        for p in wanted:
            self._ensure_lazy(p)
        groups: dict[int, tuple[Part, list[str], list[str]]] = {}
        found: dict[str, bool] = {}
        for p in wanted:
            hit = self._owner.get(p)
            found[p] = hit is not None
            if hit is not None:
                g = groups.setdefault(id(hit[0]), (hit[0], [], []))
                g[1].append(hit[1])
                g[2].append(p)
        with self._timed():
            if len(groups) > 1:
                with ThreadPoolExecutor(max_workers=len(groups)) as pool:
                    list(pool.map(lambda g: g[0].read_many(g[1]), groups.values()))
            else:
                for part, keys, _ in groups.values():
                    part.read_many(keys)
        for _, _, ps in groups.values():
            for p in ps:
                self._note_read(p)
        return found

    def owner_key(self, path: str) -> tuple[str, str] | None:
        """(distribution, the part's own key: wheel member / repo path / local file) of ``path``."""
        hit = self._owner.get(path)
        return (hit[0].package.name, hit[1]) if hit else None

    def refresh_stats(self) -> FetchStats:
        with self._lock:
            self.stats.requests = self.counter.requests
            self.stats.bytes = self.counter.bytes
            self.stats.from_cache = sum(p.cache_hits() for p in self._parts)
            self.stats.files = len(self._read)
        return self.stats

    def close(self) -> None:
        for p in self._parts:
            p.close()

    def _note_read(self, path: str) -> None:
        with self._lock:
            self._read.add(path)
        self.refresh_stats()

    @contextmanager
    def _timed(self) -> Iterator[None]:
        """Adds wall time to stats.seconds, counting nested/overlapping calls of a thread once."""
        depth = getattr(self._depth, "n", 0)
        self._depth.n = depth + 1
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self._depth.n = depth
            if depth == 0:
                with self._lock:
                    self.stats.seconds += time.perf_counter() - t0
            self.refresh_stats()
