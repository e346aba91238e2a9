"""One shared HTTP session: keep-alive, retries with backoff on 5xx/connection errors, timeouts.

All network access of the fetch stage goes through ``Http`` so that connection reuse, retry
policy, timeouts and request/byte accounting are the same everywhere.
"""

from __future__ import annotations

import functools
import os
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import requests
from requests import certs
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from tfinit_audit._version import __version__
from tfinit_audit.errors import FetchError

USER_AGENT = f"tfinit-audit/{__version__} (+https://pypi.org/project/tfinit-audit/)"
DEFAULT_TIMEOUT = (10.0, 60.0)  # (connect, read) seconds
BODY_ATTEMPTS = 3  # tries for bodies that break off mid-way (urllib3 covers status/connect)


class RangeNotHonoured(Exception):
    """The server answered a Range request with the whole file (200) or refused it."""


@dataclass
class Counter:
    """Requests and bytes sent over the wire, for the FetchStats of a release."""

    requests: int = 0
    bytes: int = 0

    def add(self, requests: int, nbytes: int) -> None:
        with _COUNTER_LOCK:
            self.requests += requests
            self.bytes += nbytes


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


class _SharedTLSAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        self._bundle = _ca_bundle()
        kwargs["ssl_context"] = _tls_context(self._bundle)
        super().init_poolmanager(*args, **kwargs)

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        super().cert_verify(conn, url, verify, cert)
        if url.lower().startswith("https") and (verify is True or verify == self._bundle):
            conn.ca_certs = None  # already in the shared context; do not load them again
            conn.ca_cert_dir = None


def make_session(
    *, retries: int = 4, backoff: float = 0.25, pool: int = MAX_CONNECTIONS,
    token: str | None = None,
) -> requests.Session:
    """A session whose adapter retries idempotent requests on 5xx and connection errors."""
    session = requests.Session()
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
    """Thin wrapper over one ``requests.Session`` with timeouts and precise error messages."""

    def __init__(
        self,
        session: requests.Session | None = None,
        *,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        backoff: float = 0.25,
    ) -> None:
        self.session = session or make_session(backoff=backoff)
        self.timeout = timeout
        self.backoff = backoff

    # -- plain GET ---------------------------------------------------------------------------
    def get(
        self,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        counter: Counter | None = None,
        what: str = "",
    ) -> requests.Response:
        """GET ``url`` fully into memory; raises FetchError with one clear line on failure."""
        last: Exception | None = None
        for attempt in range(BODY_ATTEMPTS):
            try:
                res = self.session.get(url, headers=headers, timeout=self.timeout)
                _ = res.content  # read the body inside the retry loop: it may break off
            except RETRYABLE as exc:
                last = exc
                self._sleep(attempt)
                continue
            except requests.RequestException as exc:
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
        (416/501), FetchError when the body stays short after retries.
        """
        want = end - start + 1
        last: str = ""
        for attempt in range(BODY_ATTEMPTS):
            try:
                # Not streamed: requests then reads the body fully and hands the connection
                # back to the pool (keep-alive); a streamed response closed early would not.
                res = self.session.get(
                    url,
                    headers={"Range": f"bytes={start}-{end}", "Accept-Encoding": "identity"},
                    timeout=self.timeout,
                )
            except RETRYABLE as exc:
                last = _short(exc)
                if counter is not None:
                    counter.add(1, 0)
                self._sleep(attempt)
                continue
            except requests.RequestException as exc:
                raise FetchError(f"cannot fetch {what or url}: {_short(exc)}") from exc
            if counter is not None:
                counter.add(1, len(res.content))
            if res.status_code == 200 or res.status_code in (416, 501):
                raise RangeNotHonoured(f"HTTP {res.status_code} for a Range request")
            if res.status_code != 206:
                raise FetchError(f"cannot fetch {what or url}: HTTP {res.status_code}")
            crange = res.headers.get("Content-Range", "")
            if not crange.startswith(f"bytes {start}-"):
                raise RangeNotHonoured(f"unexpected Content-Range {crange!r}")
            data = res.content
            if len(data) == want:
                return data
            if len(data) > want:
                raise FetchError(f"cannot fetch {what or url}: more bytes than the range asked")
            last = f"truncated body: got {len(data)} of {want} bytes"
            self._sleep(attempt)
        raise FetchError(f"cannot fetch {what or url}: {last}")

    def head_size(self, url: str, *, counter: Counter | None = None) -> int | None:
        """Content-Length from a HEAD request, None if the server does not say."""
        try:
            res = self.session.head(url, timeout=self.timeout, allow_redirects=True)
        except requests.RequestException as exc:
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
    ) -> int:
        """Stream ``url`` into ``write``; stops with FetchError beyond ``max_bytes``."""
        try:
            res = self.session.get(url, timeout=self.timeout, stream=True)
        except requests.RequestException as exc:
            raise FetchError(f"cannot fetch {what or url}: {_short(exc)}") from exc
        with res:
            if res.status_code != 200:
                raise FetchError(f"cannot fetch {what or url}: HTTP {res.status_code}")
            total_hdr = res.headers.get("Content-Length")
            total = int(total_hdr) if total_hdr and total_hdr.isdigit() else None
            if total is not None and total > max_bytes:
                raise FetchError(
                    f"{what or url} is {total} bytes, over the download cap of {max_bytes} bytes"
                )
            done = 0
            try:
                for chunk in _chunks(res):
                    done += len(chunk)
                    if done > max_bytes:
                        raise FetchError(
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

    def _sleep(self, attempt: int) -> None:
        time.sleep(min(4.0, self.backoff * (2**attempt)))


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
