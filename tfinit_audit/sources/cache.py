"""Content-addressed on-disk cache for everything fetched (wheel members, zip directories, index).

Layout under the root (``--cache-dir`` > ``$TFINIT_AUDIT_CACHE`` > platformdirs user cache):

- ``blobs/<ns>/<key[:2]>/<key>``: one entry per (content id, member path), e.g. a wheel's
  sha256 plus ``tensorflow/python/ops/init_ops.py``. Entries are stored compressed: a wheel
  member exactly as it was fetched (its deflate stream from the wheel, never inflated and
  compressed again), anything else deflated by the cache. Each entry starts with a header line
  holding the size and CRC-32 of its payload, so a damaged entry is noticed (and fetched
  again); entries of the first format (a sha256 header, uncompressed) are still read.
- ``blobs/index/``: package-index answers with the time they were fetched (short expiry).
- ``blobs/plans/``: what each release's analysis read, so the next release of its family can
  prefetch it (``plans.py``).
- ``analysis/``: analysis results and module summaries (``analysis/analysis``,
  ``analysis/summaries``), keyed by the sha256 of everything they read.
- ``tmp/``, ``locks/``: whole-wheel downloads in progress, inter-process locks.
- ``venvs/``: the TensorFlow test virtualenvs ``scripts/setup-test-envs.sh`` makes (not the
  tool's own data: ``cache clear`` keeps them unless asked, ``--what venvs``).

Writes go to a temp file in the same directory and are moved in place with ``os.replace``, so a
reader never sees half a file and two runs writing the same entry cannot corrupt it. ``prune``
removes entries by age and total size, least recently used first (the file's access time where
the filesystem keeps it, else the time it was written).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tfinit_audit.startup import default_cache_dir

if TYPE_CHECKING:
    from filelock import FileLock

_MAGIC_V1 = b"tfinit-audit-blob-v1 "  # + sha256 of the payload; payload stored as is
_MAGIC = b"tfinit-audit-blob-v2 "  # + codec, size, CRC-32 of the payload; body per codec
_DEFLATE, _STORED = b"z", b"s"
COMPRESS_LEVEL = 1  # zlib level for what the cache compresses itself (fast; ~5x on JSON/names)
COMPRESS_MIN = 256  # smaller payloads are stored as they are
SCRATCH_MIN_AGE = 24 * 3600.0  # prune leaves younger scratch entries (a run may be using them)


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
    Kind("members", ("blobs/wheel", "blobs/github"),
         "files read from wheels and GitHub (compressed as fetched)"),
    Kind("directories", ("blobs/zipdir", "blobs/github-tree", "blobs/github-tags"),
         "zip directories of wheels, GitHub trees and tags"),
    Kind("index", ("blobs/index",), "package-index answers (trusted for 10 minutes)"),
    Kind("plans", ("blobs/plans",), "what each release read (prefetch for its family)"),
    Kind("summaries", ("analysis/summaries",), "module summaries (one ast pass per file)"),
    Kind("results", ("analysis/analysis", "blobs/usercode-results", "blobs/usercode-catalog",
                     "blobs/usercode-files"), "analysis and scan results"),
    Kind("scratch", ("tmp", "locks"), "whole-wheel downloads in progress, locks"),
    Kind("venvs", ("venvs",), "test virtualenvs of scripts/setup-test-envs.sh", False),
)
KIND_NAMES = tuple(k.name for k in KINDS)
# names --what also takes for several kinds (the kinds of earlier versions)
KIND_GROUPS = {"files": ("members", "directories", "plans"), "analysis": ("summaries", "results")}
_OTHER_BLOBS = "members"  # a blob namespace no kind names
_OTHER_ANALYSIS = "results"  # a directory below analysis/ no kind names


@dataclass
class CacheInfo:
    root: Path
    entries: int  # every file the tool stored (the test virtualenvs not counted)
    bytes: int
    namespaces: dict[str, int]  # blob namespaces -> entries (wheel, zipdir, index, ...)
    kinds: dict[str, tuple[int, int]] = field(default_factory=dict)  # kind -> (files, bytes)
    disk: int = 0  # bytes the entries take on disk (whole blocks)


@dataclass(frozen=True)
class Entry:
    """One file of the cache, as ``prune`` sees it."""

    path: Path
    kind: str
    top: Path  # the kind's directory it is in
    size: int
    disk: int
    used: float  # last use: access time where the filesystem keeps it, else the write time


@dataclass
class PruneResult:
    removed: dict[str, tuple[int, int]]  # kind -> (files, bytes) removed
    kept: tuple[int, int]  # (files, bytes) left of the kinds considered

    @property
    def files(self) -> int:
        return sum(n for n, _ in self.removed.values())

    @property
    def bytes(self) -> int:
        return sum(b for _, b in self.removed.values())


class Cache:
    """On-disk cache; safe for concurrent use by threads and processes."""

    def __init__(self, root: str | os.PathLike[str] | None = None) -> None:
        self.root = Path(root).expanduser() if root else default_cache_dir()
        self._blobs = str(self.root / "blobs")
        self._dirs: set[str] = set()  # directories known to exist (no mkdir per write)

    # -- blobs ------------------------------------------------------------------------------
    def _blob_file(self, ns: str, ident: str, name: str) -> str:
        # strings, not Paths: several thousand of these per cold run
        key = hashlib.sha256(f"{ident}\0{name}".encode()).hexdigest()
        return os.path.join(self._blobs, _safe(ns), key[:2], key)

    def _blob_path(self, ns: str, ident: str, name: str) -> Path:
        return Path(self._blob_file(ns, ident, name))

    def get(self, ns: str, ident: str, name: str) -> bytes | None:
        """Payload stored for (ident, name), or None if absent or damaged (damaged is removed)."""
        path = self._blob_file(ns, ident, name)
        try:
            with open(path, "rb") as fh:
                raw = fh.read()
        except OSError:
            return None
        payload = _decode_blob(raw)
        if payload is None:
            self._discard(path)
        return payload

    def put(self, ns: str, ident: str, name: str, payload: bytes) -> None:
        """Store ``payload``, deflated by the cache when that makes it smaller."""
        body, codec = payload, _STORED
        if len(payload) >= COMPRESS_MIN:
            c = zlib.compressobj(COMPRESS_LEVEL, zlib.DEFLATED, -15)
            packed = c.compress(payload) + c.flush()
            if len(packed) < len(payload):
                body, codec = packed, _DEFLATE
        self._write_blob(ns, ident, name, codec, len(payload), zlib.crc32(payload), body)

    def put_deflated(self, ns: str, ident: str, name: str, deflated: bytes, size: int,
                     crc: int) -> None:
        """Store a payload given as a raw deflate stream (a wheel member as fetched) with the
        size and CRC-32 of what it inflates to; the caller has checked both."""
        self._write_blob(ns, ident, name, _DEFLATE, size, crc, deflated)

    def _write_blob(self, ns: str, ident: str, name: str, codec: bytes, size: int, crc: int,
                    body: bytes) -> None:
        header = _MAGIC + codec + b" %d %08x\n" % (size, crc & 0xFFFFFFFF)
        self._atomic_write(self._blob_file(ns, ident, name), header + body)

    def has(self, ns: str, ident: str, name: str) -> bool:
        return os.path.isfile(self._blob_file(ns, ident, name))

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
        from filelock import FileLock  # imported when first needed (~30 ms)

        key = hashlib.sha256(f"{ns}\0{ident}".encode()).hexdigest()[:32]
        path = self.root / "locks" / f"{key}.lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        return FileLock(str(path), timeout=600)

    def info(self) -> CacheInfo:
        """Files and bytes of every kind (``KINDS``; a blob namespace no kind names counts as
        members, a directory below ``analysis/`` no kind names as results), and entries per
        blob namespace."""
        per_ns: dict[str, int] = {}
        kinds = {k.name: (0, 0) for k in KINDS}
        disk = 0
        for kind, top in self._kind_dirs():
            files, size, blocks = _usage(top)
            kinds[kind] = (kinds[kind][0] + files, kinds[kind][1] + size)
            if _kind(kind).tool_data:
                disk += blocks
            if files and top.parent == self.root / "blobs":
                per_ns[top.name] = files
        tool = [v for k, v in kinds.items() if _kind(k).tool_data]
        return CacheInfo(self.root, sum(n for n, _ in tool), sum(b for _, b in tool),
                         dict(sorted(per_ns.items())), kinds, disk)

    def _kind_dirs(self) -> list[tuple[str, Path]]:
        """(kind, directory) for every directory the kinds name, plus the blob namespaces and
        analysis directories no kind names (as ``_OTHER_BLOBS`` / ``_OTHER_ANALYSIS``)."""
        out = [(k.name, self.root / d) for k in KINDS for d in k.dirs]
        named = {d for k in KINDS for d in k.dirs}
        for top, other in (("blobs", _OTHER_BLOBS), ("analysis", _OTHER_ANALYSIS)):
            base = self.root / top
            if base.is_dir():
                for sub in sorted(base.iterdir()):
                    if f"{top}/{sub.name}" not in named:
                        out.append((other, sub))
        return out

    def clear(self, what: tuple[str, ...] | list[str] | None = None) -> int:
        """Remove the kinds named in ``what`` (default: everything the tool stored, i.e. all
        but ``venvs``); returns the number of bytes freed."""
        names = expand_kinds(what)
        before = self.info().kinds
        freed = sum(before[n][1] for n in names)
        for kind, top in self._kind_dirs():
            if kind in names:
                shutil.rmtree(top, ignore_errors=True)
        for base in ("blobs", "analysis"):
            with contextlib.suppress(OSError):
                (self.root / base).rmdir()  # only when empty
        self._dirs.clear()
        return freed

    def entries(self, what: Iterable[str] | None = None) -> list[Entry]:
        """Every file of the kinds named (default: all the tool stores), for ``prune``; the
        locks are left out (removing one a run holds would let two runs in at once)."""
        names = set(expand_kinds(what))
        out: list[Entry] = []
        for kind, top in self._kind_dirs():
            if kind not in names or top == self.root / "locks":
                continue
            for path, st in _walk(top):
                out.append(Entry(path, kind, top, st.st_size, _blocks(st),
                                 max(st.st_atime, st.st_mtime)))
        return out

    def prune(self, *, max_size: int | None = None, older_than: float | None = None,
              what: Iterable[str] | None = None, dry_run: bool = False,
              now: float | None = None) -> PruneResult:
        """Remove entries of the kinds named (default: all the tool stores) not used for
        ``older_than`` seconds, then the least recently used ones until those kinds hold at
        most ``max_size`` bytes. Scratch entries younger than a day are kept (a running
        download); nothing is removed with ``dry_run``."""
        now = time.time() if now is None else now
        entries = sorted(self.entries(what), key=lambda e: (e.used, str(e.path)))
        total = sum(e.size for e in entries)
        removed: dict[str, tuple[int, int]] = {}
        gone = 0
        for e in entries:  # least recently used first
            old = older_than is not None and now - e.used > older_than
            if not old and (max_size is None or total <= max_size):
                break  # every later entry is newer, and the size is met
            if e.kind == "scratch" and now - e.used < SCRATCH_MIN_AGE:
                continue
            if not dry_run:
                try:
                    e.path.unlink()
                except FileNotFoundError:
                    pass
                except OSError:
                    continue
                _remove_empty_parents(e.path.parent, e.top)
            n, b = removed.get(e.kind, (0, 0))
            removed[e.kind] = (n + 1, b + e.size)
            total -= e.size
            gone += 1
        if not dry_run:
            self._dirs.clear()
        return PruneResult(removed, (len(entries) - gone, total))

    def tempdir(self) -> Path:
        """A private scratch directory inside the cache root (same filesystem as the entries)."""
        base = self.root / "tmp"
        base.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(dir=base))

    def _atomic_write(self, path: str, data: bytes) -> None:
        parent = os.path.dirname(path)
        if parent not in self._dirs:
            os.makedirs(parent, exist_ok=True)
            self._dirs.add(parent)
        try:
            fd, tmp = tempfile.mkstemp(dir=parent, prefix=".tmp-")
        except FileNotFoundError:  # removed by a clear or prune since: make it again
            self._dirs.discard(parent)
            os.makedirs(parent, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    @staticmethod
    def _discard(path: str) -> None:
        with contextlib.suppress(OSError):
            os.unlink(path)


def _decode_blob(raw: bytes) -> bytes | None:
    """The payload of a stored entry, or None when the entry is damaged (or not an entry)."""
    head, sep, body = raw.partition(b"\n")
    if not sep:
        return None
    if head.startswith(_MAGIC_V1):
        digest = head[len(_MAGIC_V1) :].decode("ascii", "replace")
        return body if hashlib.sha256(body).hexdigest() == digest else None
    if not head.startswith(_MAGIC):
        return None
    try:
        codec, size_s, crc_s = head[len(_MAGIC) :].split(b" ")
        size, crc = int(size_s), int(crc_s, 16)
    except ValueError:
        return None
    if codec == _STORED:
        out = body
    elif codec == _DEFLATE:
        try:
            d = zlib.decompressobj(-15)
            out = d.decompress(body, size + 1)  # never more than the header says (+1 to notice)
        except zlib.error:
            return None
    else:
        return None
    if len(out) != size or zlib.crc32(out) != crc:
        return None
    return out


def expand_kinds(what: Iterable[str] | None) -> list[str]:
    """Kind names for ``what`` (groups such as ``files`` expanded; default: all the tool
    stores); ValueError naming any unknown one."""
    if what is None:
        return [k.name for k in KINDS if k.tool_data]
    out: list[str] = []
    unknown = []
    for w in what:
        if w == "all":
            names: tuple[str, ...] = KIND_NAMES
        else:
            names = KIND_GROUPS.get(w, (w,))
        for n in names:
            if n not in KIND_NAMES:
                unknown.append(w)
            elif n not in out:
                out.append(n)
    if unknown:
        raise ValueError(f"unknown cache kind(s) {', '.join(unknown)}")
    return out


_SIZE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([kmgt]?)(i?b?)\s*$", re.I)
_AGE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(s|m|min|h|d|w)\s*$", re.I)
_AGE_UNITS = {"s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}


def parse_size(text: str) -> int:
    """``500MB``, ``1.5G``, ``800k``, ``2GiB``, ``1000000`` -> bytes (K, M, G, T are powers of
    1024, as ``cache info`` shows sizes); ValueError otherwise."""
    m = _SIZE.match(text)
    if not m:
        raise ValueError(f"bad size {text!r}: use e.g. 500MB, 2G or a number of bytes")
    power = " kmgt".index(m.group(2).lower() or " ")
    return int(float(m.group(1)) * 1024**power)


def parse_age(text: str) -> float:
    """``30d``, ``12h``, ``2w``, ``90m``, ``45s`` -> seconds; ValueError otherwise."""
    m = _AGE.match(text)
    if not m:
        raise ValueError(f"bad age {text!r}: use e.g. 30d, 12h, 2w (s, m, h, d, w)")
    return float(m.group(1)) * _AGE_UNITS[m.group(2).lower()]


def _kind(name: str) -> Kind:
    return next(k for k in KINDS if k.name == name)


def _blocks(st: os.stat_result) -> int:
    return getattr(st, "st_blocks", 0) * 512 or st.st_size


def _walk(path: Path) -> Iterable[tuple[Path, os.stat_result]]:
    """Every regular file below ``path`` with its stat (symlinks not followed, temp files of
    writes in progress left out); nothing if it does not exist."""
    stack = [path]
    while stack:
        try:
            with os.scandir(stack.pop()) as it:
                for e in it:
                    try:
                        if e.is_dir(follow_symlinks=False):
                            stack.append(Path(e.path))
                        elif e.is_file(follow_symlinks=False) and not e.name.startswith(".tmp-"):
                            yield Path(e.path), e.stat(follow_symlinks=False)
                    except OSError:
                        continue
        except OSError:
            continue


def _usage(path: Path) -> tuple[int, int, int]:
    """(files, bytes, bytes on disk) below ``path``; zeros if it does not exist."""
    files = size = disk = 0
    for _, st in _walk(path):
        files += 1
        size += st.st_size
        disk += _blocks(st)
    return files, size, disk


def _remove_empty_parents(directory: Path, top: Path) -> None:
    """Remove ``directory`` and its parents while they are empty, up to ``top`` (kept)."""
    while directory != top and top in directory.parents:
        try:
            directory.rmdir()
        except OSError:
            return
        directory = directory.parent


def _safe(ns: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in ns) or "_"
