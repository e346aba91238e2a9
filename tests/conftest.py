"""Shared fixtures: loopback HTTP server + fake package index, and a session-wide real cache."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from httpserver import FakeIndex, LoopbackServer

from tfinit_audit.sources import SourceContext
from tfinit_audit.sources.composite import CompositeTree
from tfinit_audit.sources.http import Http, make_session
from tfinit_audit.sources.readahead import LATENCY_ENV


@pytest.fixture()
def server() -> Iterator[LoopbackServer]:
    srv = LoopbackServer().start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture()
def index(server: LoopbackServer) -> FakeIndex:
    return FakeIndex(server)


def fast_http() -> Http:
    """Retries with tiny backoff so fault-injection tests stay quick."""
    return Http(make_session(backoff=0.01), backoff=0.01)


@pytest.fixture()
def guess_at_any_speed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Import speculation runs however fast the loopback server answers (it is gated on slow
    round trips): for the tests of what it fetches and of plans against it
    (test_sources_prefetch.py has the tests of the gate itself, which set their own)."""
    monkeypatch.setenv(LATENCY_ENV, "0")


def settle(tree: CompositeTree, timeout: float = 10.0) -> None:
    """Wait until no speculative fetch is queued or running, then cache what was read after
    being fetched ahead."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with tree._lock:
            idle = not tree._inflight
        if idle:  # flushed outside the tree's lock: a worker's flush takes it
            tree.flush()
            return
        time.sleep(0.01)
    raise AssertionError(f"prefetch still running: {sorted(tree._inflight)}")


@pytest.fixture()
def make_ctx(tmp_path: Path, index: FakeIndex):  # type: ignore[no-untyped-def]
    def make(offline: bool = False, cache: Path | None = None) -> SourceContext:
        return SourceContext.create(cache_dir=cache or tmp_path / "cache", index_url=index.url,
                                    offline=offline, http=fast_http())

    return make


@pytest.fixture(scope="session")
def real_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache for every network test of the session (fetch once, reuse)."""
    return tmp_path_factory.mktemp("real-cache")


@pytest.fixture(scope="session")
def real_ctx(real_cache: Path) -> SourceContext:
    return SourceContext.create(cache_dir=real_cache, index_url="https://pypi.org/simple/")


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # type: ignore[no-untyped-def]
    """The figures of the hostile-input tests (tests/faults.py): time and peak memory each."""
    from faults import FIGURES

    if not FIGURES:
        return
    terminalreporter.section("hostile inputs: wall time and peak RSS of the tfinit-audit child")
    for case, seconds, peak, outcome in FIGURES:
        terminalreporter.write_line(f"{case:<52} {seconds:6.1f} s {peak:6.0f} MiB  {outcome}")
