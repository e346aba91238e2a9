"""Reading ahead of the analysis, for a CompositeTree (a mixin: the tree's read path consults
the state kept here).

Speculative prefetch (why: the analysis discovers files one at a time, so a cold audit was a
chain of ~100 sequential range requests): when a file the analysis asks for came over the
network, its imports are scanned (regex, ``imports.py``) and the files they load are fetched in
the background by a few worker threads, in coalesced ranges, so they are in memory when asked
for. Bounded: only parts that opt in (remote, online wheels), only imports of files the analysis
read (``depth`` 1; 2 adds the imports of prefetched files), and at most ``cap`` bytes of
speculative requests per tree. Only while round trips are slow: the analysis's own reads are
timed, and until two of the last three take ``latency`` or more (25 ms,
``TFINIT_AUDIT_PREFETCH_LATENCY`` in ms; 0: always) the files read are only noted -- a
request answered in a few ms costs the reader less than guessing costs the CPU (2.15.1 alone:
0.5 s of CPU, no wall time gained, at ~3 ms a request) -- and their imports are speculated on
as soon as the reads turn slow (a file host answers ~100 ms where its edge has not seen the
range yet). A read of a file a worker is already fetching waits for it; one
still queued is taken over by the reader. Answers never depend on it: a failed speculative fetch
is simply fetched again by the reader. ``TFINIT_AUDIT_NO_PREFETCH=1`` turns it off.

Plans (``plans.py``): when an analysis starts (``start_plan()``) on a tree with a plan book,
what the nearest release of its family read is fetched at once, in coalesced ranges (at most
``PLAN_CAP`` bytes); the imports of a file the plan covered are not speculated on (the plan
knows better), those of a file it missed are. Trees of one family read at the same time in one
process follow each other (``plans.LiveReads``). ``end_plan(ok)`` ends it when the analysis is
over: it records what this release read if the analysis succeeded, drops what is queued and
lets go of what was fetched ahead and not read (memory stays bounded over many releases).

No plan at all (a first run of the family): every Python file of each remote wheel none of whose
Python is cached is fetched at once in a few large requests and inflated only when read
(``_preload_python``, ``RemoteWheel.preload``); their imports are not speculated on.

What is fetched ahead goes into the cache only once the analysis reads it (the cache holds
what was used; a release that fails leaves no read-ahead behind). What reading ahead cost and
bought is in the stats: ``prefetched`` / ``prefetch_used`` files,
``prefetch_bytes`` (bytes of the range requests it made) and ``prefetch_used_bytes`` (the
archive bytes of the members it fetched that were then read): their ratio is its accuracy.
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import functools
import os
import threading
import weakref
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from typing import Any

from tfinit_audit.sources.base import Part
from tfinit_audit.sources.http import env_flag
from tfinit_audit.sources.imports import speculation_order
from tfinit_audit.sources.plans import LIVE, PlanBook, family_of

NO_PREFETCH_ENV = "TFINIT_AUDIT_NO_PREFETCH"
LATENCY_ENV = "TFINIT_AUDIT_PREFETCH_LATENCY"  # ms; read when a tree is made
SPEC_LATENCY = 0.025  # seconds: reads slower than this (2 of the last 3) are worth guessing at
SPEC_CAP = int(os.environ.get("TFINIT_AUDIT_PREFETCH_CAP", str(4 * 1024 * 1024)))
SPEC_DEPTH = int(os.environ.get("TFINIT_AUDIT_PREFETCH_DEPTH", "1"))
# Per tree. Requests are latency-bound (~120 ms each on the public host), so throughput comes
# from concurrency; up to 4 trees share the session's pool (http.MAX_CONNECTIONS).
SPEC_WORKERS = 8
SPEC_GAP = 8 * 1024  # members closer than this share one speculative request (gaps cost bytes)
SPEC_SPAN = 512 * 1024  # ...up to this many bytes (a reader may wait for a whole group)
PLAN_GAP = int(os.environ.get("TFINIT_AUDIT_PLAN_GAP", str(16 * 1024)))  # plans: likelier used
PLAN_SPAN = 1024 * 1024
PLAN_CAP = 32 * 1024 * 1024  # bytes of range requests a plan may make (a real one: 1-3 MB)
# No plan at all (a first run of the family): every Python file of a remote part is fetched
# at once in a few large requests (a TensorFlow wheel: 5-7 MB of Python in ~50 requests of
# members within PRELOAD_GAP of each other) and inflated only when read. Over PRELOAD_CAP bytes
# of requests for one part, nothing is preloaded (import speculation alone, as before).
PRELOAD_GAP = 64 * 1024
PRELOAD_SPAN = 2 * 1024 * 1024
PRELOAD_CAP = int(os.environ.get("TFINIT_AUDIT_PRELOAD_CAP", str(32 * 1024 * 1024)))


class _Job:
    """One speculative request: paths of one part fetched together (coalesced)."""

    __slots__ = ("part", "paths", "level", "started", "cost")

    def __init__(self, part: Part, paths: dict[str, str], level: int, cost: int = 0) -> None:
        self.part = part
        self.paths = paths  # import path -> part key
        self.level = level  # 0: from a plan; n: imports of a file n reads away from a read
        self.started = False
        self.cost = cost  # bytes of the range request (its members lie within one coalesced
        # group, which read_many's own coalescing keeps together)


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


_UNFLUSHED: weakref.WeakSet[ReadAhead] = weakref.WeakSet()  # trees with reads to cache


def _latency_from_env() -> float:
    raw = os.environ.get(LATENCY_ENV, "").strip()
    try:
        return max(0.0, float(raw) / 1000) if raw else SPEC_LATENCY
    except ValueError:
        return SPEC_LATENCY


@atexit.register
def _flush_at_exit() -> None:
    """The workers are daemon threads: what they have not cached yet is cached before exit."""
    for tree in list(_UNFLUSHED):
        with contextlib.suppress(Exception):
            tree.flush()


class ReadAhead:
    """The read-ahead state and logic of a CompositeTree (see the module docstring)."""

    # provided by the tree
    release: str
    _lock: threading.RLock
    _parts: list[Part]
    _owner: dict[str, Part]
    _text: dict[str, str | None]
    _read: set[str]

    def refresh_stats(self) -> Any: ...

    def _hit(self, path: str) -> tuple[Part, str] | None: ...

    def _init_readahead(self, speculate: bool | None, cap: int | None,
                        depth: int | None, latency: float | None = None) -> None:
        self.speculate = not env_flag(NO_PREFETCH_ENV) if speculate is None else speculate
        self.speculate_cap = SPEC_CAP if cap is None else cap
        self.speculate_depth = SPEC_DEPTH if depth is None else depth
        self.speculate_latency = _latency_from_env() if latency is None else latency
        self._latencies: collections.deque[float] = collections.deque(maxlen=3)
        self._held_back: list[tuple[str, bytes]] = []  # read while round trips were fast
        self._inflight: dict[str, tuple[Future[bytes], _Job | None]] = {}
        self._spec_data: dict[str, bytes] = {}  # fetched speculatively, not yet read
        self._spec_spent = 0  # bytes of speculative requests planned
        self._spec_seen: set[str] = set()  # paths ever scheduled speculatively
        self._scanned: set[str] = set()
        self._prefetched = 0  # files fetched speculatively
        self._prefetch_used = 0  # ...of which the analysis then read
        self._prefetch_bytes = 0  # bytes of the speculative range requests made
        self._prefetch_used_bytes = 0  # archive bytes of the prefetched members then read
        self._stretch: dict[str, int] = {}  # prefetched path -> its archive bytes
        self._workers: _Workers | None = None
        # plans
        self.plans: PlanBook | None = None
        self.family: str | None = None
        self.plan_from: str | None = None  # the release whose plan this tree replayed
        self.leader: str | None = None  # the release this tree follows (plans.LiveReads)
        self._plan_checked = False
        self._planned: set[str] = set()  # paths a plan fetched (or is fetching)
        self._order: list[str] = []  # files read (that exist), in the order first read
        self._plan_spent = 0  # bytes of range requests for plans
        self._followers: list[weakref.ref[ReadAhead]] = []  # trees fetching what this reads
        self._done = False  # the analysis of this tree is over (end_plan() was called)
        self._to_commit: list[tuple[Part, str]] = []  # read after fetched ahead: to cache
        self._commit_queued = False
        self._flush_lock = threading.Lock()

    def _family(self) -> str:
        if self.family is None:
            self.family = family_of([p.package.name for p in self._parts])
        return self.family

    def planned_bytes(self) -> int | None:
        """What the analysis of this tree is expected to read: the archive bytes of the files
        its own read plan lists (what an analysis of this release read before; a part that
        cannot say counts 1 a file); None when it has none -- a neighbour's plan is not taken:
        a release without its own goes in the order asked, after the neighbour whose plan it
        will replay. Fetches nothing: the run's scheduler orders releases by it
        (``workers.Chains.cost``)."""
        with self._lock:
            book = self.plans
            if book is None or not self._parts:
                return None
            family = self._family()
        try:
            paths = book.plans(family).get(self.release)
        except OSError:  # an unreadable cache entry: no plan
            return None
        if not paths:
            return None
        total = 0
        for path in paths:
            hit = self._hit(path)
            if hit is not None:
                stretch = getattr(hit[0], "stretch", None)
                total += stretch(hit[1]) if stretch is not None else 1
        return total

    def start_plan(self) -> None:
        """Fetch what the plan of this release's family says the analysis will read (the files
        of it this tree has and the cache has not), and follow the nearest release of the
        family being read in this process at the same time. Called when an analysis of the
        tree starts (once; later calls do nothing)."""
        with self._lock:
            if self._plan_checked:
                return
            self._plan_checked = True
            book = self.plans
            if book is None or not self.speculate or not self._parts:
                return
            family = self._family()
        try:
            plan = book.choose(family, self.release, self._owner.__contains__)
        except OSError:  # an unreadable cache entry: no plan
            plan = None
        if plan is not None:
            self.plan_from = plan.release
            self._fetch_planned(plan.paths)
        else:
            self._preload_python()
        if plan is None or plan.release != self.release:
            LIVE.join(self)

    def _preload_python(self) -> None:
        """No plan to go by: fetch every Python file of each remote part that can preload, in
        a few large requests, inflated only when read (``RemoteWheel.preload``). On a fast
        file host a first cold analysis otherwise waits on ~150 small requests one after
        another (a few ms each, ~1 ms of CPU each); one bytes-heavy request costs less than
        that and the archive bytes of a wheel's Python are a few MB. Their imports are not
        speculated on (they are all coming)."""
        batch: list[Callable[[], None]] = []
        for part in list(self._parts):
            preload = getattr(part, "preload", None)
            if preload is None or not self._can_speculate(part):
                continue
            keys = {k: p for p, k in part.paths().items() if p.endswith(".py")}
            jobs = preload(list(keys), PRELOAD_GAP, PRELOAD_SPAN, PRELOAD_CAP)
            if jobs:
                with self._lock:
                    self._planned.update(keys.values())
                batch.extend(jobs)
        if not batch:
            return
        with self._lock:
            if self._workers is None:
                self._workers = _Workers(SPEC_WORKERS)
            workers = self._workers
        workers.submit(batch)

    def _fetch_planned(self, paths: Iterable[str]) -> None:
        """Fetch ``paths`` ahead of the analysis (those this tree has, not read, fetched or
        cached yet), in coalesced ranges, first paths first; within ``PLAN_CAP``."""
        per_part: dict[int, tuple[Part, dict[str, str]]] = {}
        with self._lock:
            if self._done:
                return
            for path in paths:
                hit = self._hit(path)
                if hit is None or path in self._read or path in self._spec_seen \
                        or path in self._inflight:
                    continue
                part, key = hit
                if self._can_speculate(part) and not self._part_is_cached(part, key):
                    per_part.setdefault(id(part), (part, {}))[1][key] = path
        jobs: list[tuple[int, Part, list[str], int, dict[str, str]]] = []
        for part, by_key in per_part.values():
            plan_fn: Callable[..., list[tuple[list[str], int]]] | None = getattr(part, "plan",
                                                                                  None)
            groups = (plan_fn(list(by_key), PLAN_GAP, PLAN_SPAN) if plan_fn is not None
                      else [([k], 0) for k in by_key])
            order = {k: i for i, k in enumerate(by_key)}
            for keys, cost in groups:
                jobs.append((min(order[k] for k in keys), part, keys, cost, by_key))
        jobs.sort(key=lambda j: j[0])
        batch: list[Callable[[], None]] = []
        with self._lock:
            for _, part, keys, cost, by_key in jobs:
                if self._plan_spent + cost > PLAN_CAP:
                    break
                todo = {by_key[k]: k for k in keys if by_key[k] not in self._inflight
                        and by_key[k] not in self._read and by_key[k] not in self._spec_seen}
                if not todo:
                    continue
                self._plan_spent += cost
                self._planned.update(todo)
                batch.append(self._schedule(_Job(part, todo, 0, cost)))
            if batch and self._workers is None:
                self._workers = _Workers(SPEC_WORKERS)
            workers = self._workers
        if batch and workers is not None:
            # the workers take the newest batch first, from its front: the plan's first files
            # are what the analysis reads first
            workers.submit(batch)

    def _tell_followers(self, path: str) -> None:
        """A file this tree read for the first time: the trees following it fetch it too."""
        for ref in list(self._followers):
            peer = ref()
            if peer is None or peer._done:
                self._followers.remove(ref)
                continue
            peer._fetch_planned([path])

    def end_plan(self, ok: bool) -> None:
        """The analysis of this tree is over: if it succeeded (``ok``), record what it read as
        its family's plan (a failed release records nothing). Either way the read-ahead stops:
        queued fetches are dropped, what was fetched ahead and not read and the decoded texts
        are let go, and trees following this one stop. Reads after this still work (from the
        cache or the network)."""
        with self._lock:
            self._done = True
            order = list(self._order)
            self._held_back.clear()
            self._spec_data.clear()
            self._text.clear()  # decoded texts: read again (from the cache) if asked again
            dropped = [(p, e[0]) for p, e in self._inflight.items()
                       if e[1] is not None and not e[1].started]
            for p, _ in dropped:
                del self._inflight[p]
        for _, fut in dropped:  # anyone waiting fetches it itself
            fut.set_exception(KeyError("read-ahead stopped"))
        self._flush_commits()  # what was read is cached before the rest is let go
        for part in self._parts:  # fetched ahead and never read: not cached
            forget = getattr(part, "forget", None)
            if forget is not None:
                forget()
        if ok and self.plans is not None and order:
            with contextlib.suppress(OSError):  # a read-only or full cache: no plan, no failure
                self.plans.record(self._family(), self.release, order)

    def _can_speculate(self, part: Part) -> bool:
        return self.speculate and bool(getattr(part, "speculative", False))

    @staticmethod
    def _part_is_cached(part: Part, key: str) -> bool:
        is_cached = getattr(part, "is_cached", None)
        return bool(is_cached(key)) if is_cached is not None else False

    def _slow(self) -> bool:
        """Round trips are slow enough to guess at (under the lock): two of the last three
        reads took ``speculate_latency`` or more (one alone may be a first read's one-time
        cost: a connection, the member table); ``speculate_latency`` 0: always."""
        if self.speculate_latency <= 0:
            return True
        return sum(t >= self.speculate_latency for t in self._latencies) >= 2

    def _timed_read(self, seconds: float) -> None:
        """The analysis waited ``seconds`` for one file over the network: when that makes
        round trips slow, the imports of the files read meanwhile are speculated on now."""
        with self._lock:
            was = self._slow()
            self._latencies.append(seconds)
            if was or not self._slow() or self._done:
                return
            replay, self._held_back = self._held_back, []
        for path, data in replay:  # in the order read: the last one's imports go first
            self._speculate_from(path, data, 1)

    def _speculate_from(self, path: str, data: bytes, level: int) -> None:
        """Schedule background fetches of the files ``path``'s imports load."""
        if level > self.speculate_depth or not path.endswith(".py") or not self.speculate:
            return
        with self._lock:
            if level == 1 and not self._slow():
                if not self._done and path not in self._scanned:
                    self._held_back.append((path, data))
                return
            if path in self._scanned or self._spec_spent >= self.speculate_cap or self._done:
                return
            self._scanned.add(path)
        owner = self._owner
        text = data.decode("utf-8", "replace")
        cands = speculation_order(text, path, owner.__contains__)
        per_part: dict[int, tuple[Part, dict[str, str]]] = {}
        rank = {p: i for i, p in reversed(list(enumerate(cands)))}
        promote: dict[int, _Job] = {}  # queued by an earlier scan: move up to this batch
        for p in cands:
            hit = self._hit(p)
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
                batch.append(self._schedule(_Job(part, paths, level, cost)))
            if batch and self._workers is None:
                self._workers = _Workers(SPEC_WORKERS)
            workers = self._workers
        if batch and workers is not None:
            workers.submit(batch)

    def _schedule(self, job: _Job) -> Callable[[], None]:
        """Mark ``job``'s paths in flight (under the lock); the callable runs it."""
        stretch = getattr(job.part, "stretch", None)
        for p, k in job.paths.items():
            self._inflight[p] = (Future(), job)
            self._spec_seen.add(p)
            if stretch is not None:
                self._stretch[p] = stretch(k)
        return functools.partial(self._run_job, job)

    def _run_job(self, job: _Job) -> None:
        stale: list[Future[bytes]] = []
        with self._lock:
            if job.started:
                return
            job.started = True
            items = dict(job.paths)
            if self._done:  # the read-ahead stopped: whoever waits fetches it itself
                stale = [self._inflight.pop(p)[0] for p in items
                         if self._inflight.get(p, (None, None))[1] is job]
                items = {}
        for fut in stale:
            fut.set_exception(KeyError("read-ahead stopped"))
        if not items:
            return
        got: dict[str, bytes] = {}
        err: BaseException | None = None
        # a part that can hold back what it fetched ahead stores it only once it is read
        read = getattr(job.part, "read_ahead", job.part.read_many)
        try:
            got = read(list(items.values()))
        except BaseException as exc:  # noqa: BLE001 - handed to any waiting reader
            err = exc
        done: list[tuple[Future[bytes], bytes | None]] = []
        with self._lock:
            if got:
                self._prefetch_bytes += job.cost
            for p, k in items.items():
                entry = self._inflight.get(p)
                data = got.get(k)
                if data is not None:
                    self._prefetched += 1
                    if not self._done:
                        self._spec_data[p] = data
                if entry is not None and entry[1] is job:
                    del self._inflight[p]
                    done.append((entry[0], data))
        for fut, data in done:
            if data is not None:
                fut.set_result(data)
            else:
                fut.set_exception(err or KeyError("not fetched"))
        self.refresh_stats()
        if job.level:  # a plan's files are read or not; their imports are not guessed at
            for p, k in items.items():
                data = got.get(k)
                if data is not None:
                    self._speculate_from(p, data, job.level + 1)

    def _used(self, path: str) -> None:
        """A prefetched file was read (under the lock)."""
        self._prefetch_used += 1
        self._prefetch_used_bytes += self._stretch.get(path, 0)

    def _commit(self, part: Part, key: str) -> None:
        """A file fetched ahead was read: now it goes into the cache -- written by a worker,
        not by the reader (a write gives the GIL away, and the analysis thread may wait long
        to get it back while the other releases' threads compute)."""
        if getattr(part, "commit", None) is None:
            return
        with self._lock:
            self._to_commit.append((part, key))
            _UNFLUSHED.add(self)
            if self._commit_queued:
                return
            self._commit_queued = True
            if self._workers is None:
                self._workers = _Workers(SPEC_WORKERS)
            workers = self._workers
        workers.submit([self._flush_commits])

    def flush(self) -> None:
        """Cache now what was read after being fetched ahead (the workers do it soon anyway;
        this waits for it: at the end of an analysis, at exit)."""
        self._flush_commits()

    def _flush_commits(self) -> None:
        _UNFLUSHED.discard(self)
        with self._flush_lock:
            with self._lock:
                todo, self._to_commit = self._to_commit, []
                self._commit_queued = False
            for part, key in todo:
                with contextlib.suppress(OSError):  # a full disk: not cached, no failure
                    part.commit(key)  # type: ignore[attr-defined]
