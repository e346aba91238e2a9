"""A SourceTree made of several distributions ("parts"), each mapping import paths to files.

PyPI, GitHub and local sources differ only in how a part lists and reads its files; path lookup,
text decoding, in-memory memoisation, prefetching and fetch statistics live here once.

Reading ahead of the analysis (speculative import prefetch, read plans) is in
``readahead.py``; the read path here consults its state.
"""

from __future__ import annotations

import bisect
import contextlib
import io
import threading
import time
import tokenize
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager

from tfinit_audit.sources import limits
from tfinit_audit.sources.base import FetchStats, PackageFile, Part, UnreadableFile
from tfinit_audit.sources.http import Counter, OverBound
from tfinit_audit.sources.readahead import NO_PREFETCH_ENV, ReadAhead

__all__ = ["NO_PREFETCH_ENV", "CompositeTree", "Part"]

class CompositeTree(ReadAhead):
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
        speculate: bool | None = None,
        speculate_cap: int | None = None,
        speculate_depth: int | None = None,
        speculate_latency: float | None = None,
    ) -> None:
        self.release = release
        self.kind = kind
        self.stats = stats or FetchStats()
        self.counter = counter or Counter()
        self._parts: list[Part] = []
        self._owner: dict[str, Part] = {}  # path -> its part (the key: _hit)
        self._sorted: list[str] = []
        self._lazy = dict(lazy_parts or {})
        self._text: dict[str, str | None] = {}
        self._read: set[str] = set()
        self._lock = threading.RLock()
        self._depth = threading.local()
        self._hits_before = 0
        self.problems: list[str] = []  # files read without their text, one line each
        self.max_files = int(limits.FILES.value)
        self._init_readahead(speculate, speculate_cap, speculate_depth, speculate_latency)
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
            for path in part.paths():
                if path not in owner:
                    owner[path] = part
            self._sorted = sorted(self._owner)

    def _hit(self, path: str) -> tuple[Part, str] | None:
        """The part holding ``path`` and the part's own key for it. A part's key is looked up
        in its table rather than kept per path here: a parent process holds the tables of
        every release of a run at once."""
        part = self._owner.get(path)
        return None if part is None else (part, part.paths()[path])

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
        hit = self._hit(path)
        if hit is None:
            return None
        part, key = hit
        if path not in self._read and len(self._read) >= self.max_files:
            raise OverBound(f"tensorflow {self.release}: more than {self.max_files:,} files read "
                            f"(bound {limits.FILES.env})")
        try:
            data, remote = self._get(path, part, key)
        except UnreadableFile as exc:
            self.problem(str(exc))
            self._note_read(path)
            return None
        if path not in self._read and self._followers:
            self._tell_followers(path)
        self._note_read(path, first=True)
        if remote and path not in self._planned:
            self._speculate_from(path, data, 1)
        return data

    def _get(self, path: str, part: Part, key: str) -> tuple[bytes, bool]:
        """Bytes of one file and whether they came over the network in this run; waits for a
        speculative fetch already running, takes over one still queued."""
        fut: Future[bytes]
        with self._lock:
            data = self._spec_data.pop(path, None)
            if data is not None:
                self._used(path)
            else:
                entry = self._inflight.get(path)
                mine = entry is None
                if entry is None:
                    fut = Future()
                    self._inflight[path] = (fut, None)
                else:
                    fut, job = entry
        if data is not None:
            self._commit(part, key)
            return data, True
        if not mine:
            with self._timed():
                if job is not None:
                    self._run_job(job)  # still queued: run it now in this thread
                try:
                    data = fut.result()
                except Exception:  # noqa: BLE001 - speculation failed: read it ourselves below
                    data = None
            if data is not None:
                with self._lock:
                    if self._spec_data.pop(path, None) is not None:  # the first of its readers
                        self._used(path)
                self._commit(part, key)
                return data, True
            with self._timed():
                return part.read(key), False
        try:
            remote = self._can_speculate(part) and not self._part_is_cached(part, key)
            started = time.monotonic()
            with self._timed():
                data = part.read(key)
            if remote:
                self._timed_read(time.monotonic() - started)
        except BaseException as exc:
            fut.set_exception(exc)
            raise
        finally:
            with self._lock:
                if self._inflight.get(path, (None, None))[0] is fut:
                    del self._inflight[path]
        fut.set_result(data)
        return data, remote

    def read_text(self, path: str) -> str | None:
        with self._lock:
            if path in self._text:
                return self._text[path]
        data = self.read_bytes(path)
        text = None if data is None else self._decode(path, data)
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
        hit = self._hit(p)
        if hit is None:
            below = self.list(p)
            hit = self._hit(below[0]) if below else None
        return hit[0].package.name if hit else None

    def _decode(self, path: str, data: bytes) -> str:
        """UTF-8, or the encoding a Python file declares (PEP 263); else UTF-8 with replacement
        characters, noted among the problems."""
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad = exc.start
        if path.endswith(".py"):
            try:
                encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
                return data.decode(encoding)
            except (SyntaxError, LookupError, UnicodeDecodeError):
                pass
        self.problem(f"{path}: not UTF-8 (byte {bad}) and no other encoding declared; read "
                     "with replacement characters")
        return data.decode("utf-8", errors="replace")

    def problem(self, line: str) -> None:
        """Note one problem of this tree (shown with the release; the analysis goes on)."""
        with self._lock:
            if line not in self.problems:
                self.problems.append(line)

    # -- extras ------------------------------------------------------------------------------
    def prefetch(self, paths: Iterable[str]) -> dict[str, bool]:
        """Fetch many files at once (concurrently, per part and across parts); path -> found.
        Files a speculative fetch already has (or is fetching) are not fetched again."""
        wanted = list(dict.fromkeys(p.strip("/") for p in paths))
        for p in wanted:
            self._ensure_lazy(p)
        groups: dict[int, tuple[Part, list[str], list[str]]] = {}
        found: dict[str, bool] = {}
        waits: list[Future[bytes]] = []
        for p in wanted:
            hit = self._hit(p)
            found[p] = hit is not None
            if hit is not None:
                with self._lock:
                    entry = self._inflight.get(p)
                    if p in self._spec_data or p in self._text:
                        continue
                if entry is not None:
                    waits.append(entry[0])
                    continue
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
            for fut in waits:  # a failed one is fetched again by its reader
                with contextlib.suppress(Exception):
                    fut.result()
        for _, _, ps in groups.values():
            for p in ps:
                self._note_read(p)
        return found

    def fingerprint(self, path: str) -> str | None:
        """Identity of ``path``'s content without reading it (its part's ``fingerprint``)."""
        self._ensure_lazy(path)
        hit = self._hit(path)
        fp: Callable[[str], str | None] | None = getattr(hit[0], "fingerprint", None) \
            if hit is not None else None
        return fp(hit[1]) if fp is not None and hit is not None else None

    def owner_key(self, path: str) -> tuple[str, str] | None:
        """(distribution, the part's own key: wheel member / repo path / local file) of ``path``."""
        hit = self._hit(path)
        return (hit[0].package.name, hit[1]) if hit else None

    def refresh_stats(self) -> FetchStats:
        with self._lock:
            self.stats.requests = self.counter.requests
            self.stats.bytes = self.counter.bytes
            self.stats.from_cache = sum(p.cache_hits() for p in self._parts)
            self.stats.files = len(self._read)
            pre = [0, 0, 0, 0]  # preloaded (RemoteWheel.preload): members, bytes, read, bytes
            for p in self._parts:
                stats = getattr(p, "preload_stats", None)
                if stats is not None:
                    pre = [a + b for a, b in zip(pre, stats(), strict=True)]
            self.stats.prefetched = self._prefetched + pre[0]
            self.stats.prefetch_used = self._prefetch_used + pre[2]
            self.stats.prefetch_bytes = self._prefetch_bytes + pre[1]
            self.stats.prefetch_used_bytes = self._prefetch_used_bytes + pre[3]
            self.stats.plan_from = self.plan_from
        return self.stats

    def trim(self) -> None:
        """Let each part drop what it can load again (``WheelPart.trim``): for a process that
        holds the trees of many releases and hands their analyses to workers."""
        for p in self._parts:
            trim = getattr(p, "trim", None)
            if trim is not None:
                trim()

    def close(self) -> None:
        self._done = True
        for p in self._parts:
            p.close()

    def _note_read(self, path: str, first: bool = False) -> None:
        with self._lock:
            if first and path not in self._read:
                self._order.append(path)
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
