"""The HTTP transport under ``http.Http``: a ``requests`` session with keep-alive, retries with
backoff on 5xx/connection errors, one shared TLS context, at most ``limits.REDIRECTS``
redirects (never from https down to plain http), and a deadline per request that shuts a
connection whose answer does not end in time.

Imported on the first request only (``requests`` and ``urllib3`` take ~0.1 s to import): a run
served from the cache makes none.
"""

from __future__ import annotations

import heapq
import os
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests import certs
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util.retry import Retry

from tfinit_audit.sources import limits

RequestException = requests.RequestException

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


_TLS_CONTEXTS: dict[str, ssl.SSLContext] = {}  # CA bundle -> the process's one context
_TLS_LOCK = threading.Lock()


def _tls_context(bundle: str) -> ssl.SSLContext:
    """One TLS context a process with the CA bundle loaded once: by default every new
    connection loads the bundle again, ~0.4 s of CPU each on a busy 2-core machine (10
    connections a run). Made under a lock: the read-ahead threads of a fresh worker open their
    first connections at the same moment, and each made its own (a cold ``all``: 330 contexts
    in 52 processes, 11 s of CPU)."""
    ctx = _TLS_CONTEXTS.get(bundle)
    if ctx is not None:
        return ctx
    with _TLS_LOCK:
        ctx = _TLS_CONTEXTS.get(bundle)
        if ctx is None:
            ctx = ssl.create_default_context(capath=bundle) if os.path.isdir(bundle) \
                else ssl.create_default_context(cafile=bundle)
            _TLS_CONTEXTS[bundle] = ctx
        return ctx


def _reset_tls_lock() -> None:
    """After a fork: a lock another thread of the parent held would never be released."""
    global _TLS_LOCK
    _TLS_LOCK = threading.Lock()


os.register_at_fork(after_in_child=_reset_tls_lock)


def warm_tls() -> None:
    """Make the TLS context of this environment's CA bundle now (``sources/tls_warm.py``)."""
    _tls_context(_ca_bundle())



# --------------------------------------------------------------------------------------------
# Deadlines: one request, from sending it to the last byte of its answer
# --------------------------------------------------------------------------------------------
class Deadline:
    """The deadline of the request the current thread is making. Socket timeouts bound each
    single read only, so a server that sends one byte every few seconds (slow-loris) would hold
    a read for ever; the connections below arm this deadline with the process's watchdog, which
    shuts their socket down when it passes: any read still blocked on it ends."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.fired = False
        self.cancelled = False

    def arm(self, conn: HTTPConnection) -> None:
        WATCHDOG.arm(self, conn)

    def expire(self, conn: HTTPConnection) -> None:
        if self.cancelled:  # the request ended meanwhile: its connection may serve another
            return
        self.fired = True
        shut(conn)

    def cancel(self) -> None:
        self.cancelled = True  # the watchdog drops its entries when it comes to them

    def connected(self, conn: HTTPConnection) -> None:
        """``conn`` has just opened its socket. The deadline may have passed before it existed
        (a deadline already past when a retry sent its request, or a slow connect): then the
        watchdog found no socket to shut, so it is shut here, else its reads would never end.
        ``expire`` sets ``fired`` before it looks at the socket and the connection sets its
        socket before it looks at ``fired``: one of the two always sees the other."""
        if self.fired:
            shut(conn)


class _Watchdog:
    """One daemon thread per process that expires the armed deadlines when they pass (was: a
    ``threading.Timer`` -- a new thread -- per request, ~0.4 ms of CPU and as much wall time
    each; a cold audit makes hundreds of requests). Entries of cancelled deadlines are dropped
    when they come up, and all at once each time the heap has doubled (memory stays bounded
    however many requests a run makes). Started on the first ``arm``; a forked
    child starts its own (the parent's thread does not exist there)."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        """No deadline armed and no thread: as made, and in a forked child (the parent's
        thread does not exist there; its lock may have been held when the process forked)."""
        self._cond = threading.Condition(threading.Lock())
        self._heap: list[tuple[float, int, Deadline, HTTPConnection]] = []
        self._seq = 0
        self._compact_at = 64
        self._thread: threading.Thread | None = None

    def arm(self, deadline: Deadline, conn: HTTPConnection) -> None:
        with self._cond:
            self._seq += 1
            heapq.heappush(self._heap, (deadline.at, self._seq, deadline, conn))
            if len(self._heap) >= self._compact_at:  # amortised: the heap at least doubled
                self._heap = [e for e in self._heap if not e[2].cancelled]
                heapq.heapify(self._heap)
                self._compact_at = max(64, 2 * len(self._heap))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="tfa-deadlines",
                                                daemon=True)
                self._thread.start()
            elif self._heap[0][2] is deadline:
                self._cond.notify()  # sooner than what the thread sleeps for

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._heap and self._heap[0][2].cancelled:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cond.wait(60.0)
                    continue
                at, _, deadline, conn = self._heap[0]
                left = at - time.monotonic()
                if left > 0:
                    self._cond.wait(left)
                    continue
                heapq.heappop(self._heap)
            deadline.expire(conn)


WATCHDOG = _Watchdog()
os.register_at_fork(after_in_child=WATCHDOG._reset)


def shut(conn: HTTPConnection) -> None:
    """Shut ``conn``'s socket down, if it has one: a read blocked on it ends."""
    sock = getattr(conn, "sock", None)
    if sock is not None:
        with suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


ACTIVE = threading.local()


@contextmanager
def deadline(seconds: float) -> Iterator[Deadline]:
    """Every connection the current thread uses inside this block is shut at the deadline."""
    state = Deadline(seconds)
    outer = getattr(ACTIVE, "state", None)
    ACTIVE.state = state
    try:
        yield state
    finally:
        state.cancel()
        ACTIVE.state = outer


class _WatchedHTTPConnection(HTTPConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        state: Deadline | None = getattr(ACTIVE, "state", None)
        if state is not None:
            state.arm(self)
        super().request(*args, **kwargs)

    def connect(self) -> None:
        super().connect()
        state: Deadline | None = getattr(ACTIVE, "state", None)
        if state is not None:
            state.connected(self)


class _WatchedHTTPSConnection(HTTPSConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        state: Deadline | None = getattr(ACTIVE, "state", None)
        if state is not None:
            state.arm(self)
        super().request(*args, **kwargs)

    def connect(self) -> None:
        super().connect()
        state: Deadline | None = getattr(ACTIVE, "state", None)
        if state is not None:
            state.connected(self)


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
    *, user_agent: str, retries: int = 4, backoff: float = 0.25, pool: int = MAX_CONNECTIONS,
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
    session.headers["User-Agent"] = user_agent
    if token:
        session.headers["Authorization"] = f"Bearer {token}"
    return session



class TooSlow(requests.ConnectionError):
    """The deadline's timer shut the connection; ``http.Http`` turns it into one OverBound
    line."""


def check_in_time(dl: Deadline) -> None:
    """Raise when the deadline fired during the request: the answer may look complete (a socket
    shut between header lines reads as the end of the headers) but is not to be trusted."""
    if dl.fired:
        raise TooSlow("deadline")
