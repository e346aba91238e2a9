"""The shared TLS context still verifies certificates (it only avoids reloading the CA bundle)."""

from __future__ import annotations

import http.server
import ssl
import subprocess
import threading
from pathlib import Path

import pytest
import requests

from tfinit_audit.sources.http import Http, make_session


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
