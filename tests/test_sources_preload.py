"""Preloading a first run's Python files (``RemoteWheel.preload``, ``ReadAhead._preload_python``)
against a real loopback index: with no read plan for the family, every Python member of a
remote wheel is fetched at once in a few large requests, kept as fetched and inflated only when
read; what was not read is never cached; it is skipped when the cache holds any of them, when
it would take more than a quarter of the release's byte budget, offline and with
TFINIT_AUDIT_NO_PREFETCH; a failed request only means its members are read on their own; and
reads return the same bytes with and without it. On the real index: the stats of a cold audit."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from conftest import fast_http
from httpserver import FakeIndex, LoopbackServer, Published
from test_sources_prefetch import GRAPH, graph_files, offsets

from tfinit_audit.sources import SourceContext, open_tree
from tfinit_audit.sources.base import FetchStats
from tfinit_audit.sources.composite import NO_PREFETCH_ENV, CompositeTree
from tfinit_audit.sources.http import BODY_ATTEMPTS
from tfinit_audit.sources.wheel import TAIL_BYTES

PADDED = {p: t + "# " + "x" * 200 + "\n" for p, t in GRAPH.items()}  # as graph_files writes


@pytest.fixture()
def gpub(index: FakeIndex) -> Published:
    return index.add("tensorflow", "1.8.0", graph_files(), filler=600_000)


def ctx_for(index: FakeIndex, cache: Path, offline: bool = False) -> SourceContext:
    return SourceContext.create(cache_dir=cache, index_url=index.url, offline=offline,
                                http=fast_http())


def wheel_log(server: LoopbackServer, pub: Published) -> list[str]:
    return [e.range or "" for e in server.state.requests_for(f"/files/{pub.filename}")]


def wait_preloaded(tree: CompositeTree, timeout: float = 10.0) -> None:
    """Until every preload request of the tree's wheels has run."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(part.wheel._spans.settled() for part in tree.parts):  # type: ignore[attr-defined]
            return
        time.sleep(0.01)
    raise AssertionError("preload still running")


def test_first_run_preloads_every_python_file_and_caches_only_what_is_read(
    gpub: Published, index: FakeIndex, server: LoopbackServer, tmp_path: Path
) -> None:
    tree = open_tree("pypi", "1.8.0", ctx=ctx_for(index, tmp_path))
    opened = len(wheel_log(server, gpub))  # the tail read, with the directory
    tree.start_plan()  # no plan: a first run
    wait_preloaded(tree)
    preload = wheel_log(server, gpub)[opened:]
    offs = offsets(gpub)
    first = min(offs[p][0] for p in GRAPH)
    last = max(offs[p][1] for p in GRAPH)
    assert 1 <= len(preload) <= 2  # members 20 KB apart: one or two requests cover them
    assert preload[0] == f"bytes={first}-{min(last - 1, int(preload[0].split('-')[1]))}"
    read = ["tensorflow/__init__.py", "tensorflow/python/ops/init_ops.py"]
    for p in read:
        assert tree.read_text(p) == PADDED[p]
    assert len(wheel_log(server, gpub)) == opened + len(preload)  # no request of their own
    stats = tree.refresh_stats()
    assert stats.prefetched == len(GRAPH) and stats.prefetch_used == len(read)
    assert stats.prefetch_bytes == sum(int(b) - int(a) + 1 for a, b in
                                       (r[6:].split("-") for r in preload))
    assert stats.prefetch_used_bytes == sum(offs[p][1] - offs[p][0] for p in read)
    tree.end_plan(True)
    wheel = tree.parts[0].wheel
    assert len(wheel._spans) == 0  # let go of at the end of the analysis
    cached = {p for p in GRAPH if wheel.is_cached(p)}
    assert cached == set(read)  # fetched ahead and never read: not cached
    # after the end, a file not read yet is fetched on its own, as without a preload
    assert tree.read_text("tensorflow/python/unrelated.py") == PADDED[
        "tensorflow/python/unrelated.py"]
    assert len(wheel_log(server, gpub)) == opened + len(preload) + 1


