"""Analysis results on disk, shared by every tree whose files the analysis saw are the same.

The analysis of a list of specs over a tree is a function of what it saw of the tree -- the text
of each file it read, each existence check and directory listing, which distribution ships each
file it asked about -- and of the tree's kind, the specs, the sizes and the analysis code. So a
result is stored with everything it saw (``Seen``, recorded by ``RecordingTree``) and is the
answer for *any* tree that shows the same: the same release on a warm run, or another release
whose files on the resolution path are byte-identical (a patch release, ``2.6.2`` … ``2.6.5``).
Paths and line numbers in the provenance are the same because the files are.

Checking a tree against a stored ``Seen`` needs no file fetched when the tree knows its files'
fingerprints (``CompositeTree.fingerprint``: a wheel member's CRC-32 and sizes from the zip
central directory, a git blob sha): equal fingerprints stand for equal bytes; a file without one
(a local tree) is read and compared by sha256. A fingerprint that differs rejects the stored
result (at worst a re-analysis, never a wrong answer).

Layout: ``<cache_dir>/results/<family>/`` where ``family`` hashes the analysis code, the specs,
the sizes and the tree's kind; one file per distinct ``Seen`` (``<entry>.pkl``: a small pickled
header with the ``Seen``, then the pickled results, so a rejected entry costs only its header),
and ``r-<release key>`` files naming the entry a release used last (tried first on a warm run).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tfinit_audit.analysis.engine.parsing import text_sha
from tfinit_audit.analysis.model import Analysis
from tfinit_audit.sources.base import SourceTree

FORMAT = 3  # of the entry files; bump when Seen or the layout changes

EXISTS = "exists"  # reads[path]: the path exists (a file or a package directory), text not read
UNREADABLE = "unreadable"  # reads[path]: the tree lists the file but cannot read it
LIST = "list:"  # reads[LIST + prefix]: sha256 of the listing below prefix


sha = text_sha  # a read's record: the text's key, as its parse and summary are keyed


@dataclass
class Seen:
    """What one analysis saw of its tree, in the order it was first seen."""

    reads: dict[str, str | None] = field(default_factory=dict)  # path -> sha / EXISTS / None ...
    prints: dict[str, str] = field(default_factory=dict)  # path read -> tree fingerprint
    owners: dict[str, str | None] = field(default_factory=dict)  # path -> package_of answer
    origins: dict[str, str] = field(default_factory=dict)  # path read -> "dist@wheel sha256"

    def key(self) -> str:
        blob = repr((sorted(self.reads.items(), key=_first), sorted(self.prints.items()),
                     sorted(self.owners.items(), key=_first), sorted(self.origins.items())))
        return hashlib.sha256(blob.encode("utf-8", "surrogatepass")).hexdigest()[:24]


def _first(kv: tuple[str, Any]) -> str:
    return kv[0]


class _Origins:
    """Which published file (distribution and sha256) a tree reads a path from: a path read
    from the very same wheel as before has the same bytes, no fingerprint needed."""

    def __init__(self, tree: SourceTree) -> None:
        self.tree = tree
        self._shas: dict[str, str | None] = {}

    def __call__(self, path: str) -> str | None:
        dist = self.tree.package_of(path)
        if dist is None:
            return None
        if dist not in self._shas:  # (a part opened lazily since: look again)
            self._shas = {p.name: p.sha256 for p in self.tree.packages}
        sha = self._shas.get(dist)
        return f"{dist}@{sha}" if sha else None


class RecordingTree:
    """A ``SourceTree`` that notes what the analysis saw (``seen``): each file read (its
    sha256 and, when the tree has one, its fingerprint), each existence check, each directory
    listing, and each question about which distribution ships a path."""

    def __init__(self, tree: SourceTree) -> None:
        self.base = tree
        self.seen = Seen()
        self._print: Callable[[str], str | None] | None = getattr(tree, "fingerprint", None)
        self._origin = _Origins(tree)

    @property
    def reads(self) -> dict[str, str | None]:
        return self.seen.reads

    def __getattr__(self, name: str) -> Any:  # release, kind, packages, problems, ...
        return getattr(self.base, name)

    def read_text(self, path: str) -> str | None:
        text = self.base.read_text(path)
        reads = self.seen.reads
        if path not in reads or reads[path] in (None, EXISTS):
            if text is None:
                reads[path] = UNREADABLE if self.base.exists(path) else None
            else:
                reads[path] = sha(text)
                fp = self._print(path) if self._print is not None else None
                if fp is not None:
                    self.seen.prints[path] = fp
                origin = self._origin(path)
                if origin is not None:
                    self.seen.origins[path] = origin
        return text

    def exists(self, path: str) -> bool:
        found = self.base.exists(path)
        if path not in self.seen.reads:
            self.seen.reads[path] = EXISTS if found else None
        return found

    def list(self, prefix: str) -> list[str]:
        out = self.base.list(prefix)
        self.seen.reads.setdefault(LIST + prefix, sha("\n".join(sorted(out))))
        return out

    def package_of(self, path: str) -> str | None:
        owner = self.base.package_of(path)
        self.seen.owners.setdefault(path, owner)
        return owner


def shows(tree: SourceTree, seen: Seen, vouched: frozenset[str] = frozenset()) -> bool:
    """Does ``tree`` show exactly what ``seen`` recorded? A file read from the same published
    wheel (sha256) as then, or from a wheel in ``vouched`` (found to match before), is the same;
    files with a fingerprint on both sides are compared by it (nothing fetched); the others are
    read and compared by sha256."""
    printer: Callable[[str], str | None] | None = getattr(tree, "fingerprint", None)
    origin = _Origins(tree)
    for key, was in seen.reads.items():
        if key.startswith(LIST):
            if sha("\n".join(sorted(tree.list(key[len(LIST):])))) != was:
                return False
            continue
        if was in (None, EXISTS):
            if tree.exists(key) != (was == EXISTS):
                return False
            continue
        was_from = seen.origins.get(key)
        if was_from is not None:
            now_from = origin(key)
            if now_from == was_from or now_from in vouched:
                continue
        fp = seen.prints.get(key)
        now_fp = printer(key) if fp is not None and printer is not None else None
        if now_fp is not None:
            if now_fp != fp:
                return False
            continue
        text = tree.read_text(key)
        now = (UNREADABLE if tree.exists(key) else None) if text is None else sha(text)
        if now != was:
            return False
    return all(tree.package_of(p) == owner for p, owner in seen.owners.items())


def _wheels(tree: SourceTree, seen: Seen) -> frozenset[str]:
    """The published wheels (``dist@sha256``) ``tree`` reads the files of ``seen`` from."""
    origin = _Origins(tree)
    return frozenset(o for o in map(origin, seen.origins) if o is not None)


def _pointer_text(name: str, wheels: frozenset[str]) -> bytes:
    return "\n".join([name, *sorted(wheels)]).encode("utf-8")


@dataclass
class Stored:
    """One stored analysis: what it saw, its results, and the lines it noted."""

    seen: Seen
    results: Analysis  # the symbols and, for patterns, the namespaces listed
    problems: list[str]  # files read that did not parse (analysis warnings)
    tree_problems: list[str]  # the tree's own lines about files read (not UTF-8, unreadable)


class ResultStore:
    """The stored analyses of one family (analysis code, specs, sizes, tree kind)."""

    def __init__(self, cache_dir: Path, family: str) -> None:
        self.dir = cache_dir / "results" / family
        self._headers: dict[str, Seen | None] = {}  # entry name -> its Seen (None: unusable)

    # -- lookup -------------------------------------------------------------------------------
    def lookup(self, tree: SourceTree, release_key: str) -> Stored | None:
        """A stored analysis ``tree`` shows exactly, trying the one this release used last
        first; None when there is none. The pointer of the release keeps the entry and the
        wheels (sha256) found to match it, so a warm run needs no fingerprint of theirs."""
        last, vouched = self._pointer(release_key)
        names = self._names()
        if last in names:
            names.remove(last)
            names.insert(0, last)
        for name in names:
            seen = self._header(name)
            if seen is None or not shows(tree, seen, vouched if name == last else frozenset()):
                continue
            stored = self._load(name)
            if stored is None:
                continue
            wheels = _wheels(tree, seen)
            if name != last or not wheels <= vouched:
                self._write(self.dir / f"r-{release_key}", _pointer_text(name, wheels))
            return stored
        return None

    def empty(self) -> bool:
        """No analysis is stored in this family (no tree can be served from it)."""
        return not self._names()

    def _names(self) -> list[str]:
        try:
            return sorted(n[:-4] for n in os.listdir(self.dir) if n.endswith(".pkl"))
        except OSError:
            return []

    def _pointer(self, release_key: str) -> tuple[str | None, frozenset[str]]:
        try:
            lines = (self.dir / f"r-{release_key}").read_text(encoding="utf-8").split("\n")
        except (OSError, UnicodeDecodeError):
            return None, frozenset()
        return lines[0].strip(), frozenset(x for x in lines[1:] if x)

    def _header(self, name: str) -> Seen | None:
        if name not in self._headers:
            seen = None
            try:
                with open(self.dir / f"{name}.pkl", "rb") as fh:
                    head = pickle.load(fh)
                if isinstance(head, dict) and head.get("format") == FORMAT:
                    seen = head["seen"]
            except (OSError, pickle.UnpicklingError, EOFError, AttributeError, KeyError,
                    ValueError, TypeError):
                seen = None
            self._headers[name] = seen if isinstance(seen, Seen) else None
        return self._headers[name]

    def _load(self, name: str) -> Stored | None:
        try:
            with open(self.dir / f"{name}.pkl", "rb") as fh:
                head = pickle.load(fh)
                body = pickle.load(fh)
            results = body["results"]
            if not isinstance(results, Analysis):
                return None
            return Stored(head["seen"], results, list(body["problems"]),
                          list(body["tree_problems"]))
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, KeyError,
                ValueError, TypeError):
            return None

    # -- store --------------------------------------------------------------------------------
    def store(self, stored: Stored, release_key: str) -> None:
        """Keep ``stored`` (atomically; an equal entry is simply replaced) and note it as the
        one ``release_key`` used. A cache that cannot be written is no error."""
        name = stored.seen.key()
        head = pickle.dumps({"format": FORMAT, "seen": stored.seen})
        body = pickle.dumps({"results": stored.results, "problems": stored.problems,
                             "tree_problems": stored.tree_problems})
        if self._write(self.dir / f"{name}.pkl", head + body):
            self._headers[name] = stored.seen
            self._write(self.dir / f"r-{release_key}", _pointer_text(name, frozenset()))

    def _write(self, path: Path, data: bytes) -> bool:
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(data)
            tmp.replace(path)
            return True
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink()
            return False
