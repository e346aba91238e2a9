"""A TensorFlow release as published on a package index: its wheel plus companion wheels.

The TensorFlow wheel's ``METADATA`` says which ``keras`` (and, if it names one, ``tf-keras``)
the release runs with; the newest release of that distribution satisfying the pin is opened as
part of the same tree. ``tf_keras`` without a pin (TF >= 2.16 loads it lazily when asked for
legacy Keras) is attached on first use: the tree picks the newest ``tf-keras`` whose own
``Requires-Dist`` on tensorflow admits this release, so the pairing comes from metadata.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from packaging.utils import canonicalize_name
from packaging.version import Version

from tfinit_audit.errors import FetchError, UsageError
from tfinit_audit.sources.base import PackageFile, zip_fingerprint
from tfinit_audit.sources.cache import Cache
from tfinit_audit.sources.composite import CompositeTree
from tfinit_audit.sources.http import Counter, Http, release_counter
from tfinit_audit.sources.index import IndexClient, IndexFile
from tfinit_audit.sources.plans import PlanBook
from tfinit_audit.sources.wheel import ProgressFn, RemoteWheel, choose_wheel

if TYPE_CHECKING:
    from collections.abc import Callable

    from packaging.requirements import Requirement

TF_DIST = "tensorflow"
COMPANIONS = ("keras", "tf-keras")  # canonical names read from Requires-Dist
LAZY_COMPANIONS = {"tf_keras": "tf-keras"}  # top-level package -> distribution
_DATA_LIB = re.compile(r"^[^/]+\.data/(?:purelib|platlib)/(.+)$")


def is_safe_path(path: str) -> bool:
    """A relative path that stays inside its tree: no ``..`` or empty parts, not absolute, no
    backslash or NUL. Wheel members that are not are never mapped (a crafted wheel's
    ``../../x.py`` is no import path, and no file name is ever built from it)."""
    if not path or path.startswith("/") or "\\" in path or "\0" in path:
        return False
    return all(part not in ("", ".", "..") for part in path.rstrip("/").split("/"))


def member_to_path(member: str) -> str | None:
    """Import path of a wheel member: strip ``*.data/purelib/``; other ``.data`` dirs and
    unsafe names (``../x``): None."""
    if not is_safe_path(member):
        return None
    first = member.split("/", 1)[0]
    if not first.endswith(".data"):
        return member
    m = _DATA_LIB.match(member)
    if m:
        return m.group(1)
    first = member.split("/", 1)[0]
    if first.endswith(".data"):
        return None
    return member


class WheelPart:
    """One distribution's wheel as a Part of a CompositeTree."""

    def __init__(self, name: str, version: str, wheel: RemoteWheel, size: int | None) -> None:
        self.wheel = wheel
        self.package = PackageFile(
            name=name, version=version, file=wheel.filename, sha256=wheel.sha256,
            url=wheel.url, size=size,
        )
        self._paths: dict[str, str] | None = None
        self._meta: dict[str, list[str]] | None = None

    def paths(self) -> dict[str, str]:
        """Import path -> wheel member; the mapping is cached with the wheel's directory so a
        warm run neither loads the member table nor walks 25k names."""
        if self._paths is None:
            w = self.wheel
            cached = w.cache.get("zipdir", w.ident, "paths.v1")
            if cached is not None:
                lines = cached.decode("utf-8").split("\n")
                half = len(lines) // 2
                # a member named as its path shares the path's string: a parent process
                # holds every release's table at once (half its memory was the copies)
                self._paths = {p: p if p == m else m
                               for p, m in zip(lines[:half], lines[half:], strict=True)}
                return self._paths
            out: dict[str, str] = {}
            for member in w.names():  # member_to_path inlined: 25k members
                if ("./" in member or member.startswith("/") or "\\" in member
                        or "\0" in member or "//" in member or member.endswith("/.")
                        or member.endswith("/..")) and not is_safe_path(member):
                    continue
                if ".data/" in member:
                    head, _, rest = member.partition("/")
                    if head.endswith(".data"):
                        kind, _, path = rest.partition("/")
                        if kind in ("purelib", "platlib") and path and path not in out:
                            out[path] = member
                        continue
                if member not in out and not member.endswith("/"):
                    out[member] = member
            self._paths = out
            if out and not any("\n" in k or "\n" in v for k, v in out.items()):
                w.cache.put("zipdir", w.ident, "paths.v1",
                            "\n".join([*out.keys(), *out.values()]).encode("utf-8"))
        return self._paths

    def read(self, key: str) -> bytes:
        return self.wheel.read(key)

    def read_many(self, keys: list[str]) -> dict[str, bytes]:
        return self.wheel.read_many(keys)

    def cache_hits(self) -> int:
        return self.wheel.from_cache

    def fingerprint(self, key: str) -> str | None:
        """The member's CRC-32, size and compressed size from the central directory."""
        m = self.wheel.members().get(key)
        return None if m is None else zip_fingerprint(m.crc, m.size, m.csize)

    # -- hooks for speculative prefetch (CompositeTree): only remote, online parts have them --
    @property
    def speculative(self) -> bool:
        return not self.wheel.offline

    def is_cached(self, key: str) -> bool:
        return self.wheel.is_cached(key)

    def plan(self, keys: list[str], gap: int, span: int) -> list[tuple[list[str], int]]:
        return self.wheel.plan(keys, gap, span)

    def stretch(self, key: str) -> int:
        return self.wheel.stretch(key)

    def read_ahead(self, keys: list[str]) -> dict[str, bytes]:
        """Members fetched ahead of the analysis: cached only once ``commit`` says used."""
        return self.wheel.read_many(keys, store=False)

    def preload(self, keys: list[str], gap: int, span: int,
                cap: int) -> list[Callable[[], None]]:
        """Members fetched ahead in a few large requests, inflated only when read
        (``RemoteWheel.preload``): one callable per request."""
        return self.wheel.preload(keys, gap, span, cap)

    def preload_stats(self) -> tuple[int, int, int, int]:
        """Preloaded members, bytes of their requests, members then read, their bytes."""
        a, b, c, d = self.wheel.preloaded
        return a, b, c, d

    def commit(self, key: str) -> None:
        self.wheel.commit(key)

    def forget(self) -> None:
        self.wheel.forget()

    def trim(self) -> None:
        self.wheel.trim()

    def metadata(self) -> dict[str, list[str]]:
        """Header fields of ``*.dist-info/METADATA`` (multi-valued), empty if none; kept with
        the wheel's directory, so a warm run reads and parses nothing."""
        if self._meta is None:
            w = self.wheel
            cached = w.cache.get_json("zipdir", w.ident, "metadata.v1")
            if isinstance(cached, dict) and all(
                    isinstance(v, list) and all(isinstance(x, str) for x in v)
                    for v in cached.values()):
                self._meta = cached
                return cached
            paths = self.paths()
            dist = self.package.name.replace("-", "_")
            guess = f"{dist}-{self.package.version}.dist-info/METADATA"
            names = [guess] if guess in paths else [
                n for n in paths if n.endswith(".dist-info/METADATA") and n.count("/") == 1
            ]
            text = self.read(self.paths()[names[0]]).decode("utf-8", "replace") if names else ""
            self._meta = parse_metadata(text)
            w.cache.put_json("zipdir", w.ident, "metadata.v1", self._meta)
        return self._meta

    def companions(self) -> dict[str, tuple[str, str]]:
        """``companion_requirements`` of the metadata as text: name -> (the requirement, its
        specifier); kept with the wheel's directory (a warm run parses no requirement)."""
        w = self.wheel
        cached = w.cache.get_json("zipdir", w.ident, "companions.v1")
        if isinstance(cached, dict) and all(
                isinstance(v, list) and len(v) == 2 and all(isinstance(x, str) for x in v)
                for v in cached.values()):
            return {k: (v[0], v[1]) for k, v in cached.items()}
        out = {n: (str(r), str(r.specifier))
               for n, r in companion_requirements(self.metadata()).items()}
        w.cache.put_json("zipdir", w.ident, "companions.v1", out)
        return out

    def close(self) -> None:
        self.wheel.close()


