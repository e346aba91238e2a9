"""One shared HTTP session: keep-alive, retries with backoff on 5xx/connection errors, timeouts.

All network access of the fetch stage goes through ``Http`` so that connection reuse, retry
policy, timeouts and request/byte accounting are the same everywhere.
"""

from __future__ import annotations

import functools
import os
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests import certs
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util.retry import Retry

from tfinit_audit._version import __version__
from tfinit_audit.errors import FetchError
from tfinit_audit.sources import limits

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
# Failures worth another try: connection trouble and bodies that break off mid-way.
RETRYABLE = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
             requests.exceptions.ContentDecodingError)


# Per host; requests beyond wait for a free keep-alive connection. Sized for up to 4 releases
# at once, each with its reader and a few speculative prefetch workers (composite.py).
MAX_CONNECTIONS = 24


def _ca_bundle() -> str:
    """The CA bundle requests itself would use (same environment variables, same order)."""
    return (os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
            or str(certs.where()))  # type: ignore[attr-defined]


@functools.lru_cache(maxsize=4)
def _tls_context(bundle: str) -> ssl.SSLContext:
    """One TLS context with the CA bundle loaded once: by default every new connection loads
    the bundle again, ~0.4 s of CPU each on a busy 2-core machine (10 connections a run)."""
    if os.path.isdir(bundle):
        return ssl.create_default_context(capath=bundle)
    return ssl.create_default_context(cafile=bundle)


