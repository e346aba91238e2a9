"""Read plans: what the analysis of a release read, so the next release of its family can fetch
it all at once, before the analysis asks.

Why: the analysis discovers the files it needs one at a time (an import leads to a module whose
import leads to the next), so a cold release without a plan is a chain of ~25 round trips even
with import-scan speculation, and that speculation fetches 2-5 times the bytes used (it cannot
know which of a module's imports the lazy analysis will follow). Releases of one family read
nearly the same files: 1.10.1 reads 78 of the 86 files 1.8.0 read that exist in it, a patch
release nearly all of its neighbour's.

Learnt from the content only: a plan is the list of files a successful analysis read, in the
order it read them, recorded per *family* (the set of distributions the release is made of,
from its wheels' metadata: ``tensorflow`` alone, or ``keras`` + ``tensorflow``). A release
replays the plan of the nearest release of its family (in version order, the older one on a
tie) of which at least half the files exist in it -- a layout change such as ``tensorflow_core``
makes the old plan's files absent and the plan is not used. Only the files that exist are
fetched, in coalesced range requests. Answers never depend on a plan: it only decides what is
fetched early. A plan is stored only for a release whose analysis succeeded.

Stored in the cache (kind ``plans``): one entry per family, ``{release: [path, ...]}``, merged
under the cache's inter-process lock, so runs in other processes learn from each other too.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from tfinit_audit.sources.cache import Cache

NS = "plans"
MIN_PRESENT = 0.5  # a plan is used when at least this share of its files exist in the release
MAX_PATHS = 5000  # a plan longer than this is cut (a real release reads 100-300 files)


@dataclass(frozen=True)
class Plan:
    release: str  # the release whose analysis read these files
    paths: list[str]  # in the order first read


def family_of(distributions: Sequence[str]) -> str:
    """The family key: the distributions a release is made of, canonical names, sorted."""
    return ",".join(sorted({canonicalize_name(d) for d in distributions}))


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


class PlanBook:
    """The plans stored in one cache."""

    def __init__(self, cache: Cache) -> None:
        self.cache = cache

    def plans(self, family: str) -> dict[str, list[str]]:
        raw = self.cache.get_json(NS, family, "plans")
        if not isinstance(raw, dict):
            return {}
        return {str(k): [str(p) for p in v] for k, v in raw.items() if isinstance(v, list)}

    def choose(self, family: str, release: str, has: Callable[[str], bool]) -> Plan | None:
        """The plan to replay for ``release``: its own if recorded, else the nearest release's
        of the family with at least ``MIN_PRESENT`` of its files in this one (``has``)."""
        plans = self.plans(family)
        if release in plans:
            return Plan(release, plans[release])
        me = _version(release)
        if me is None:
            return None
        usable: list[tuple[Version, str]] = []
        for rel, paths in plans.items():
            v = _version(rel)
            if v is None or not paths:
                continue
            present = sum(1 for p in paths if has(p))
            if present >= MIN_PRESENT * len(paths):
                usable.append((v, rel))
        if not usable:
            return None
        best = min(usable, key=lambda vr: (_distance(vr[0], me), vr[0] > me, vr[0]))
        return Plan(best[1], plans[best[1]])

    def record(self, family: str, release: str, paths: Sequence[str]) -> None:
        """Add ``paths`` to the plan of ``release`` (what its analyses read, whatever the
        symbols asked: in the order first read, at most ``MAX_PATHS``)."""
        if not paths:
            return
        with self.cache.lock(NS, family):
            plans = self.plans(family)
            old = plans.get(release, [])
            merged = list(dict.fromkeys([*old, *paths]))[:MAX_PATHS]
            if merged == old:
                return
            plans[release] = merged
            self.cache.put_json(NS, family, "plans", plans)


def _distance(a: Version, b: Version) -> tuple[int, ...]:
    """How far apart two releases are: the difference of each part of the release number,
    major first (2.14.0 is nearer 2.15.1 than 2.0.0; 2.1.0 nearer 2.0.0 than 2.15.1)."""
    n = max(len(a.release), len(b.release), 3)
    ra, rb = (v.release + (0,) * (n - len(v.release)) for v in (a, b))
    return (*(abs(x - y) for x, y in zip(ra, rb, strict=True)), int(a.is_prerelease))


class LiveReads:
    """Release trees being read in this process at the same time, by cache and family. A tree
    without a plan of its own follows the nearest release of its family being read (and that
    one follows it back, if it follows nobody): each file one of them reads first, the other
    fetches too, if it has it. Within a run of several releases of one family this is the plan
    being made as they go."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._trees: dict[tuple[str, str], list[weakref.ref[Any]]] = {}

    def join(self, tree: Any) -> None:
        """``tree``: a CompositeTree with ``plans`` and ``family`` set."""
        key = (str(tree.plans.cache.root), tree.family)
        with self._lock:
            refs = [r for r in self._trees.get(key, []) if _alive(r)]
            peers: list[Any] = [r() for r in refs]
            refs.append(weakref.ref(tree))
            self._trees[key] = refs
            best = _nearest(tree.release, [p for p in peers if p.release != tree.release])
            if best is None:
                return
            tree.leader = best.release
            best._followers.append(weakref.ref(tree))
            back = best.leader is None and best.plan_from is None
            if back:
                best.leader = tree.release
                tree._followers.append(weakref.ref(best))
        if tree.plan_from is None:
            tree.plan_from = best.release
        tree._fetch_planned(list(best._order))  # what it read before we came
        if back:
            if best.plan_from is None:
                best.plan_from = tree.release
            best._fetch_planned(list(tree._order))


def _nearest(release: str, trees: list[Any]) -> Any:
    """The tree of the release nearest ``release`` (the older on a tie), or None."""
    me = _version(release)
    cands = [(v, t) for t in trees if (v := _version(t.release)) is not None]
    if me is None or not cands:
        return None
    return min(cands, key=lambda vt: (_distance(vt[0], me), vt[0] > me, vt[0]))[1]


def _alive(ref: weakref.ref[Any]) -> bool:
    tree = ref()
    return tree is not None and not tree._done


LIVE = LiveReads()
