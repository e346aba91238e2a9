"""A SourceTree made of several distributions ("parts"), each mapping import paths to files.

PyPI, GitHub and local sources differ only in how a part lists and reads its files; path lookup,
text decoding, in-memory memoisation, prefetching and fetch statistics live here once.

Speculative prefetch (why: the analysis discovers files one at a time, so a cold audit was a
chain of ~100 sequential range requests): when a file the analysis asks for came over the
network, its imports are scanned (regex, ``imports.py``) and the files they load are fetched in
the background by a few worker threads, in coalesced ranges, so they are in memory when asked
for. Bounded: only parts that opt in (remote, online wheels), only imports of files the analysis
read (``depth`` 1; 2 adds the imports of prefetched files), and at most ``cap`` bytes of
speculative requests per tree. A read of a file a worker is already fetching waits for it; one
still queued is taken over by the reader. Answers never depend on it: a failed speculative fetch
is simply fetched again by the reader. ``TFINIT_AUDIT_NO_PREFETCH=1`` turns it off.
"""

from __future__ import annotations

import bisect
import collections
import contextlib
import functools
import io
import os
import threading
import time
import tokenize
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Protocol

from tfinit_audit.sources import limits
from tfinit_audit.sources.base import FetchStats, PackageFile, UnreadableFile
from tfinit_audit.sources.http import Counter, OverBound, env_flag
from tfinit_audit.sources.imports import imported_files

NO_PREFETCH_ENV = "TFINIT_AUDIT_NO_PREFETCH"
SPEC_CAP = int(os.environ.get("TFINIT_AUDIT_PREFETCH_CAP", str(4 * 1024 * 1024)))
SPEC_DEPTH = int(os.environ.get("TFINIT_AUDIT_PREFETCH_DEPTH", "1"))
# Per tree. Requests are latency-bound (~120 ms each on the public host), so throughput comes
# from concurrency; up to 4 trees share the session's pool (http.MAX_CONNECTIONS).
SPEC_WORKERS = 8
SPEC_GAP = 8 * 1024  # members closer than this share one speculative request (gaps cost bytes)
SPEC_SPAN = 512 * 1024  # ...up to this many bytes (a reader may wait for a whole group)


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


class _Job:
    """One speculative request: paths of one part fetched together (coalesced)."""

    __slots__ = ("part", "paths", "level", "started")

    def __init__(self, part: Part, paths: dict[str, str], level: int) -> None:
        self.part = part
        self.paths = paths  # import path -> part key
        self.level = level
        self.started = False