# --------------------------------------------------------------------------------------------
# Deadlines: one request, from sending it to the last byte of its answer
# --------------------------------------------------------------------------------------------
class _Deadline:
    """The deadline of the request the current thread is making. Socket timeouts bound each
    single read only, so a server that sends one byte every few seconds (slow-loris) would hold
    a read for ever; the connections below arm a timer for this deadline that shuts their
    socket down, which ends any read still blocked on it."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.fired = False
        self.timers: list[threading.Timer] = []

    def arm(self, conn: HTTPConnection) -> None:
        def expire() -> None:
            self.fired = True
            sock = getattr(conn, "sock", None)
            if sock is not None:
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

        timer = threading.Timer(max(0.0, self.at - time.monotonic()), expire)
        timer.daemon = True
        self.timers.append(timer)
        timer.start()

    def cancel(self) -> None:
        for t in self.timers:
            t.cancel()


_ACTIVE = threading.local()


@contextmanager
def _deadline(seconds: float) -> Iterator[_Deadline]:
    """Every connection the current thread uses inside this block is shut at the deadline."""
    state = _Deadline(seconds)
    outer = getattr(_ACTIVE, "state", None)
    _ACTIVE.state = state
    try:
        yield state
    finally:
        state.cancel()
        _ACTIVE.state = outer


class _WatchedHTTPConnection(HTTPConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        state: _Deadline | None = getattr(_ACTIVE, "state", None)
        if state is not None:
            state.arm(self)
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(HTTPSConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        state: _Deadline | None = getattr(_ACTIVE, "state", None)
        if state is not None:
            state.arm(self)
        super().request(*args, **kwargs)


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _Session(requests.Session):
    """A session that follows at most ``limits.REDIRECTS`` redirects and never one from https
    down to plain http, and reads the proxy settings of the environment once per host.

    Why the latter: requests looks at every environment variable again for each request
    (``getproxies_environment``), ~1 ms of CPU per request on the GIL that the analysis
    threads need; a cold audit makes hundreds of range requests to one or two hosts."""

    def __init__(self) -> None:
        super().__init__()
        self._env_memo: dict[tuple[Any, ...], Any] = {}

    def merge_environment_settings(
        self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> Any:
        if proxies or not isinstance(url, str) \
                or not isinstance(verify, bool | str | type(None)) \
                or not isinstance(cert, str | tuple | type(None)):
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc, stream, verify, cert)
        hit = self._env_memo.get(key)
        if hit is None:
            hit = super().merge_environment_settings(url, {}, stream, verify, cert)
            self._env_memo[key] = hit
        return {**hit, "proxies": dict(hit["proxies"] or {})}

    def get_redirect_target(self, resp: requests.Response) -> str | None:
        target = super().get_redirect_target(resp)
        if target and resp.url.lower().startswith("https:"):
            nxt = urljoin(resp.url, target)
            if nxt.lower().startswith("http:"):
                raise requests.exceptions.InvalidURL(
                    f"refused a redirect from https down to plain http ({nxt[:120]})"
                )
        return target


class _SharedTLSAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        self._bundle = _ca_bundle()
        kwargs["ssl_context"] = _tls_context(self._bundle)
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _WatchedHTTPPool,
                                                   "https": _WatchedHTTPSPool}

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        super().cert_verify(conn, url, verify, cert)
        if url.lower().startswith("https") and (verify is True or verify == self._bundle):
            conn.ca_certs = None  # already in the shared context; do not load them again
            conn.ca_cert_dir = None


def make_session(
    *, retries: int = 4, backoff: float = 0.25, pool: int = MAX_CONNECTIONS,
    token: str | None = None,
) -> requests.Session:
    """A session whose adapter retries idempotent requests on 5xx and connection errors, and
    follows at most ``limits.REDIRECTS`` redirects."""
    session = _Session()
    session.max_redirects = int(limits.REDIRECTS.value)
    retry = Retry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        backoff_factor=backoff,
        backoff_max=4.0,
        status_forcelist=(500, 502, 503, 504),
        allowed_methods=frozenset({"GET", "HEAD"}),
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    # pool_block: never open (and throw away) more connections than the pool keeps, so every
    # TLS handshake is paid once and the connections are reused.
    adapter = _SharedTLSAdapter(max_retries=retry, pool_connections=pool, pool_maxsize=pool,
                                pool_block=True)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    if token:
        session.headers["Authorization"] = f"Bearer {token}"
    return session


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
        self.session = session or make_session(backoff=backoff)
        self.timeout = timeout
        self.backoff = backoff
        self.deadline = deadline if deadline is not None else limits.DEADLINE.value
        self.max_answer = max_answer if max_answer is not None else int(limits.ANSWER.value)

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
        cap = self.max_answer if max_bytes is None else max_bytes
        last: Exception | None = None
        for attempt in range(BODY_ATTEMPTS):
            with _deadline(self.deadline) as dl:
                try:
                    res = self.session.get(url, headers=headers, timeout=self.timeout,
                                           stream=True)
                    with res:
                        res._content = _read_body(res, cap, what or url, "answer")
                        res._content_consumed = True  # type: ignore[attr-defined]
                    _check_in_time(dl)  # a socket shut mid-headers reads as an empty answer
                except RETRYABLE as exc:
                    if dl.fired:
                        raise self._too_slow(what or url) from exc
                    last = exc
                    self._sleep(attempt)
                    continue
                except requests.RequestException as exc:
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
        want = end - start + 1
        if counter is not None:
            counter.spend(want)
        last: str = ""
        for attempt in range(BODY_ATTEMPTS):
            with _deadline(self.deadline) as dl:
                try:
                    res = self.session.get(
                        url,
                        headers={"Range": f"bytes={start}-{end}", "Accept-Encoding": "identity"},
                        timeout=self.timeout, stream=True,
                    )
                    with res:  # closed unread unless 206: a 200 may be the whole wheel
                        _check_in_time(dl)  # headers cut short by the deadline look like a 200
                        if res.status_code == 200 or res.status_code in (416, 501):
                            raise RangeNotHonoured(f"HTTP {res.status_code} for a Range request")
                        if res.status_code != 206:
                            raise FetchError(f"cannot fetch {what or url}: HTTP "
                                             f"{res.status_code}")
                        # the whole body is read (never more than asked), so the connection
                        # goes back to the pool for the next request (keep-alive)
                        data = _read_body(res, want, what or url, "range", exact=True)
                    _check_in_time(dl)
                except RETRYABLE as exc:
                    if dl.fired:
                        raise self._too_slow(what or url) from exc
                    last = _short(exc)
                    if counter is not None:
                        counter.add(1, 0)
                    self._sleep(attempt)
                    continue
                except requests.RequestException as exc:
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
        with _deadline(self.deadline) as dl:
            try:
                res = self.session.head(url, timeout=self.timeout, allow_redirects=True)
                _check_in_time(dl)
            except requests.RequestException as exc:
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
        size = min(expected or max_bytes, max_bytes)
        with _deadline(self.deadline + size / limits.DOWNLOAD_MIN_RATE) as dl:
            try:
                done = self._stream(url, write, max_bytes, counter, progress, what)
                _check_in_time(dl)
                return done
            except (FetchError, _TooSlow) as exc:
                if dl.fired:
                    raise self._too_slow(what or url, dl.seconds) from exc
                raise

    def _stream(
        self, url: str, write: Callable[[bytes], object], max_bytes: int,
        counter: Counter | None, progress: Callable[[int, int | None], None] | None, what: str,
    ) -> int:
        try:
            res = self.session.get(url, timeout=self.timeout, stream=True)
        except requests.RequestException as exc:
            raise FetchError(f"cannot fetch {what or url}: {_short(exc)}") from exc
        with res:
            if _ACTIVE.state is not None and _ACTIVE.state.fired:
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
            except requests.RequestException as exc:
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


class _TooSlow(requests.ConnectionError):
    """The deadline's timer shut the connection; Http turns it into one OverBound line."""


def _check_in_time(dl: _Deadline) -> None:
    """Raise when the deadline fired during the request: the answer may look complete (a socket
    shut between header lines reads as the end of the headers) but is not to be trusted."""
    if dl.fired:
        raise _TooSlow("deadline")


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
