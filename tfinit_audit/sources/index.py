"""Package index client: PEP 691 JSON simple API, PEP 503 HTML as fallback, cached briefly."""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urldefrag, urljoin

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from tfinit_audit.errors import FetchError
from tfinit_audit.sources.cache import Cache
from tfinit_audit.sources.http import Counter, Http

DEFAULT_INDEX_URL = "https://pypi.org/simple/"
INDEX_TTL = 600.0  # seconds an index answer is trusted before asking again
JSON_ACCEPT = (
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, "
    "text/html;q=0.1"
)


def index_url_from_env(explicit: str | None = None) -> str:
    """``--index-url`` beats ``PIP_INDEX_URL`` beats the public index; always ends with '/'."""
    url = explicit or os.environ.get("PIP_INDEX_URL") or DEFAULT_INDEX_URL
    return url if url.endswith("/") else url + "/"


@dataclass
class IndexFile:
    """One file of a project as the index lists it."""

    filename: str
    url: str
    sha256: str | None = None
    size: int | None = None
    yanked: bool = False
    requires_python: str | None = None
    version: Version | None = None
    is_wheel: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "filename": self.filename,
            "url": self.url,
            "sha256": self.sha256,
            "size": self.size,
            "yanked": self.yanked,
            "requires_python": self.requires_python,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> IndexFile:
        f = cls(
            filename=d["filename"],
            url=d["url"],
            sha256=d.get("sha256"),
            size=d.get("size"),
            yanked=bool(d.get("yanked")),
            requires_python=d.get("requires_python"),
        )
        f.version, f.is_wheel = _version_of(f.filename)
        return f


@dataclass
class Project:
    """All files of one distribution, grouped by release."""

    name: str
    files: list[IndexFile] = field(default_factory=list)

    _releases: dict[Version, list[IndexFile]] | None = field(default=None, repr=False)

    def releases(self) -> dict[Version, list[IndexFile]]:
        if self._releases is None:
            out: dict[Version, list[IndexFile]] = {}
            for f in self.files:
                if f.version is not None:
                    out.setdefault(f.version, []).append(f)
            self._releases = out
        return self._releases

    def yanked_versions(self) -> set[Version]:
        """Releases whose every file is yanked."""
        return {v for v, fs in self.releases().items() if all(f.yanked for f in fs)}


class IndexClient:
    """Asks one index about projects; answers cached on disk for ``ttl`` seconds."""

    def __init__(
        self,
        index_url: str | None = None,
        *,
        http: Http | None = None,
        cache: Cache | None = None,
        offline: bool = False,
        ttl: float = INDEX_TTL,
        counter: Counter | None = None,
    ) -> None:
        self.index_url = index_url_from_env(index_url)
        self.http = http or Http()
        self.cache = cache
        self.offline = offline
        self.ttl = ttl
        self.counter = counter or Counter()
        self._memo: dict[str, Project] = {}

    def project(self, name: str) -> Project:
        key = canonicalize_name(name)
        if key in self._memo:
            return self._memo[key]
        url = urljoin(self.index_url, key + "/")
        cached = None
        if self.cache is not None:
            ttl = None if self.offline else self.ttl
            cached = self.cache.get_fresh("index", self.index_url, key, ttl)
        if cached is not None:
            project = Project(key, [IndexFile.from_json(d) for d in cached])
        elif self.offline:
            raise FetchError(
                f"offline: no cached index answer for {key!r} from {self.index_url} "
                "(run once without --offline to fill the cache)"
            )
        else:
            project = self._fetch(key, url)
            if self.cache is not None:
                self.cache.put_timed(
                    "index", self.index_url, key, [f.to_json() for f in project.files]
                )
        self._memo[key] = project
        return project

    def _fetch(self, key: str, url: str) -> Project:
        res = self.http.get(
            url, headers={"Accept": JSON_ACCEPT}, counter=self.counter, what=f"index page {url}"
        )
        if res.status_code == 404:
            raise FetchError(f"the index {self.index_url} has no project {key!r}")
        if res.status_code >= 400:
            raise FetchError(f"index {url} answered HTTP {res.status_code}")
        ctype = res.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if ctype.endswith("json"):
            try:
                files = parse_json_page(res.json(), url)
            except (ValueError, KeyError, TypeError) as exc:
                raise FetchError(f"index {url} sent malformed JSON: {exc}") from exc
        else:
            files = parse_html_page(res.text, res.url or url)
        return Project(key, files)


def safe_filename(name: str) -> bool:
    """A plain file name (no directory part, not hidden): an index entry named ``../x.whl`` is
    skipped, as no release file can be called that."""
    return bool(name) and not name.startswith(".") and not any(c in name for c in "/\\\0")


def parse_json_page(data: dict[str, Any], base_url: str) -> list[IndexFile]:
    """Files of a PEP 691 JSON project page (entries without a plain file name are skipped)."""
    out = []
    for d in data["files"]:
        if not isinstance(d.get("filename"), str) or not safe_filename(d["filename"]):
            continue
        f = IndexFile(
            filename=d["filename"],
            url=d["url"] if d["url"].startswith(("https://", "http://")) else urljoin(
                base_url, d["url"]
            ),
            sha256=(d.get("hashes") or {}).get("sha256"),
            size=d.get("size") if isinstance(d.get("size"), int) else None,
            yanked=bool(d.get("yanked")),
            requires_python=d.get("requires-python"),
        )
        f.version, f.is_wheel = _version_of(f.filename)
        out.append(f)
    return out


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[dict[str, str | None], str]] = []
        self._cur: dict[str, str | None] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._cur = dict(attrs)
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._cur is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._cur is not None:
            self.links.append((self._cur, "".join(self._text).strip()))
            self._cur = None


def parse_html_page(text: str, base_url: str) -> list[IndexFile]:
    """Files of a PEP 503 HTML project page (sha256 from the URL fragment; entries without a
    plain file name are skipped)."""
    parser = _Anchors()
    parser.feed(text)
    out = []
    for attrs, label in parser.links:
        href = attrs.get("href")
        if not href:
            continue
        full = urljoin(base_url, href)
        url, frag = urldefrag(full)
        m = re.match(r"sha256=([0-9a-fA-F]{64})$", frag or "")
        filename = label or url.rsplit("/", 1)[-1]
        if not safe_filename(filename):
            continue
        f = IndexFile(
            filename=filename,
            url=url,
            sha256=m.group(1).lower() if m else None,
            yanked="data-yanked" in attrs,
            requires_python=attrs.get("data-requires-python"),
        )
        f.version, f.is_wheel = _version_of(filename)
        out.append(f)
    return out


@functools.lru_cache(maxsize=4096)
def _version(text: str) -> Version:
    """Version objects shared between the many files of one release (1,700+ for tensorflow)."""
    return Version(text)


def _version_of(filename: str) -> tuple[Version | None, bool]:
    try:
        if filename.endswith(".whl"):
            parts = filename.split("-")
            if len(parts) in (5, 6):  # name-ver[-build]-py-abi-plat.whl; full parse not needed
                return _version(parts[1]), True
            return parse_wheel_filename(filename)[1], True
        return parse_sdist_filename(filename)[1], False
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None, filename.endswith(".whl")