class _Workers:
    """A few daemon threads running batches of jobs, newest batch first (the analysis goes
    depth-first: the imports of the file it read last are the ones it asks for next). Threads
    exit after idling, so an abandoned tree leaves none behind and a run never waits at exit."""

    IDLE = 2.0

    def __init__(self, n: int) -> None:
        self._n = n
        self._stack: list[collections.deque[Callable[[], None]]] = []
        self._cond = threading.Condition()
        self._alive = 0
        self._idle = 0

    def submit(self, batch: list[Callable[[], None]]) -> None:
        if not batch:
            return
        with self._cond:
            self._stack.append(collections.deque(batch))
            start = min(len(batch) - self._idle, self._n - self._alive)
            self._alive += max(0, start)
            self._cond.notify(len(batch))
        for _ in range(start):
            threading.Thread(target=self._loop, name="tfa-prefetch", daemon=True).start()

    def _loop(self) -> None:
        while True:
            with self._cond:
                if not self._stack:
                    self._idle += 1
                    self._cond.wait(self.IDLE)
                    self._idle -= 1
                    if not self._stack:
                        self._alive -= 1
                        return
                top = self._stack[-1]
                fn = top.popleft()
                if not top:
                    self._stack.pop()
            with contextlib.suppress(Exception):  # a failed job: its readers fetch it again
                fn()


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
        speculate: bool | None = None,
        speculate_cap: int | None = None,
        speculate_depth: int | None = None,
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
        self.problems: list[str] = []  # files read without their text, one line each
        self.max_files = int(limits.FILES.value)
        # speculative prefetch (see the module docstring)
        self.speculate = not env_flag(NO_PREFETCH_ENV) if speculate is None else speculate
        self.speculate_cap = SPEC_CAP if speculate_cap is None else speculate_cap
        self.speculate_depth = SPEC_DEPTH if speculate_depth is None else speculate_depth
        self._inflight: dict[str, tuple[Future[bytes], _Job | None]] = {}
        self._spec_data: dict[str, bytes] = {}  # fetched speculatively, not yet read
        self._spec_spent = 0  # bytes of speculative requests planned
        self._spec_seen: set[str] = set()  # paths ever scheduled speculatively
        self._scanned: set[str] = set()
        self._prefetched = 0  # files fetched speculatively
        self._prefetch_used = 0  # ...of which the analysis then read
        self._workers: _Workers | None = None
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
        if path not in self._read and len(self._read) >= self.max_files:
            raise OverBound(f"tensorflow {self.release}: more than {self.max_files:,} files read "
                            f"(bound {limits.FILES.env})")
        try:
            data, remote = self._get(path, part, key)
        except UnreadableFile as exc:
            self.problem(str(exc))
            self._note_read(path)
            return None
        self._note_read(path)
        if remote:
            self._speculate_from(path, data, 1)
        return data

    def _get(self, path: str, part: Part, key: str) -> tuple[bytes, bool]:
        """Bytes of one file and whether they came over the network in this run; waits for a
        speculative fetch already running, takes over one still queued."""
        with self._lock:
            data = self._spec_data.pop(path, None)
            if data is not None:
                self._prefetch_used += 1
                return data, True
            entry = self._inflight.get(path)
            mine = entry is None
            if entry is None:
                fut: Future[bytes] = Future()
                self._inflight[path] = (fut, None)
            else:
                fut, job = entry
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
                    self._spec_data.pop(path, None)
                    self._prefetch_used += 1
                return data, True
            with self._timed():
                return part.read(key), False
        try:
            remote = self._can_speculate(part) and not self._part_is_cached(part, key)
            with self._timed():
                data = part.read(key)
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
        hit = self._owner.get(p)
        if hit is None:
            below = self.list(p)
            hit = self._owner.get(below[0]) if below else None
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
            hit = self._owner.get(p)
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

    # -- speculation -------------------------------------------------------------------------
    def _can_speculate(self, part: Part) -> bool:
        return self.speculate and bool(getattr(part, "speculative", False))

    @staticmethod
    def _part_is_cached(part: Part, key: str) -> bool:
        is_cached = getattr(part, "is_cached", None)
        return bool(is_cached(key)) if is_cached is not None else False

    def _speculate_from(self, path: str, data: bytes, level: int) -> None:
        """Schedule background fetches of the files ``path``'s imports load."""
        if level > self.speculate_depth or not path.endswith(".py") or not self.speculate:
            return
        with self._lock:
            if path in self._scanned or self._spec_spent >= self.speculate_cap:
                return
            self._scanned.add(path)
        owner = self._owner
        text = data.decode("utf-8", "replace")
        cands = imported_files(text, path, owner.__contains__)
        # then imports inside blocks (try/if at module level, but also lazy ones in functions)
        cands += [p for p in imported_files(text, path, owner.__contains__, indented=True)
                  if p not in set(cands)]
        per_part: dict[int, tuple[Part, dict[str, str]]] = {}
        rank = {p: i for i, p in reversed(list(enumerate(cands)))}
        promote: dict[int, _Job] = {}  # queued by an earlier scan: move up to this batch
        for p in cands:
            hit = owner.get(p)
            if hit is None or p in self._text or p in self._read:
                continue
            entry = self._inflight.get(p)
            if entry is not None and entry[1] is not None and not entry[1].started:
                promote.setdefault(id(entry[1]), entry[1])
            if p in self._spec_seen or entry is not None:
                continue
            part, key = hit
            if not self._can_speculate(part) or self._part_is_cached(part, key):
                continue
            per_part.setdefault(id(part), (part, {}))[1][key] = p
        # (first import it serves, part, keys, request bytes): earliest imports first, so the
        # cap cuts the tail of the list and workers start with what the analysis reads next
        planned: list[tuple[int, Part, list[str], int, dict[str, str]]] = []
        for part, by_key in per_part.values():
            plan: Callable[..., list[tuple[list[str], int]]] | None = getattr(part, "plan", None)
            groups = (plan(list(by_key), SPEC_GAP, SPEC_SPAN) if plan is not None
                      else [([k], 0) for k in by_key])
            for keys, cost in groups:
                planned.append((min(rank[by_key[k]] for k in keys), part, keys, cost, by_key))
        planned.sort(key=lambda t: t[0])
        batch: list[Callable[[], None]] = [functools.partial(self._run_job, j)
                                           for j in promote.values()]
        with self._lock:
            for _, part, keys, cost, by_key in planned:
                if self._spec_spent + cost > self.speculate_cap:
                    break
                paths = {by_key[k]: k for k in keys if by_key[k] not in self._inflight
                         and by_key[k] not in self._text and by_key[k] not in self._spec_seen}
                if not paths:
                    continue
                self._spec_spent += cost
                job = _Job(part, paths, level)
                for p in paths:
                    self._inflight[p] = (Future(), job)
                    self._spec_seen.add(p)
                batch.append(functools.partial(self._run_job, job))
            if batch and self._workers is None:
                self._workers = _Workers(SPEC_WORKERS)
            workers = self._workers
        if batch and workers is not None:
            workers.submit(batch)

    def _run_job(self, job: _Job) -> None:
        with self._lock:
            if job.started:
                return
            job.started = True
            items = dict(job.paths)
        if not items:
            return
        got: dict[str, bytes] = {}
        err: BaseException | None = None
        try:
            got = job.part.read_many(list(items.values()))
        except BaseException as exc:  # noqa: BLE001 - handed to any waiting reader
            err = exc
        done: list[tuple[Future[bytes], bytes | None]] = []
        with self._lock:
            for p, k in items.items():
                entry = self._inflight.get(p)
                data = got.get(k)
                if data is not None:
                    self._spec_data[p] = data
                    self._prefetched += 1
                if entry is not None and entry[1] is job:
                    del self._inflight[p]
                    done.append((entry[0], data))
        for fut, data in done:
            if data is not None:
                fut.set_result(data)
            else:
                fut.set_exception(err or KeyError("not fetched"))
        self.refresh_stats()
        for p, k in items.items():
            data = got.get(k)
            if data is not None:
                self._speculate_from(p, data, job.level + 1)

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
            self.stats.prefetched = self._prefetched
            self.stats.prefetch_used = self._prefetch_used
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
