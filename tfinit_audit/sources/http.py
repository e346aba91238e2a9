"""One shared HTTP session: keep-alive, retries with backoff on 5xx/connection errors, timeouts.

All network access of the fetch stage goes through ``Http`` so that connection reuse, retry
policy, timeouts and request/byte accounting are the same everywhere. The transport under it
(``transport.py``: ``requests``, ``urllib3``) is imported on the first request only.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tfinit_audit._version import __version__
from tfinit_audit.errors import FetchError
from tfinit_audit.sources import limits

if TYPE_CHECKING:
    import requests

USER_AGENT = f"tfinit-audit/{__version__} (+https://pypi.org/project/tfinit-audit/)"
DEFAULT_TIMEOUT = (10.0, 60.0)  # (connect, read) seconds
BODY_ATTEMPTS = 3  # tries for bodies that break off mid-way (urllib3 covers status/connect)


class RangeNotHonoured(Exception):
    """The server answered a Range request with the whole file (200) or refused it."""


class OverBound(FetchError):
    """An answer, a member or a release went over one of the bounds in ``limits``; never
    retried, and nothing of it is cached."""


@dataclass
class Counter:
    """Requests and bytes sent over the wire, for the FetchStats of a release; ``budget`` bounds
    the bytes its range requests may ask for (``limits.RELEASE_BYTES``; None: no bound)."""

    requests: int = 0
    bytes: int = 0
    budget: int | None = None
    what: str = ""  # the release, for the message when the budget runs out
    asked: int = field(default=0, repr=False)  # bytes range requests asked for so far

    def add(self, requests: int, nbytes: int) -> None:
        with _COUNTER_LOCK:
            self.requests += requests
            self.bytes += nbytes

    def spend(self, nbytes: int) -> None:
        """Reserve ``nbytes`` of the budget before asking for them; OverBound when it is out."""
        with _COUNTER_LOCK:
            if self.budget is not None and self.asked + nbytes > self.budget:
                raise OverBound(
                    f"{self.what or 'this release'} needs more than "
                    f"{limits.human(self.budget)} of range requests (bound "
                    f"{limits.RELEASE_BYTES.env})"
                )
            self.asked += nbytes


def release_counter(what: str) -> Counter:
    """The counter of one release tree, with the per-release byte budget."""
    return Counter(budget=int(limits.RELEASE_BYTES.value), what=what)


_COUNTER_LOCK = threading.Lock()
def make_session(
    *, retries: int = 4, backoff: float = 0.25, pool: int | None = None,
    token: str | None = None,
) -> requests.Session:
    """A session whose adapter retries idempotent requests on 5xx and connection errors, and
    follows at most ``limits.REDIRECTS`` redirects (``transport.make_session``)."""
    from tfinit_audit.sources import transport

    return transport.make_session(user_agent=USER_AGENT, retries=retries, backoff=backoff,
                                  pool=transport.MAX_CONNECTIONS if pool is None else pool,
                                  token=token)


class Http:
    """Thin wrapper over one ``requests.Session`` with timeouts, bounds and precise errors.

    Every request ends by ``deadline`` seconds after it starts (``limits.DEADLINE``), answers
    are read up to a bound of bytes (``limits.ANSWER``, or the range asked for) and never
    further; going over either fails with OverBound (not retried)."""

    def __init__(
        self,
        session: requests.Session | None = None,
        *,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        backoff: float = 0.25,
        deadline: float | None = None,
        max_answer: int | None = None,
    ) -> None:
        self._session = session  # made on first use: a run served from the cache needs none
        self.timeout = timeout
        self.backoff = backoff
        self.deadline = deadline if deadline is not None else limits.DEADLINE.value
        self.max_answer = max_answer if max_answer is not None else int(limits.ANSWER.value)

    @property
    def session(self) -> requests.Session:
        if self._session is None:
            self._session = make_session(backoff=self.backoff)
        return self._session

    # -- plain GET ---------------------------------------------------------------------------
    def get(
        self,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        counter: Counter | None = None,
        what: str = "",
        max_bytes: int | None = None,
    ) -> requests.Response:
        """GET ``url`` into memory (at most ``max_bytes``, default ``limits.ANSWER``); raises
        FetchError with one clear line on failure."""
        from tfinit_audit.sources import transport as t

        cap = self.max_answer if max_bytes is None else max_bytes
        last: Exception | None = None
        for attempt in range(BODY_ATTEMPTS):
            with t.deadline(self.deadline) as dl:
                try:
                    res = self.session.get(url, headers=headers, timeout=self.timeout,
                                           stream=True)
                    with res:
                        res._content = _read_body(res, cap, what or url, "answer")
                        res._content_consumed = True  # type: ignore[attr-defined]
                    t.check_in_time(dl)  # a socket shut mid-headers reads as an empty answer
                except t.RETRYABLE as exc:
                    if dl.fired:
                        raise self._too_slow(what or url) from exc
                    last = exc
                    self._sleep(attempt)
                    continue
                except t.RequestException as exc:
                    if dl.fired:
                        raise self._too_slow(what or url) from exc
                    raise FetchError(f"cannot fetch {what or url}: {_short(exc)}") from exc
            if counter is not None:
                counter.add(1, len(res.content))
            if res.status_code >= 500:
                raise FetchError(f"cannot fetch {what or url}: HTTP {res.status_code} (retried)")
            return res
        raise FetchError(f"cannot fetch {what or url}: {_short(last)}")

    # -- explicit byte ranges --------------------------------------------------------------
    def get_range(
        self, url: str, start: int, end: int, *, counter: Counter | None = None, what: str = ""
    ) -> bytes:
        """Bytes ``start..end`` (inclusive) of ``url`` with an explicit Range header.

        Raises RangeNotHonoured when the server ignores the header (200) or refuses it
        (416/501), FetchError when the body stays short after retries, OverBound when the
        release's byte budget is spent or the server sends more than asked.
        """
        from tfinit_audit.sources import transport as t

        want = end - start + 1
        if counter is not None:
            counter.spend(want)
        last: str = ""
        for attempt in range(BODY_ATTEMPTS):
            with t.deadline(self.deadline) as dl:
                try:
                    res = self.session.get(
                        url,
                        headers={"Range": f"bytes={start}-{end}", "Accept-Encoding": "identity"},
                        timeout=self.timeout, stream=True,
                    )
                    with res:  # closed unread unless 206: a 200 may be the whole wheel
                        t.check_in_time(dl)  # headers cut short by the deadline look like a 200
                        if res.status_code == 200 or res.status_code in (416, 501):
                            raise RangeNotHonoured(f"HTTP {res.status_code} for a Range request")
                        if res.status_code != 206:
                            raise FetchError(f"cannot fetch {what or url}: HTTP "
                                             f"{res.status_code}")
                        # the whole body is read (never more than asked), so the connection
                        # goes back to the pool for the next request (keep-alive)
                        data = _read_body(res, want, what or url, "range", exact=True)
                    t.check_in_time(dl)
                except t.RETRYABLE as exc:
                    if dl.fired:
                        raise self._too_slow(what or url) from exc
                    last = _short(exc)
                    if counter is not None:
                        counter.add(1, 0)
                    self._sleep(attempt)
                    continue
                except t.RequestException as exc:
                    if dl.fired:
                        raise self._too_slow(what or url) from exc
                    raise FetchError(f"cannot fetch {what or url}: {_short(exc)}") from exc
            if counter is not None:
                counter.add(1, len(data))
            crange = res.headers.get("Content-Range", "")
            if not crange.startswith(f"bytes {start}-"):
                raise RangeNotHonoured(f"unexpected Content-Range {crange!r}")
            if len(data) == want:
                return data
            last = f"truncated body: got {len(data)} of {want} bytes"
            self._sleep(attempt)
        raise FetchError(f"cannot fetch {what or url}: {last}")

    def head_size(self, url: str, *, counter: Counter | None = None) -> int | None:
        """Content-Length from a HEAD request, None if the server does not say."""
        from tfinit_audit.sources import transport as t

        with t.deadline(self.deadline) as dl:
            try:
                res = self.session.head(url, timeout=self.timeout, allow_redirects=True)
                t.check_in_time(dl)
            except t.RequestException as exc:
                if dl.fired:
                    raise self._too_slow(url) from exc
                raise FetchError(f"cannot reach {url}: {_short(exc)}") from exc
        if counter is not None:
            counter.add(1, 0)
        if res.status_code >= 400:
            raise FetchError(f"cannot fetch {url}: HTTP {res.status_code}")
        length = res.headers.get("Content-Length")
        return int(length) if length and length.isdigit() else None

    # -- whole file, streamed --------------------------------------------------------------
    def stream_to(
        self,
        url: str,
        write: Callable[[bytes], object],
        *,
        max_bytes: int,
        counter: Counter | None = None,
        progress: Callable[[int, int | None], None] | None = None,
        what: str = "",
        expected: int | None = None,
    ) -> int:
        """Stream ``url`` into ``write``; stops with FetchError beyond ``max_bytes``. The
        deadline grows with the size (``expected`` if known, else ``max_bytes``) at
        ``limits.DOWNLOAD_MIN_RATE``."""
        from tfinit_audit.sources import transport as t

        size = min(expected or max_bytes, max_bytes)
        with t.deadline(self.deadline + size / limits.DOWNLOAD_MIN_RATE) as dl:
            try:
                done = self._stream(url, write, max_bytes, counter, progress, what)
                t.check_in_time(dl)
                return done
            except (FetchError, t.TooSlow) as exc:
                if dl.fired:
                    raise self._too_slow(what or url, dl.seconds) from exc
                raise

    def _stream(
        self, url: str, write: Callable[[bytes], object], max_bytes: int,
        counter: Counter | None, progress: Callable[[int, int | None], None] | None, what: str,
    ) -> int:
        from tfinit_audit.sources import transport as t

        try:
            res = self.session.get(url, timeout=self.timeout, stream=True)
        except t.RequestException as exc:
            raise FetchError(f"cannot fetch {what or url}: {_short(exc)}") from exc
        with res:
            state = getattr(t.ACTIVE, "state", None)
            if state is not None and state.fired:
                raise FetchError(f"cannot fetch {what or url}: no complete answer in time")
            if res.status_code != 200:
                raise FetchError(f"cannot fetch {what or url}: HTTP {res.status_code}")
            total_hdr = res.headers.get("Content-Length")
            total = int(total_hdr) if total_hdr and total_hdr.isdigit() else None
            if total is not None and total > max_bytes:
                raise OverBound(
                    f"{what or url} is {total} bytes, over the download cap of {max_bytes} bytes"
                )
            done = 0
            try:
                for chunk in _chunks(res):
                    done += len(chunk)
                    if done > max_bytes:
                        raise OverBound(
                            f"{what or url} exceeds the download cap of {max_bytes} bytes"
                        )
                    write(chunk)
                    if progress is not None:
                        progress(done, total)
            except t.RequestException as exc:
                raise FetchError(f"download of {what or url} broke off: {_short(exc)}") from exc
        if counter is not None:
            counter.add(1, done)
        if total is not None and done != total:
            raise FetchError(f"download of {what or url} truncated: {done} of {total} bytes")
        return done

    def _too_slow(self, what: str, seconds: float | None = None) -> OverBound:
        s = self.deadline if seconds is None else seconds
        return OverBound(f"{what}: no complete answer within {s:g} s (bound "
                         f"{limits.DEADLINE.env}); the server is too slow or stalls")

    def _sleep(self, attempt: int) -> None:
        time.sleep(min(4.0, self.backoff * (2**attempt)))


def _read_body(res: requests.Response, cap: int, what: str, kind: str, *,
               exact: bool = False) -> bytes:
    """The body of a streamed response, but never more than ``cap`` bytes (OverBound beyond,
    after reading at most one chunk more). ``exact``: ``cap`` is the size asked for (a range);
    a longer answer is a server fault, not a large file."""
    length = res.headers.get("Content-Length")
    if length and length.isdigit() and int(length) > cap:
        raise _over(what, kind, int(length), cap, exact)
    parts: list[bytes] = []
    got = 0
    for chunk in res.iter_content(chunk_size=64 * 1024):
        got += len(chunk)
        if got > cap:
            raise _over(what, kind, None, cap, exact)
        parts.append(chunk)
    return b"".join(parts)


def _over(what: str, kind: str, length: int | None, cap: int, exact: bool) -> OverBound:
    if exact:
        return OverBound(f"cannot fetch {what}: more bytes than the range asked ({cap})")
    size = f" of {length} bytes" if length is not None else ""
    return OverBound(f"{what}: {kind}{size} is over the {limits.human(cap)} bound "
                     f"({limits.ANSWER.env})")


def _chunks(res: requests.Response) -> Iterator[bytes]:
    yield from res.iter_content(chunk_size=1 << 20)


def _short(exc: BaseException | None) -> str:
    """First line of an exception, without urllib3's long object reprs."""
    if exc is None:
        return "unknown error"
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "Max retries exceeded" in text:
        reason = text.split("(Caused by ", 1)[-1].rstrip(")")
        return f"connection failed ({reason[:160]})"
    return text[:240]


def env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")
