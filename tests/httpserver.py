"""A real HTTP server on 127.0.0.1 for the fetch tests: a PEP 691/503 index, wheels the tests
build with zipfile, and GitHub's raw/trees URL layout, with switchable Range support and fault
injection (5xx, truncated bodies). Nothing here is mocked below the socket."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import sys
import threading
import time
import zipfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Logged:
    method: str
    path: str
    range: str | None
    auth: str | None = None


@dataclass
class ServerState:
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # path -> (type, body)
    range_enabled: bool = True
    fail_next: dict[str, int] = field(default_factory=dict)  # path -> 503s before success
    truncate_next: dict[str, int] = field(default_factory=dict)  # path -> truncated answers
    html_only: bool = False  # index pages: ignore the JSON Accept header
    delay: float = 0.0  # seconds before answering a Range request (a slow, distant host)
    drip: dict[str, float] = field(default_factory=dict)  # path -> seconds between body bytes
    drip_headers: dict[str, float] = field(default_factory=dict)  # ... between header lines
    redirect: dict[str, str] = field(default_factory=dict)  # path -> Location of a 302
    # path -> (bytes of zeros to stream, whether to say Content-Length first)
    endless: dict[str, tuple[int, bool]] = field(default_factory=dict)
    log: list[Logged] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def requests_for(self, path: str) -> list[Logged]:
        return [entry for entry in self.log if entry.path.split("?")[0] == path]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # headers and body go out in two writes: without TCP_NODELAY the client's delayed ACK held
    # every answer ~40 ms (a real file host answers a range request in a few ms)
    disable_nagle_algorithm = True
    server: LoopbackServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_GET(self) -> None:
        self._serve(head=False)

    def _serve(self, head: bool) -> None:
        st = self.server.state
        rng = self.headers.get("Range")
        with st.lock:
            st.log.append(Logged(self.command, self.path, rng, self.headers.get("Authorization")))
            fails = st.fail_next.get(self.path.split("?")[0], 0)
            if fails:
                st.fail_next[self.path.split("?")[0]] = fails - 1
            trunc = st.truncate_next.get(self.path.split("?")[0], 0)
            if trunc and not head:
                st.truncate_next[self.path.split("?")[0]] = trunc - 1
        if rng and st.delay:
            time.sleep(st.delay)
        if fails:
            return self._send(503, "text/plain", b"try later")
        path = self.path.split("?")[0]
        if path in st.redirect:
            return self._send(302, "text/plain", b"", {"Location": st.redirect[path]})
        if path in st.drip_headers:
            return self._drip_headers(st.drip_headers[path])
        if path in st.endless:
            return self._endless(*st.endless[path], head)
        entry = st.files.get(path) or st.files.get(self.path)
        if entry is None:
            return self._send(404, "text/plain", b"not found")
        ctype, body = entry
        if path.startswith("/simple/") and not st.html_only:
            accept = self.headers.get("Accept", "")
            if "application/vnd.pypi.simple.v1+json" in accept and path + "#json" in st.files:
                ctype, body = st.files[path + "#json"]
        status, extra = 200, {}
        if rng and st.range_enabled:
            m = re.fullmatch(r"bytes=(\d*)-(\d*)", rng)
            if not m or not m.group(1):
                return self._send(501, "text/plain", b"suffix ranges not supported")
            start = int(m.group(1))
            end = int(m.group(2)) if m.group(2) else len(body) - 1
            end = min(end, len(body) - 1)
            if start >= len(body):
                return self._send(416, "text/plain", b"")
            extra["Content-Range"] = f"bytes {start}-{end}/{len(body)}"
            body = body[start : end + 1]
            status = 206
        if st.range_enabled:
            extra["Accept-Ranges"] = "bytes"
        if trunc and not head:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in extra.items():
                self.send_header(k, v)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        if path in st.drip and not head:
            return self._drip(status, ctype, body, extra, st.drip[path])
        self._send(status, ctype, b"" if head else body, extra, length=len(body))

    # -- hostile answers -------------------------------------------------------------------
    def _drip(self, status: int, ctype: str, body: bytes, extra: dict[str, str],
              pause: float) -> None:
        """Headers at once, then the body one byte per ``pause`` seconds (slow-loris)."""
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra.items():
            self.send_header(k, v)
        self.end_headers()
        self.close_connection = True
        try:
            for i in range(min(len(body), 600)):  # stops by itself within minutes
                self.wfile.write(body[i : i + 1])
                self.wfile.flush()
                time.sleep(pause)
        except OSError:
            return

    def _drip_headers(self, pause: float) -> None:
        """The status line, then one header line per ``pause`` seconds, never the body."""
        self.close_connection = True
        try:
            self.wfile.write(b"HTTP/1.1 200 OK\r\n")
            for i in range(100):
                self.wfile.write(f"X-Slow-{i}: 1\r\n".encode())
                self.wfile.flush()
                time.sleep(pause)
        except OSError:
            return

    def _endless(self, size: int, say_length: bool, head: bool) -> None:
        """``size`` bytes of zeros (with their Content-Length, or until the connection closes),
        written as the client reads them."""
        self.send_response(200)
        self.send_header("Content-Type", "application/vnd.pypi.simple.v1+json")
        if say_length:
            self.send_header("Content-Length", str(size))
        else:
            self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        if head:
            return
        chunk = b"0" * (1 << 20)
        try:
            for _ in range(size // len(chunk)):
                self.wfile.write(chunk)
        except OSError:
            return

    def _send(self, status: int, ctype: str, body: bytes, extra: dict[str, str] | None = None,
              length: int | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if body:
            self.wfile.write(body)


class LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.state = ServerState()
        self.thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self) -> LoopbackServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def put(self, path: str, body: bytes, ctype: str = "application/octet-stream") -> str:
        self.state.files[path] = (ctype, body)
        return self.url + path

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up (after a 503, or a stopped read) is normal here; the stock
        handler prints its traceback to stderr, into the output tests compare."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


# ------------------------------------------------------------------------------------------
# Wheels and a package index
# ------------------------------------------------------------------------------------------
def build_wheel(
    name: str,
    version: str,
    files: dict[str, bytes | str],
    *,
    tag: str = "cp311-cp311-manylinux_2_17_x86_64",
    purelib: bool = False,
    requires: list[str] = (),  # type: ignore[assignment]
    filler: int = 0,
) -> tuple[str, bytes]:
    """A real wheel (zip) with dist-info; ``purelib`` puts sources under ``*.data/purelib/``."""
    dist = name.replace("-", "_")
    filename = f"{dist}-{version}-{tag}.whl"
    info = f"{dist}-{version}.dist-info"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, data in files.items():
            member = f"{dist}-{version}.data/purelib/{path}" if purelib else path
            zf.writestr(member, data.encode() if isinstance(data, str) else data)
        if filler:
            zf.writestr(f"{dist}/_filler.bin", os.urandom(filler), zipfile.ZIP_STORED)
        meta = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
        meta += [f"Requires-Dist: {r}" for r in requires]
        zf.writestr(f"{info}/METADATA", "\n".join(meta) + "\n")
        zf.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: false\n")
        zf.writestr(f"{info}/RECORD", "")
    return filename, buf.getvalue()


@dataclass
class Published:
    filename: str
    url: str
    data: bytes
    sha256: str


class FakeIndex:
    """Publishes wheels on a LoopbackServer and writes its PEP 691 JSON + PEP 503 HTML pages."""

    def __init__(self, server: LoopbackServer) -> None:
        self.server = server
        self.projects: dict[str, list[dict[str, Any]]] = {}

    @property
    def url(self) -> str:
        return self.server.url + "/simple/"

    def add(
        self, name: str, version: str, files: dict[str, bytes | str] | None = None, *,
        yanked: bool = False, size: int | None = None, stub: bool = False, **kw: Any,
    ) -> Published:
        """Publish a wheel; real ones get incompressible filler so they are not mistaken for
        the ~2 KB placeholder wheels (``stub=True``) that choose_wheel must skip."""
        kw.setdefault("filler", 0 if stub else 70_000)
        filename, data = build_wheel(name, version, files or {}, **kw)
        return self.add_file(name, filename, data, yanked=yanked, size=size)

    def add_file(self, name: str, filename: str, data: bytes, *, yanked: bool = False,
                 size: int | None = None) -> Published:
        path = f"/files/{filename}"
        url = self.server.put(path, data)
        sha = hashlib.sha256(data).hexdigest()
        self.projects.setdefault(name, []).append({
            "filename": filename, "url": url, "hashes": {"sha256": sha},
            "size": len(data) if size is None else size, "yanked": yanked,
            "requires-python": None,
        })
        self._write(name)
        return Published(filename, url, data, sha)

    def replace_data(self, pub: Published, data: bytes) -> None:
        """Serve other bytes under the same URL (the index keeps its sha256/size)."""
        self.server.put(f"/files/{pub.filename}", data)

    def _write(self, name: str) -> None:
        files = self.projects[name]
        page = {"meta": {"api-version": "1.1"}, "name": name, "files": files}
        self.server.put(f"/simple/{name}/#json", json.dumps(page).encode(),
                        "application/vnd.pypi.simple.v1+json")
        links = "".join(
            f'<a href="{f["url"]}#sha256={f["hashes"]["sha256"]}"'
            f'{" data-yanked" if f["yanked"] else ""}>{f["filename"]}</a><br/>\n' for f in files
        )
        self.server.put(f"/simple/{name}/", f"<html><body>{links}</body></html>".encode(),
                        "text/html")
