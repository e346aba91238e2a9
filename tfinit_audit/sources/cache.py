"""Content-addressed on-disk cache for everything fetched (wheel members, zip directories, index).

Layout under the root (``--cache-dir`` > ``$TFINIT_AUDIT_CACHE`` > platformdirs user cache):

- ``blobs/<ns>/<key[:2]>/<key>``: one entry per (content id, member path), e.g. a wheel's
  sha256 plus ``tensorflow/python/ops/init_ops.py``. Each entry starts with a header line
  holding the sha256 of its payload, so a damaged entry is noticed and fetched again.
- ``blobs/index/``: package-index answers with the time they were fetched (short expiry).
- ``analysis/``: analysis results and module summaries (``analysis/analysis``,
  ``analysis/summaries``), keyed by the sha256 of everything they read.
- ``tmp/``, ``locks/``: whole-wheel downloads in progress, inter-process locks.
- ``venvs/``: the TensorFlow test virtualenvs ``scripts/setup-test-envs.sh`` makes (not the
  tool's own data: ``cache clear`` keeps them unless asked, ``--what venvs``).

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
from dataclasses import dataclass, field
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


ENV_VENVS = "TFINIT_AUDIT_VENVS"


def venvs_dir(root: str | os.PathLike[str] | None = None) -> Path:
    """Where the test virtualenvs live: ``$TFINIT_AUDIT_VENVS``, else ``venvs/`` in the cache
    directory the tool uses (``scripts/setup-test-envs.sh`` asks this function)."""
    env = os.environ.get(ENV_VENVS)
    if env:
        return Path(env).expanduser()
    return (Path(root).expanduser() if root else default_cache_dir()) / "venvs"


@dataclass(frozen=True)
class Kind:
    """One kind of thing the cache holds: where (below the root) and what it is."""

    name: str
    dirs: tuple[str, ...]
    what: str
    tool_data: bool = True  # stored by the tool itself (``cache clear`` removes it by default)


KINDS = (
    Kind("files", ("blobs/wheel", "blobs/zipdir", "blobs/github", "blobs/github-tree",
                   "blobs/github-tags"),
         "files read from wheels and GitHub, zip directories"),
    Kind("index", ("blobs/index",), "package-index answers (trusted for 10 minutes)"),
    Kind("analysis", ("analysis",), "analysis results and module summaries"),
    Kind("scratch", ("tmp", "locks"), "whole-wheel downloads in progress, locks"),
    Kind("venvs", ("venvs",), "test virtualenvs of scripts/setup-test-envs.sh", False),
)
KIND_NAMES = tuple(k.name for k in KINDS)


@dataclass
class CacheInfo:
    root: Path
    entries: int  # every file the tool stored (the test virtualenvs not counted)
    bytes: int
    namespaces: dict[str, int]  # blob namespaces -> entries (wheel, zipdir, index, ...)
    kinds: dict[str, tuple[int, int]] = field(default_factory=dict)  # kind -> (files, bytes)


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
        """Files and bytes of every kind (``KINDS``; blobs of a namespace no kind names are
        counted as ``files``), and entries per blob namespace."""
        per_ns: dict[str, int] = {}
        blobs = self.root / "blobs"
        if blobs.is_dir():
            for ns_dir in sorted(blobs.iterdir()):
                per_ns[ns_dir.name] = _usage(ns_dir)[0]
        kinds = {k.name: _sum(_usage(self.root / d) for d in k.dirs) for k in KINDS}
        named = {d for k in KINDS for d in k.dirs}
        if blobs.is_dir():
            for ns_dir in blobs.iterdir():
                if f"blobs/{ns_dir.name}" not in named:
                    kinds["files"] = _sum([kinds["files"], _usage(ns_dir)])
        tool = [v for k, v in kinds.items() if _kind(k).tool_data]
        return CacheInfo(self.root, sum(n for n, _ in tool), sum(b for _, b in tool), per_ns,
                         kinds)

    def clear(self, what: tuple[str, ...] | list[str] | None = None) -> int:
        """Remove the kinds named in ``what`` (default: everything the tool stored, i.e. all
        but ``venvs``); returns the number of bytes freed."""
        names = [k.name for k in KINDS if k.tool_data] if what is None else list(what)
        unknown = [n for n in names if n not in KIND_NAMES]
        if unknown:
            raise ValueError(f"unknown cache kind(s) {', '.join(unknown)}")
        before = self.info().kinds
        freed = sum(before[n][1] for n in names)
        for n in names:
            for d in _kind(n).dirs:
                shutil.rmtree(self.root / d, ignore_errors=True)
        blobs = self.root / "blobs"
        if "files" in names and blobs.is_dir():  # namespaces no kind names count as files
            named = {d for k in KINDS for d in k.dirs}
            for ns_dir in blobs.iterdir():
                if f"blobs/{ns_dir.name}" not in named:
                    shutil.rmtree(ns_dir, ignore_errors=True)
        with contextlib.suppress(OSError):
            blobs.rmdir()  # only when empty
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


def _kind(name: str) -> Kind:
    return next(k for k in KINDS if k.name == name)


def _usage(path: Path) -> tuple[int, int]:
    """(files, bytes) below ``path``, symlinks not followed; (0, 0) if it does not exist."""
    files = size = 0
    stack = [path]
    while stack:
        try:
            with os.scandir(stack.pop()) as it:
                for e in it:
                    try:
                        if e.is_dir(follow_symlinks=False):
                            stack.append(Path(e.path))
                        elif e.is_file(follow_symlinks=False) and not e.name.startswith(".tmp-"):
                            files += 1
                            size += e.stat(follow_symlinks=False).st_size
                    except OSError:
                        continue
        except OSError:
            continue
    return files, size


def _sum(usages: Any) -> tuple[int, int]:
    pairs = list(usages)
    return sum(n for n, _ in pairs), sum(b for _, b in pairs)


def _safe(ns: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in ns) or "_"
