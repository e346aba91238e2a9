"""Stretches of a wheel fetched ahead of the reads of their members (``RemoteWheel.preload``).

Each stretch is one range request, kept as fetched (the members' deflate streams and whatever
lies between them) until the wheel lets go of them; a member read meanwhile is cut out of its
stretch, then inflated and checked by the wheel. A read waits for a stretch whose request has
started; one not started yet is left to the reader (it fetches the member on its own)."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable


class Span:
    """One stretch ``start..end`` (end exclusive) of the archive."""

    __slots__ = ("start", "end", "data", "started", "done")

    def __init__(self, start: int, end: int) -> None:
        self.start, self.end = start, end
        self.data: bytes | None = None  # None until fetched, or when the fetch failed
        self.started = False
        self.done = threading.Event()

    def holds(self, start: int, end: int) -> bool:
        return self.start <= start and end <= self.end


class Spans:
    """The stretches of one wheel fetched ahead, and what they cost and served: ``counts`` is
    [members planned, bytes fetched, members served, their archive bytes]."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._spans: list[Span] = []
        self.counts = [0, 0, 0, 0]

    def __len__(self) -> int:
        return len(self._spans)

    def add(self, stretches: list[tuple[int, int]], members: int,
            get: Callable[[int, int], bytes]) -> list[Callable[[], None]]:
        """Plan ``stretches`` (holding ``members`` members); one callable per stretch fetches
        it with ``get(start, end)``."""
        spans = [Span(a, b) for a, b in stretches]
        with self._lock:
            self._spans.extend(spans)
            self.counts[0] += members
        return [functools.partial(self._fetch, sp, get) for sp in spans]

    def _fetch(self, sp: Span, get: Callable[[int, int], bytes]) -> None:
        with self._lock:
            if sp.started or sp not in self._spans:  # let go of (clear) before it ran
                sp.done.set()
                return
            sp.started = True
        try:
            sp.data = get(sp.start, sp.end)
            with self._lock:
                self.counts[1] += sp.end - sp.start
        except Exception:  # noqa: BLE001 - its members are fetched on their own when read
            sp.data = None
        finally:
            sp.done.set()

    def raw(self, start: int, end: int, timeout: float) -> bytes | None:
        """The archive's bytes ``start..end`` from a stretch whose request has started (waiting
        up to ``timeout`` seconds for it), or None."""
        if not self._spans:
            return None
        with self._lock:
            sp = next((x for x in self._spans if x.started and x.holds(start, end)), None)
        if sp is None or not sp.done.wait(timeout) or sp.data is None:
            return None
        return sp.data[start - sp.start : end - sp.start]

    def served(self, nbytes: int) -> None:
        """A member of ``nbytes`` archive bytes was read from a stretch."""
        with self._lock:
            self.counts[2] += 1
            self.counts[3] += nbytes

    def settled(self) -> bool:
        """No request planned is still to run or running."""
        with self._lock:
            return all(sp.done.is_set() for sp in self._spans)

    def clear(self) -> None:
        """Let go of every stretch (a request not run yet is not run)."""
        with self._lock:
            self._spans.clear()