def parse_metadata(text: str) -> dict[str, list[str]]:
    from email.parser import HeaderParser  # only when a wheel's METADATA is read

    msg = HeaderParser().parsestr(text)
    out: dict[str, list[str]] = {}
    for k, v in msg.items():
        out.setdefault(k.lower(), []).append(str(v))
    return out


def companion_requirements(metadata: dict[str, list[str]]) -> dict[str, Requirement]:
    """``keras`` / ``tf-keras`` requirements, ignoring ones that only apply to an extra."""
    from packaging.requirements import InvalidRequirement, Requirement

    out: dict[str, Requirement] = {}
    for line in metadata.get("requires-dist", []):
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        name = canonicalize_name(req.name)
        if name not in COMPANIONS or name in out:
            continue
        if req.marker is not None and "extra" in str(req.marker):
            continue
        out[name] = req
    return out


class PyPISource:
    """Opens release trees from one index; shares session, cache and index answers."""

    def __init__(
        self,
        index: IndexClient,
        *,
        http: Http,
        cache: Cache,
        offline: bool = False,
        progress: ProgressFn | None = None,
    ) -> None:
        self.index = index
        self.http = http
        self.cache = cache
        self.offline = offline
        self.progress = progress

    def open(self, version: str) -> CompositeTree:
        counter = release_counter(f"tensorflow {version}")
        tree = CompositeTree(version, "pypi", [], counter=counter)
        tree.plans = PlanBook(self.cache)
        with tree._timed():
            tf = self._part(TF_DIST, Version(version), counter)
            tree._add(tf)
            tree.release = tf.package.version
            reqs = tf.companions()
            for name, (req, spec) in reqs.items():
                tree._add(self._companion(name, req, spec, counter))
            if "tf-keras" not in reqs:
                tree._lazy["tf_keras"] = lambda: self._reverse_companion(
                    "tf-keras", tf.package.version, counter
                )
        return tree

    def _part(self, dist: str, version: Version, counter: Counter) -> WheelPart:
        project = self.index.project(dist)
        files = project.releases().get(version)
        if not files:
            raise UsageError(f"the index {self.index.index_url} has no {dist} {version}")
        chosen = choose_wheel(files, size_of=None if self.offline else self._size_of(counter))
        wheel = RemoteWheel(
            chosen.url, filename=chosen.filename, sha256=chosen.sha256, size=chosen.size,
            http=self.http, cache=self.cache, offline=self.offline, counter=counter,
            progress=self.progress,
        )
        part = WheelPart(dist, str(version), wheel, chosen.size)
        meta = part.metadata()
        if meta.get("name"):
            part.package.name = meta["name"][0]
        return part

    def _size_of(self, counter: Counter):  # type: ignore[no-untyped-def]
        def size_of(f: IndexFile) -> int | None:
            return self.http.head_size(f.url, counter=counter)

        return size_of

    def _companion(self, name: str, req: str, spec: str, counter: Counter) -> WheelPart:
        """The newest release of ``name`` the pin ``req`` (its specifier ``spec``) admits."""
        from packaging.specifiers import SpecifierSet

        specifier = SpecifierSet(spec)
        project = self.index.project(name)
        yanked = project.yanked_versions()
        ok = [
            v for v in project.releases()
            if v not in yanked and specifier.contains(v, prereleases=False)
        ]
        if not ok:  # a pin may name a pre-release on purpose
            ok = [v for v in project.releases() if specifier.contains(v, prereleases=True)]
        if not ok:
            raise FetchError(f"no release of {name} satisfies the pin {req}")
        return self._part(name, max(ok), counter)

    def _reverse_companion(self, name: str, tf_version: str, counter: Counter) -> WheelPart | None:
        """Newest ``name`` release whose own Requires-Dist on tensorflow admits ``tf_version``."""
        from packaging.requirements import InvalidRequirement, Requirement

        try:
            project = self.index.project(name)
        except FetchError:
            return None
        tfv = Version(tf_version)
        yanked = project.yanked_versions()
        cands = [v for v in project.releases() if v not in yanked and not v.is_prerelease]
        # Try the same major.minor first only to save requests; metadata decides.
        cands.sort(key=lambda v: (v.release[:2] == tfv.release[:2], v), reverse=True)
        for v in cands[:8]:
            part = self._part(name, v, counter)
            for line in part.metadata().get("requires-dist", []):
                try:
                    req = Requirement(line)
                except InvalidRequirement:
                    continue
                if canonicalize_name(req.name) == TF_DIST and req.specifier.contains(
                    tfv, prereleases=True
                ):
                    return part
        return None
