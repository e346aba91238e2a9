"""The fetch stage: one factory that opens a release tree from any source, plus helpers.

Typical use (the pipeline opens several releases this way, concurrently)::

    ctx = SourceContext.create(cache_dir=None, index_url=None, offline=False)
    releases = resolve_versions(["1.8", "2.15"], ctx.index)          # sources.versions
    tree = open_tree("pypi", releases[0].version, ctx=ctx)
    tree.read_text("tensorflow/python/ops/rnn_cell_impl.py")
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from packaging.version import InvalidVersion, Version

from tfinit_audit.errors import UsageError
from tfinit_audit.sources.base import FetchStats, MemoryTree, PackageFile, SourceTree
from tfinit_audit.sources.cache import Cache
from tfinit_audit.sources.composite import CompositeTree
from tfinit_audit.sources.github import GitHubClient, GitHubSource
from tfinit_audit.sources.http import Http
from tfinit_audit.sources.index import IndexClient, index_url_from_env
from tfinit_audit.sources.local import open_dir, open_installed, open_wheel
from tfinit_audit.sources.pypi import PyPISource
from tfinit_audit.sources.versions import Release, resolve_spec, resolve_versions
from tfinit_audit.sources.wheel import ProgressFn
from tfinit_audit.startup import LOCAL_KINDS

__all__ = [
    "CompositeTree", "FetchStats", "MemoryTree", "PackageFile", "Release", "SourceTree",
    "SourceContext", "SourceSpec", "find_module", "open_tree", "parse_source", "resolve_versions",
]


@dataclass(frozen=True)
class SourceSpec:
    kind: str  # "pypi" | "github" | "dir" | "wheel" | "installed"
    arg: str | None = None  # PATH or PYTHON

    @property
    def is_local(self) -> bool:
        return self.kind in LOCAL_KINDS

    def __str__(self) -> str:
        return f"{self.kind}:{self.arg}" if self.arg else self.kind


def parse_source(text: str) -> SourceSpec:
    """``pypi``, ``github``, ``dir:PATH``, ``wheel:PATH``, ``installed`` or ``installed:PYTHON``."""
    kind, _, arg = text.partition(":")
    kind = kind.strip().lower()
    if kind in ("pypi", "github") and not arg:
        return SourceSpec(kind)
    if kind in ("dir", "wheel"):
        if not arg:
            raise UsageError(f"--source {kind}: needs a path, e.g. {kind}:/path/to/it")
        return SourceSpec(kind, arg)
    if kind == "installed":
        return SourceSpec(kind, arg or None)
    raise UsageError(
        f"bad --source {text!r}: use pypi, github, dir:PATH, wheel:PATH or installed[:PYTHON]"
    )


@dataclass
class SourceContext:
    """What every fetch in one run shares: the HTTP session, the cache, the index client."""

    cache: Cache
    http: Http
    index: IndexClient
    offline: bool = False
    progress: ProgressFn | None = None

    @classmethod
    def create(
        cls,
        *,
        cache_dir: str | os.PathLike[str] | None = None,
        index_url: str | None = None,
        offline: bool = False,
        progress: ProgressFn | None = None,
        http: Http | None = None,
    ) -> SourceContext:
        cache = Cache(cache_dir)
        http = http or Http()
        index = IndexClient(index_url_from_env(index_url), http=http, cache=cache, offline=offline)
        return cls(cache, http, index, offline, progress)

    def pypi(self) -> PyPISource:
        return PyPISource(self.index, http=self.http, cache=self.cache, offline=self.offline,
                          progress=self.progress)

    def github(self) -> GitHubSource:
        client = GitHubClient(self.http, self.cache, offline=self.offline)
        return GitHubSource(client, pypi=self.pypi(), index=self.index)


def open_tree(
    source: str | SourceSpec, version: str | None, *, ctx: SourceContext
) -> CompositeTree:
    """Open one release tree. ``version`` is a concrete release for pypi/github; for local
    sources it is optional and, when given, must match the release the tree says it is."""
    spec = source if isinstance(source, SourceSpec) else parse_source(source)
    if spec.kind in ("pypi", "github"):
        if not version:
            raise UsageError(f"--source {spec.kind} needs --versions")
        try:
            Version(version)
        except InvalidVersion:
            raise UsageError(f"bad release {version!r}") from None
        return ctx.pypi().open(version) if spec.kind == "pypi" else ctx.github().open(version)
    if spec.kind == "dir":
        tree = open_dir(spec.arg or ".")
    elif spec.kind == "wheel":
        tree = open_wheel(spec.arg or "")
    else:
        tree = open_installed(spec.arg)
    if version and version != "installed" and not version.startswith("installed:"):
        _check_local_version(tree, version, spec)
    return tree


def _check_local_version(tree: CompositeTree, want: str, spec: SourceSpec) -> None:
    try:
        have = Version(tree.release)
        resolve_spec(want, [have], set())
    except (InvalidVersion, UsageError):
        raise UsageError(
            f"--versions {want} does not match {spec}, which is tensorflow {tree.release}"
        ) from None


def find_module(tree: SourceTree, dotted: str) -> str | None:
    """Path of module ``a.b.c`` in ``tree`` (``a/b/c.py`` or ``a/b/c/__init__.py``), else None."""
    base = dotted.replace(".", "/")
    for cand in (f"{base}.py", f"{base}/__init__.py"):
        if tree.exists(cand) and not tree.list(cand):  # a file, not a directory
            return cand
    return None

