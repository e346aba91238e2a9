"""Content-addressed on-disk cache for everything fetched (wheel members, zip directories, index).

Layout under the root (``--cache-dir`` > ``$TFINIT_AUDIT_CACHE`` > platformdirs user cache):

- ``blobs/<ns>/<key[:2]>/<key>``: one entry per (content id, member path), e.g. a wheel's
  sha256 plus ``tensorflow/python/ops/init_ops.py``. Each entry starts with a header line
  holding the sha256 of its payload, so a damaged entry is noticed and fetched again.
- ``index/<key>``: package-index answers with the time they were fetched (short expiry).

Writes go to a temp file in the same directory and are moved in place with ``os.replace``, so a
reader never sees half a file and two runs writing the same entry cannot corrupt it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs
from filelock import FileLock

APP = "tfinit-audit"
ENV_CACHE = "TFINIT_AUDIT_CACHE"
_MAGIC = b"tfinit-audit-blob-v1 "


def default_cache_dir() -> Path:
    env = os.environ.get(ENV_CACHE)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_cache_dir(APP, appauthor=False))


@dataclass
class CacheInfo:
    root: Path
    entries: int
    bytes: int
    namespaces: dict[str, int]


class Cache:
    """On-disk cache; safe for concurrent use by threads and processes."""

    def __init__(self, root: str | os.PathLike[str] | None = None) -> None:
        self.root = Path(root).expanduser() if root else default_cache_dir()

    # -- blobs ------------------------------------------------------------------------------
    def _blob_path(self, ns: str, ident: str, name: str) -> Path:
        key = hashlib.sha256(f"{ident}\0{name}".encode()).hexdigest()
        return self.root / "blobs" / _safe(ns) / key[:2] / key

    def get(self, ns: str, ident: str, name: str) -> bytes | None:
        """Payload stored for (ident, name), or None if absent or damaged (damaged is removed)."""
        path = self._blob_path(ns, ident, name)
        try:
            raw = path.read_bytes()
        except OSError:
            return None
        head, sep, payload = raw.partition(b"\n")
        if not sep or not head.startswith(_MAGIC):
            self._discard(path)
            return None
        digest = head[len(_MAGIC) :].decode("ascii", "replace")
        if hashlib.sha256(payload).hexdigest() != digest:
            self._discard(path)
            return None
        return payload

    def put(self, ns: str, ident: str, name: str, payload: bytes) -> None:
        path = self._blob_path(ns, ident, name)
        header = _MAGIC + hashlib.sha256(payload).hexdigest().encode("ascii") + b"\n"
        self._atomic_write(path, header + payload)

    def has(self, ns: str, ident: str, name: str) -> bool:
        return self._blob_path(ns, ident, name).is_file()

    def get_json(self, ns: str, ident: str, name: str) -> Any | None:
        data = self.get(ns, ident, name)
        if data is None:
            return None
        try:
            return json.loads(data)
        except ValueError:
            return None

    def put_json(self, ns: str, ident: str, name: str, value: Any) -> None:
        self.put(ns, ident, name, json.dumps(value, separators=(",", ":")).encode())

    # -- index answers with expiry -----------------------------------------------------------
    def get_fresh(self, ns: str, ident: str, name: str, ttl: float | None) -> Any | None:
        """A JSON value stored with put_timed, if younger than ``ttl`` seconds (None: any age)."""
        value = self.get_json(ns, ident, name)
        if not isinstance(value, dict) or "t" not in value:
            return None
        if ttl is not None and time.time() - float(value["t"]) > ttl:
            return None
        return value.get("v")

    def put_timed(self, ns: str, ident: str, name: str, value: Any) -> None:
        self.put_json(ns, ident, name, {"t": time.time(), "v": value})

    # -- locks and maintenance ---------------------------------------------------------------
    def lock(self, ns: str, ident: str) -> FileLock:
        """An inter-process lock, e.g. so two runs do not both fetch one zip directory."""
        key = hashlib.sha256(f"{ns}\0{ident}".encode()).hexdigest()[:32]
        path = self.root / "locks" / f"{key}.lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        return FileLock(str(path), timeout=600)

    def info(self) -> CacheInfo:
        entries = size = 0
        per_ns: dict[str, int] = {}
        blobs = self.root / "blobs"
        if blobs.is_dir():
            for ns_dir in sorted(blobs.iterdir()):
                count = 0
                for f in ns_dir.rglob("*"):
                    if f.is_file() and not f.name.startswith("."):
                        count += 1
                        size += f.stat().st_size
                per_ns[ns_dir.name] = count
                entries += count
        return CacheInfo(self.root, entries, size, per_ns)

    def clear(self) -> int:
        """Remove every entry; returns the number of bytes freed."""
        freed = self.info().bytes
        for sub in ("blobs", "locks", "tmp"):
            shutil.rmtree(self.root / sub, ignore_errors=True)
        return freed

    def tempdir(self) -> Path:
        """A private scratch directory inside the cache root (same filesystem as the entries)."""
        base = self.root / "tmp"
        base.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(dir=base))

    def _atomic_write(self, path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    @staticmethod
    def _discard(path: Path) -> None:
        with contextlib.suppress(OSError):
            path.unlink()


def _safe(ns: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in ns) or "_"
