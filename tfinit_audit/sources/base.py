"""The interface every source of release files offers: a lazy, read-only, import-path view.

Paths are always import paths with forward slashes, as Python would find them on sys.path:
``tensorflow/python/ops/rnn_cell_impl.py``, ``tensorflow_core/python/ops/init_ops.py``,
``keras/src/layers/rnn/lstm.py``. Never a local cache path and never a wheel-internal
``*.data/purelib/`` prefix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from tfinit_audit.errors import FetchError


class UnreadableFile(FetchError):
    """A file a tree lists but cannot read (a symlink loop, no permission, not a regular file,
    over the size bound). The tree treats it as a file without text and notes the reason among
    its ``problems``; the analysis goes on without it."""


@dataclass
class PackageFile:
    """One distribution that a release tree reads from (tensorflow, keras, tf_keras...)."""

    name: str  # distribution name as in METADATA, e.g. "tensorflow", "keras"
    version: str  # "1.8.0"
    file: str  # wheel file name, "v1.8.0" tag, or local path
    sha256: str | None = None
    url: str | None = None
    size: int | None = None


@dataclass
class FetchStats:
    """What it cost to get the files of one release (filled as files are read)."""

    requests: int = 0
    bytes: int = 0
    seconds: float = 0.0
    from_cache: int = 0  # number of file reads served from the on-disk cache
    files: int = 0  # number of distinct files read
    prefetched: int = 0  # files fetched ahead: a plan's, a first run's preload, imports of
    # files read (in requests/bytes)
    prefetch_used: int = 0  # ...of which were then read (the rest is the speculation's waste)
    prefetch_bytes: int = 0  # bytes of the range requests that read ahead
    prefetch_used_bytes: int = 0  # archive bytes of the prefetched files then read
    plan_from: str | None = None  # the release whose read plan was replayed (plans.py)

    @property
    def prefetch_accuracy(self) -> float | None:
        """Bytes used / bytes fetched by the speculation; None when it fetched nothing."""
        if not self.prefetch_bytes:
            return None
        return min(1.0, self.prefetch_used_bytes / self.prefetch_bytes)


class Part(Protocol):
    """One distribution inside a release tree."""

    package: PackageFile

    def paths(self) -> dict[str, str]:
        """Import path -> the part's own key for that file (member name, repo path...)."""
        ...

    def read(self, key: str) -> bytes: ...

    def read_many(self, keys: list[str]) -> dict[str, bytes]: ...

    def cache_hits(self) -> int: ...

    # optional: ``fingerprint(key) -> str | None``, the content's identity known without
    # reading it (a zip member's CRC-32 and sizes from the central directory, a git blob sha):
    # equal fingerprints mean equal bytes (the analysis compares releases' files by them)

    def close(self) -> None: ...


def zip_fingerprint(crc: int, size: int, csize: int) -> str:
    """A zip member's content identity from its central-directory entry (``fingerprint``)."""
    return f"zip:{crc:08x}:{size}:{csize}"


@runtime_checkable
class SourceTree(Protocol):
    """Read-only view of one TensorFlow release and its companion distributions."""

    release: str  # the TensorFlow version this tree is, e.g. "2.15.0"
    kind: str  # "pypi" | "github" | "dir" | "wheel" | "installed"
    stats: FetchStats

    @property
    def packages(self) -> list[PackageFile]:
        """Every distribution this tree reads from (tensorflow, keras, ...)."""
        ...

    def read_text(self, path: str) -> str | None:
        """Text of the file at import path ``path``, or None if no distribution has it."""
        ...

    def exists(self, path: str) -> bool:
        """True if ``path`` is a file, or a directory (package) with files below it."""
        ...

    def list(self, prefix: str) -> list[str]:
        """All file paths below the directory ``prefix`` (recursive, sorted)."""
        ...

    def package_of(self, path: str) -> str | None:
        """Distribution name that ships ``path`` (e.g. "keras"), None if absent."""
        ...


@dataclass
class MemoryTree:
    """A SourceTree over a dict of files; for tests and synthetic fixtures."""

    files: dict[str, str]
    release: str = "0.0.0"
    kind: str = "dir"
    packages: list[PackageFile] = field(default_factory=list)
    stats: FetchStats = field(default_factory=FetchStats)
    owners: dict[str, str] = field(default_factory=dict)  # top-level dir -> distribution

    def read_text(self, path: str) -> str | None:
        return self.files.get(path)

    def exists(self, path: str) -> bool:
        p = path.rstrip("/")
        return p in self.files or any(k.startswith(p + "/") for k in self.files)

    def list(self, prefix: str) -> list[str]:
        p = prefix.rstrip("/") + "/"
        return sorted(k for k in self.files if k.startswith(p))

    def package_of(self, path: str) -> str | None:
        if not self.exists(path):
            return None
        top = path.split("/", 1)[0]
        return self.owners.get(top, top)