def test_reads_are_the_same_with_and_without_preload(
    gpub: Published, index: FakeIndex, server: LoopbackServer, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with_it = open_tree("pypi", "1.8.0", ctx=ctx_for(index, tmp_path / "a"))
    with_it.start_plan()
    got = {p: with_it.read_bytes(p) for p in GRAPH}  # some while the preload is in flight
    monkeypatch.setenv(NO_PREFETCH_ENV, "1")
    without = open_tree("pypi", "1.8.0", ctx=ctx_for(index, tmp_path / "b"))
    without.start_plan()
    assert got == {p: without.read_bytes(p) for p in GRAPH}
    assert got == {p: PADDED[p].encode() for p in GRAPH}
    assert without.refresh_stats().prefetched == 0


def test_no_preload_with_a_member_cached_over_budget_or_offline(
    gpub: Published, index: FakeIndex, server: LoopbackServer, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # an earlier run read a file (its plan is gone): what it read is likely what is read now
    warm = open_tree("pypi", "1.8.0", ctx=ctx_for(index, tmp_path / "c"))
    assert warm.read_text("tensorflow/__init__.py") is not None
    tree = open_tree("pypi", "1.8.0", ctx=ctx_for(index, tmp_path / "c"))
    mark = len(wheel_log(server, gpub))
    tree.start_plan()
    assert tree.refresh_stats().prefetched == 0
    assert len(wheel_log(server, gpub)) == mark
    offline = open_tree("pypi", "1.8.0", ctx=ctx_for(index, tmp_path / "c", offline=True))
    offline.start_plan()
    assert offline.refresh_stats().prefetched == 0
    # the requests would take more than a quarter of what is left of the byte budget
    offs = offsets(gpub)
    need = max(offs[p][1] for p in GRAPH) - min(offs[p][0] for p in GRAPH)
    monkeypatch.setenv("TFINIT_AUDIT_MAX_RELEASE_BYTES", str(TAIL_BYTES + 4 * need - 4))
    small = open_tree("pypi", "1.8.0", ctx=ctx_for(index, tmp_path / "d"))
    assert small.counter.asked == TAIL_BYTES  # the directory's read, so far
    small.start_plan()
    assert small.refresh_stats().prefetched == 0
    assert small.read_text("tensorflow/__init__.py") is not None  # the budget is not spent
    monkeypatch.setenv("TFINIT_AUDIT_MAX_RELEASE_BYTES", str(TAIL_BYTES + 4 * need))
    roomy = open_tree("pypi", "1.8.0", ctx=ctx_for(index, tmp_path / "e"))
    roomy.start_plan()
    assert roomy.refresh_stats().prefetched == len(GRAPH)


def test_a_failed_preload_request_leaves_reads_to_themselves(
    gpub: Published, index: FakeIndex, server: LoopbackServer, tmp_path: Path
) -> None:
    tree = open_tree("pypi", "1.8.0", ctx=ctx_for(index, tmp_path))
    opened = len(wheel_log(server, gpub))
    # every try of the preload's request breaks off mid-body (then the host is well again)
    server.state.truncate_next[f"/files/{gpub.filename}"] = BODY_ATTEMPTS
    tree.start_plan()
    wait_preloaded(tree)
    assert len(wheel_log(server, gpub)) - opened == BODY_ATTEMPTS
    for p in GRAPH:
        assert tree.read_text(p) == PADDED[p]
    stats = tree.refresh_stats()
    assert stats.prefetch_used == 0 and stats.prefetch_bytes == 0
    assert len(wheel_log(server, gpub)) - opened == BODY_ATTEMPTS + len(GRAPH)


@pytest.mark.network
@pytest.mark.slow
def test_a_cold_audit_of_a_real_release_preloads_and_answers_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    import tfinit_audit
    from tfinit_audit.report.model import _plain

    def cold(cache: Path) -> tuple[FetchStats, list[Any]]:
        rep = tfinit_audit.audit("1.8.0", cache_dir=cache, jobs=1)
        (v,) = rep.versions
        assert v.status == "ok", v.error
        return v.fetch, [_plain(s) for s in v.symbols]

    stats, answers = cold(tmp_path / "a")
    # every Python file of the wheel (1,822) in a few dozen requests, ~150 of them read
    assert stats.prefetched > 1500 and 100 < stats.prefetch_used < 300
    assert stats.requests < 60 and stats.plan_from is None
    monkeypatch.setenv(NO_PREFETCH_ENV, "1")
    plain, plain_answers = cold(tmp_path / "b")
    assert plain.prefetched == 0 and plain.requests > 100
    assert answers == plain_answers
