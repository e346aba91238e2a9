"""Version specs (``1.8``, ``1.8.0``, ``2.x``, ``>=1.8,<1.11``, ``~=2.15.0``, ``latest``, ``all``,
``installed[:PY]``) -> releases.

Rules: a prefix (``1.8``, ``2``, ``2.x``, ``2.15.*``) means the newest *final*, non-yanked
release under it; a full version (``1.8.0``, ``2.16.0rc0``) is taken exactly, even if it is a
pre-release or yanked; a PEP 440 specifier set, the way pip users write ranges (``>=1.8,<1.11``,
``~=2.15.0``, ``==2.15.*``, ``!=1.9.0``), means *every* final non-yanked release it admits, oldest
first; ``latest`` is the newest final non-yanked release; ``all`` every one of them;
``installed`` is whatever the current (or given) interpreter has installed.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from tfinit_audit.errors import UsageError
from tfinit_audit.sources.index import IndexClient
from tfinit_audit.sources.local import installed_release
from tfinit_audit.startup import _OPERATORS

DISTRIBUTION = "tensorflow"
_PREFIX = re.compile(r"^(\d+)(?:\.(\d+))?(?:\.(?:x|\*))?$", re.IGNORECASE)


@dataclass(frozen=True)
class Release:
    """A concrete release chosen for what the user asked."""

    requested: str  # what the user typed: "1.8"
    version: str  # concrete release: "1.8.0"
    python: str | None = None  # interpreter, for "installed[:PYTHON]"


def is_installed_spec(spec: str) -> bool:
    return spec == "installed" or spec.startswith("installed:")


def resolve_versions(
    specs: list[str], index: IndexClient | None, *, distribution: str = DISTRIBUTION
) -> list[Release]:
    """Concrete releases for ``specs`` in the order asked, without duplicates."""
    out: list[Release] = []
    seen: set[str] = set()
    needs_index = [s for s in specs if not is_installed_spec(s.strip())]
    available: list[Version] = []
    yanked: set[Version] = set()
    if needs_index:
        if index is None:
            raise UsageError("version specs other than 'installed' need a package index")
        project = index.project(distribution)
        available = sorted(project.releases())
        yanked = project.yanked_versions()
    for raw in specs:
        spec = raw.strip()
        if not spec:
            raise UsageError("empty version spec")
        if is_installed_spec(spec):
            python = spec.split(":", 1)[1] if ":" in spec else None
            version = installed_release(python)
            chosen = [Release(spec, version, python or "")]
        else:
            chosen = [Release(spec, str(v)) for v in resolve_spec(spec, available, yanked)]
        for rel in chosen:
            key = f"{rel.version}@{rel.python}"
            if key not in seen:
                seen.add(key)
                out.append(rel)
    return out


def resolve_spec(spec: str, available: list[Version], yanked: set[Version]) -> list[Version]:
    """Pure resolution of one spec against the releases an index lists."""
    finals = sorted(v for v in available if not v.is_prerelease and not v.is_devrelease)
    usable = [v for v in finals if v not in yanked]
    low = spec.lower()
    if low == "latest":
        if not usable:
            raise UsageError("the index lists no final release")
        return [usable[-1]]
    if low == "all":
        if not usable:
            raise UsageError("the index lists no final release")
        return usable
    if spec[:1] in _OPERATORS or "," in spec:
        return _resolve_range(spec, finals, usable, available)
    m = _PREFIX.match(spec)
    if m is not None:
        prefix = tuple(int(g) for g in m.groups() if g is not None)
        hits = [v for v in usable if v.release[: len(prefix)] == prefix]
        if hits:
            return [hits[-1]]
        yanked_hits = [v for v in finals if v in yanked and v.release[: len(prefix)] == prefix]
        extra = f" (only yanked: {', '.join(map(str, yanked_hits[-3:]))})" if yanked_hits else ""
        raise UsageError(
            f"no final release matches {spec!r}{extra}; closest: {closest(spec, available)}"
        )
    try:
        want = Version(spec)
    except InvalidVersion:
        raise UsageError(
            f"bad version spec {spec!r}: use e.g. 1.8, 1.8.0, 2.x, '>=1.8,<1.11', latest, all, "
            "installed"
        ) from None
    for v in available:
        if v == want:
            return [v]
    raise UsageError(f"no release {spec!r} on the index; closest: {closest(spec, available)}")


def _resolve_range(spec: str, finals: list[Version], usable: list[Version],
                   available: list[Version]) -> list[Version]:
    """Every final, non-yanked release a PEP 440 specifier set admits, oldest first."""
    try:
        wanted = SpecifierSet(spec)
    except InvalidSpecifier:
        raise UsageError(
            f"bad version range {spec!r}: write it as pip does, e.g. '>=1.8,<1.11' or "
            "'~=2.15.0'"
        ) from None
    hits = [v for v in usable if wanted.contains(v, prereleases=False)]
    if hits:
        return hits
    yanked_hits = [v for v in finals if v not in usable and wanted.contains(v)]
    extra = f" (only yanked: {', '.join(map(str, yanked_hits[-3:]))})" if yanked_hits else ""
    first = next((s.version for s in wanted if s.operator in (">=", ">", "~=", "==")), spec)
    raise UsageError(
        f"no final release matches {spec!r}{extra}; closest: {closest(first, available)}"
    )


def closest(spec: str, available: list[Version], n: int = 4) -> str:
    """The releases around where ``spec`` would sort, finals preferred, as one short string."""
    finals = sorted(v for v in available if not v.is_prerelease and not v.is_devrelease)
    pool = finals or sorted(available)
    if not pool:
        return "(no releases listed)"
    try:
        key = Version(re.sub(r"\.(x|\*)$", "", spec, flags=re.IGNORECASE))
    except InvalidVersion:
        return ", ".join(str(v) for v in pool[-n:])
    i = bisect.bisect_left(pool, key)
    lo = max(0, min(i - n // 2, len(pool) - n))
    return ", ".join(str(v) for v in pool[lo : lo + n])
