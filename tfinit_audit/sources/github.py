"""A TensorFlow release read from its GitHub tag (``v1.8.0``) via the git trees API + raw files.

Repository layout equals import layout for the packages the audit reads (``tensorflow/...`` in
tensorflow/tensorflow, ``keras/...`` in keras-team/keras, ``tf_keras/...`` in
keras-team/tf-keras), so paths are kept as they are; only files below the package directory
are exposed. Note that 1.15/2.0 wheels rename ``tensorflow`` to ``tensorflow_core`` at build
time; the tag has ``tensorflow/`` only. Files are cached by their git blob sha (verified).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from tfinit_audit.errors import FetchError, UsageError
from tfinit_audit.sources import limits
from tfinit_audit.sources.base import PackageFile
from tfinit_audit.sources.cache import Cache
from tfinit_audit.sources.composite import CompositeTree, Part
from tfinit_audit.sources.http import Counter, Http, release_counter
from tfinit_audit.sources.index import IndexClient
from tfinit_audit.sources.pypi import PyPISource, companion_requirements

DEFAULT_API = "https://api.github.com"
DEFAULT_RAW = "https://raw.githubusercontent.com"
REPOS = {  # distribution -> (repository, top-level package directory)
    "tensorflow": ("tensorflow/tensorflow", "tensorflow"),
    "keras": ("keras-team/keras", "keras"),
    "tf-keras": ("keras-team/tf-keras", "tf_keras"),
}
FETCH_WORKERS = 8
# Where a checkout pins its companions (read, never assumed): setup.py REQUIRED_PACKAGES lines.
SETUP_FILES = ("tensorflow/tools/pip_package/setup.py",)
_REQ_STR = re.compile(r"""['"]((?:keras|tf[-_]keras)\s*[<>=!~][^'"]*)['"]""")


def api_base() -> str:
    return os.environ.get("TFINIT_AUDIT_GITHUB_API", DEFAULT_API).rstrip("/")


def raw_base() -> str:
    return os.environ.get("TFINIT_AUDIT_GITHUB_RAW", DEFAULT_RAW).rstrip("/")


def git_blob_sha(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class GitHubClient:
    """GET helpers for the two GitHub endpoints, with GITHUB_TOKEN when set."""

    def __init__(
        self, http: Http, cache: Cache, *, offline: bool = False, api: str | None = None,
        raw: str | None = None, token: str | None = None,
    ) -> None:
        self.http = http
        self.cache = cache
        self.offline = offline
        self.api = (api or api_base()).rstrip("/")
        self.raw = (raw or raw_base()).rstrip("/")
        token = token if token is not None else os.environ.get("GITHUB_TOKEN")
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def tree(self, repo: str, tag: str, counter: Counter) -> dict[str, Any]:
        """Recursive git tree of ``repo`` at ``tag`` (cached forever: tags do not move)."""
        ident = f"{self.api}|{repo}|{tag}"
        cached = self.cache.get_json("github-tree", ident, "tree")
        if cached is not None:
            return dict(cached)
        if self.offline:
            raise FetchError(f"offline: the file list of {repo}@{tag} is not in the cache")
        url = f"{self.api}/repos/{repo}/git/trees/{tag}?recursive=1"
        res = self.http.get(
            url, headers={"Accept": "application/vnd.github+json", **self.headers},
            counter=counter, what=f"{repo}@{tag} file list",
        )
        if res.status_code == 404:
            raise UsageError(f"GitHub has no tag {tag} in {repo}")
        if res.status_code >= 400:
            raise FetchError(f"GitHub trees API for {repo}@{tag}: HTTP {res.status_code}")
        body = res.json()
        entries = {e["path"]: e["sha"] for e in body.get("tree", []) if e.get("type") == "blob"}
        value = {"entries": entries, "truncated": bool(body.get("truncated"))}
        self.cache.put_json("github-tree", ident, "tree", value)
        return value

    def tags(self, repo: str, counter: Counter) -> list[str]:
        """Tag names of ``repo`` starting with ``v`` (for companions when no index is reachable);
        cached briefly, and used at any age when offline."""
        ident = f"{self.api}|{repo}"
        cached = self.cache.get_fresh("github-tags", ident, "v", None if self.offline else 600.0)
        if cached is not None:
            return list(cached)
        if self.offline:
            raise FetchError(f"offline: the tag list of {repo} is not in the cache")
        url = f"{self.api}/repos/{repo}/git/matching-refs/tags/v"
        res = self.http.get(url, headers=self.headers, counter=counter, what=f"{repo} tags")
        if res.status_code >= 400:
            raise FetchError(f"GitHub tags of {repo}: HTTP {res.status_code}")
        tags = [r["ref"].rsplit("/", 1)[-1] for r in res.json()]
        self.cache.put_timed("github-tags", ident, "v", tags)
        return tags

    def raw_file(self, repo: str, tag: str, path: str, sha: str | None, counter: Counter) -> bytes:
        if sha:
            cached = self.cache.get("github", sha, "")
            if cached is not None:
                return cached
        if self.offline:
            raise FetchError(f"offline: {repo}@{tag}:{path} is not in the cache")
        url = f"{self.raw}/{repo}/{tag}/{path}"
        res = self.http.get(url, headers=self.headers, counter=counter, what=f"{repo}@{tag}:{path}",
                            max_bytes=int(limits.MEMBER.value))
        if res.status_code >= 400:
            raise FetchError(f"cannot fetch {repo}@{tag}:{path}: HTTP {res.status_code}")
        data = res.content
        if sha and git_blob_sha(data) != sha:
            raise FetchError(f"{repo}@{tag}:{path} does not match its git blob sha {sha[:12]}")
        if sha:
            self.cache.put("github", sha, "", data)
        return data


class GitHubPart:
    """One repository at one tag, as a Part of a CompositeTree."""

    def __init__(self, client: GitHubClient, dist: str, version: str, counter: Counter) -> None:
        self.client = client
        self.repo, self.top = REPOS[dist]
        self.tag = f"v{version}"
        self.counter = counter
        self.hits = 0
        tree = client.tree(self.repo, self.tag, counter)
        self.shas: dict[str, str] = tree["entries"]
        self.truncated = bool(tree["truncated"])
        self.package = PackageFile(
            name=dist, version=version, file=f"{self.repo}@{self.tag}",
            url=f"{client.raw}/{self.repo}/{self.tag}/",
        )
        self._paths = {p: p for p in self.shas if p.startswith(self.top + "/")}

    def paths(self) -> dict[str, str]:
        return self._paths

    def read(self, key: str) -> bytes:
        sha = self.shas.get(key)
        if sha and self.client.cache.has("github", sha, ""):
            self.hits += 1
        return self.client.raw_file(self.repo, self.tag, key, sha, self.counter)

    def read_many(self, keys: list[str]) -> dict[str, bytes]:
        with ThreadPoolExecutor(max_workers=max(1, min(FETCH_WORKERS, len(keys)))) as pool:
            return dict(zip(keys, pool.map(self.read, keys), strict=True))

    def cache_hits(self) -> int:
        return self.hits

    def fingerprint(self, key: str) -> str | None:
        """The file's git blob sha from the tree listing."""
        sha = self.shas.get(key)
        return f"git:{sha}" if sha else None

    def close(self) -> None:
        return None


