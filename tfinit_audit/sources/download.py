"""The whole wheel in one streamed download: the fallback of ``RemoteWheel`` when a server
ignores Range requests."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from pathlib import Path

from tfinit_audit.errors import FetchError
from tfinit_audit.sources.http import Counter, Http


def download_whole(http: Http, url: str, tmpdir: Path, *, what: str, sha256: str | None,
                   size: int | None, max_bytes: int, counter: Counter,
                   progress: Callable[[str, int, int | None], None] | None) -> Path:
    """``url`` streamed into ``tmpdir`` (a directory of its own, removed on failure), at most
    ``max_bytes``, checked against ``sha256`` when the index gave one; its path."""
    path = tmpdir / "download.whl"  # never a name from the index (it may hold ../)
    digest = hashlib.sha256()
    with open(path, "wb") as fh:

        def write(chunk: bytes) -> None:
            digest.update(chunk)
            fh.write(chunk)

        def report(done: int, total: int | None) -> None:
            if progress is not None:
                progress(f"download {what}", done, total)

        try:
            http.stream_to(url, write, max_bytes=max_bytes, counter=counter, progress=report,
                           what=what, expected=size)
        except BaseException:
            fh.close()
            shutil.rmtree(tmpdir, ignore_errors=True)
            raise
    if sha256 and digest.hexdigest() != sha256.lower():
        shutil.rmtree(tmpdir, ignore_errors=True)
        raise FetchError(f"download of {what} does not match the index sha256")
    return path
