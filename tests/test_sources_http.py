"""The shared TLS context still verifies certificates (it only avoids reloading the CA bundle)."""

from __future__ import annotations

import http.server
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from httpserver import LoopbackServer

from tfinit_audit.errors import FetchError
from tfinit_audit.sources.http import Http, OverBound, make_session


def test_untrusted_certificate_is_rejected(tmp_path: Path) -> None:
    key, crt = tmp_path / "k.pem", tmp_path / "c.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(crt)],
                   check=True, capture_output=True)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(crt, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        with pytest.raises(requests.exceptions.SSLError):
            url = f"https://127.0.0.1:{srv.server_address[1]}/"
            Http(make_session(retries=0)).session.get(url, timeout=5)
    finally:
        srv.shutdown()
        srv.server_close()


def test_redirect_from_https_down_to_http_is_refused(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    key, crt = tmp_path / "k.pem", tmp_path / "c.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(crt)], check=True, capture_output=True)

    class Redirect(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            target = "/ok" if self.path == "/hop" else "http://127.0.0.1:9/simple/"
            self.send_response(302)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(crt, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(crt))  # trust this server's certificate
        session = make_session(retries=0)
        with pytest.raises(FetchError, match="refused a redirect from https down to plain http"):
            Http(session).get(f"https://127.0.0.1:{srv.server_address[1]}/simple/")
    finally:
        srv.shutdown()
        srv.server_close()


def test_proxy_settings_are_read_once_per_host_and_still_honoured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The session reads the environment's proxy settings once per host (not per request),
    with the same outcome as requests: HTTPS_PROXY applies, NO_PROXY exempts its hosts."""
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    monkeypatch.setenv("NO_PROXY", "mirror.example")
    session = make_session()
    plain = requests.Session()
    for url in ("https://files.example/a.whl", "https://files.example/b.whl",
                "https://mirror.example/c.whl"):
        got = session.merge_environment_settings(url, {}, None, True, None)
        want = plain.merge_environment_settings(url, {}, None, True, None)
        assert got == want, url
    assert session.merge_environment_settings(
        "https://files.example/x", {}, None, True, None)["proxies"].get("https") == \
        "http://proxy.invalid:3128"
    assert "https" not in session.merge_environment_settings(
        "https://mirror.example/x", {}, None, True, None)["proxies"]
    assert len(session._env_memo) == 2  # type: ignore[attr-defined]  # two hosts
    calls = []
    real = requests.utils.get_environ_proxies

    def counting(*a, **k):  # type: ignore[no-untyped-def]
        calls.append(a)
        return real(*a, **k)

    monkeypatch.setattr("requests.sessions.get_environ_proxies", counting)
    for _ in range(5):
        session.merge_environment_settings("https://files.example/y", {}, None, True, None)
    assert calls == []  # memoized


@pytest.mark.parametrize("seconds", [0.0, 0.001, 0.3])
def test_deadline_past_before_the_socket_opens_still_ends_the_read(server: LoopbackServer,
                                                                   seconds: float) -> None:
    """A deadline that fires before the connection has its socket (0 s: a retry sent after
    the deadline; a slow connect) found nothing to shut, and the read of a server that drips
    header lines went on for ever (test_sources_hostile's slow-loris headers hung under load)."""
    server.state.drip_headers["/slow"] = 0.5  # 100 header lines, one per 0.5 s: 50 s a try
    started = time.monotonic()
    with pytest.raises(OverBound, match="no complete answer within"):
        Http(deadline=seconds).get(server.url + "/slow")
    assert time.monotonic() - started < 15


def test_deadlines_share_one_watchdog_thread_and_its_heap_stays_bounded(
        server: LoopbackServer) -> None:
    """Each request arms its deadline with the process's one watchdog (was a thread per
    request): 300 requests start no thread of their own, and the entries of the deadlines
    they cancelled do not pile up."""
    from tfinit_audit.sources import transport

    server.put("/small", b"x" * 100)
    http = Http(deadline=30.0)
    http.get(server.url + "/small")
    before = threading.active_count()
    started: list[str] = []
    real_start = threading.Thread.start

    def start(self: threading.Thread) -> None:
        started.append(self.name)
        real_start(self)

    threading.Thread.start = start  # type: ignore[method-assign]
    try:
        for _ in range(300):
            assert http.get(server.url + "/small").content == b"x" * 100
    finally:
        threading.Thread.start = real_start  # type: ignore[method-assign]
    assert started == [] and threading.active_count() <= before
    assert len(transport.WATCHDOG._heap) <= 130  # compacted: at most twice the live ones + 64


def test_a_deadline_ends_a_dripping_read_in_a_forked_child(server: LoopbackServer) -> None:
    """A worker forked from a process whose watchdog runs has a watchdog of its own (the
    parent's thread does not exist in the child): its deadlines still end slow answers. In a
    fresh interpreter (forking pytest's, with other libraries' threads, could hang)."""
    server.put("/small", b"x")
    server.state.drip_headers["/slow"] = 0.5
    script = (
        "import os, sys, time\n"
        "from tfinit_audit.sources.http import Http, OverBound\n"
        "Http(deadline=30.0).get(sys.argv[1] + '/small')  # the parent's watchdog runs\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    started = time.monotonic()\n"
        "    try:\n"
        "        Http(deadline=1.0).get(sys.argv[1] + '/slow')\n"
        "    except OverBound:\n"
        "        os._exit(0 if time.monotonic() - started < 15 else 2)\n"
        "    os._exit(3)\n"
        "_, status = os.waitpid(pid, 0)\n"
        "sys.exit(os.waitstatus_to_exitcode(status))\n"
    )
    done = subprocess.run([sys.executable, "-c", script, server.url], timeout=60,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


def test_threads_asking_at_once_share_one_tls_context(monkeypatch: pytest.MonkeyPatch) -> None:
    # a fresh worker's read-ahead threads open their first connections at the same moment:
    # the CA bundle is loaded once a process, not once a thread (a cold `all` made 330
    # contexts in 52 processes before, 11 s of CPU)
    from tfinit_audit.sources import transport

    made: list[int] = []
    real = ssl.create_default_context

    def slow(*args: object, **kwargs: object) -> ssl.SSLContext:
        made.append(threading.get_ident())
        time.sleep(0.05)  # as loading a bundle takes: the other threads arrive meanwhile
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(transport.ssl, "create_default_context", slow)
    monkeypatch.setattr(transport, "_TLS_CONTEXTS", {})
    bundle = transport._ca_bundle()
    start = threading.Barrier(8)
    got: list[ssl.SSLContext] = []

    def ask() -> None:
        start.wait()
        got.append(transport._tls_context(bundle))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(made) == 1 and len(got) == 8 and all(c is got[0] for c in got)