class GitHubSource:
    """Opens release trees from GitHub tags; companions from the wheel METADATA or setup.py."""

    def __init__(
        self, client: GitHubClient, *, pypi: PyPISource | None = None,
        index: IndexClient | None = None,
    ) -> None:
        self.client = client
        self.pypi = pypi
        self.index = index

    def open(self, version: str) -> CompositeTree:
        counter = release_counter(f"tensorflow {version}")
        tree = CompositeTree(version, "github", [], counter=counter)
        with tree._timed():
            tf = GitHubPart(self.client, "tensorflow", version, counter)
            tree._add(tf)
            for dist, spec in self._companion_pins(version, tree, counter).items():
                chosen = self._choose(dist, spec, counter)
                if chosen is not None:
                    tree._add(GitHubPart(self.client, dist, chosen, counter))
        return tree

    def _companion_pins(
        self, version: str, tree: CompositeTree, counter: Counter
    ) -> dict[str, str]:
        """dist -> specifier, from the TF wheel METADATA if the index answers, else setup.py."""
        if self.pypi is not None and not self.client.offline:
            try:
                wheel_tree = self.pypi.open(version)
            except FetchError:
                wheel_tree = None
            if wheel_tree is not None:
                meta = wheel_tree.parts[0]
                reqs = companion_requirements(meta.metadata())  # type: ignore[attr-defined]
                counter.add(wheel_tree.counter.requests, wheel_tree.counter.bytes)
                return {n: str(r.specifier) for n, r in reqs.items()}
        from packaging.requirements import InvalidRequirement, Requirement

        pins: dict[str, str] = {}
        for path in SETUP_FILES:
            text = tree.read_text(path)
            if not text:
                continue
            for m in _REQ_STR.finditer(text):
                try:
                    req = Requirement(m.group(1))
                except InvalidRequirement:
                    continue
                pins.setdefault(canonicalize_name(req.name), str(req.specifier))
        return pins

    def _choose(self, dist: str, spec: str, counter: Counter) -> str | None:
        from packaging.requirements import Requirement

        req = Requirement(f"{dist}{spec}")
        versions: list[Version] = []
        if self.index is not None and not self.client.offline:
            try:
                versions = list(self.index.project(dist).releases())
            except FetchError:
                versions = []
        if not versions:
            versions = _parse_versions(self.client.tags(REPOS[dist][0], counter))
        ok = [v for v in versions if req.specifier.contains(v, prereleases=False)]
        return str(max(ok)) if ok else None


def _parse_versions(tags: list[str]) -> list[Version]:
    out = []
    for t in tags:
        try:
            out.append(Version(t.lstrip("v")))
        except InvalidVersion:
            continue
    return out


OpenFn = Callable[[str], CompositeTree]
__all__ = ["GitHubClient", "GitHubPart", "GitHubSource", "git_blob_sha", "Part"]
