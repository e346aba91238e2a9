"""Speculative import prefetch of the PyPI tree, against a real loopback server: it happens,
is bounded (depth, cap), never fetches a member twice, stays out of offline and local trees,
never changes what a read returns, and waits for round trips to be slow."""

from __future__ import annotations

import io
import os
import random
import re
import threading
import time
import zipfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import fast_http, settle
from httpserver import FakeIndex, LoopbackServer, Published

from tfinit_audit.errors import FetchError
from tfinit_audit.sources import SourceContext, open_tree
from tfinit_audit.sources.composite import NO_PREFETCH_ENV
from tfinit_audit.sources.imports import imported_files, scan_imports
from tfinit_audit.sources.local import open_dir
from tfinit_audit.sources.readahead import LATENCY_ENV

pytestmark = pytest.mark.usefixtures("guess_at_any_speed")

# A small import graph; imports of tensorflow/__init__.py are "depth 1", those of init_ops.py
# only become candidates once init_ops.py itself is read.
GRAPH: dict[str, str] = {
    "tensorflow/__init__.py": (
        "from tensorflow.python import ops as _ops\n"
        "from tensorflow.python.ops import init_ops\n"
        "import tensorflow.python.util.tf_export\n"
    ),
    "tensorflow/python/__init__.py": "from . import ops\n",
    "tensorflow/python/ops/__init__.py": "",
    "tensorflow/python/ops/init_ops.py": (
        "from .math_ops import add\n"
        "from ..util import deprecation\n"
        "def glorot_uniform_initializer():\n    return add(1, 2)\n"
    ),
    "tensorflow/python/ops/math_ops.py": "def add(a, b):\n    return a + b\n",
    "tensorflow/python/util/__init__.py": "",
    "tensorflow/python/util/deprecation.py": "def deprecated():\n    pass\n",
    "tensorflow/python/util/tf_export.py": "def tf_export(*names):\n    pass\n",
    "tensorflow/python/unrelated.py": "X = 1\n",
}
DEPTH1 = ["tensorflow/python/__init__.py", "tensorflow/python/ops/__init__.py",
          "tensorflow/python/ops/init_ops.py", "tensorflow/python/util/__init__.py",
          "tensorflow/python/util/tf_export.py"]
DEPTH2 = ["tensorflow/python/ops/math_ops.py", "tensorflow/python/util/deprecation.py"]


def graph_files() -> dict[str, bytes | str]:
    """GRAPH with 20 KB of incompressible padding between members, so no two modules share a
    coalesced range and each request can be attributed to one member."""
    out: dict[str, bytes | str] = {}
    for i, (path, text) in enumerate(GRAPH.items()):
        out[path] = text + "# " + "x" * 200 + "\n"
        out[f"tensorflow/_pad/p{i}.bin"] = os.urandom(20_000)
    return out


@pytest.fixture()
def gpub(index: FakeIndex) -> Published:
    return index.add("tensorflow", "1.8.0", graph_files(), filler=600_000)  # > the tail read


def offsets(pub: Published) -> dict[str, tuple[int, int]]:
    """Member -> (local header offset, next member's offset) in the published wheel."""
    with zipfile.ZipFile(io.BytesIO(pub.data)) as zf:
        infos = sorted(zf.infolist(), key=lambda i: i.header_offset)
        ends = [i.header_offset for i in infos[1:]] + [zf.start_dir]
        return {i.filename: (i.header_offset, e) for i, e in zip(infos, ends, strict=True)}


def requests_covering(server: LoopbackServer, pub: Published, member: str) -> int:
    start, _ = offsets(pub)[member]
    n = 0
    for entry in server.state.requests_for(f"/files/{pub.filename}"):
        m = re.fullmatch(r"bytes=(\d+)-(\d+)", entry.range or "")
        if m and int(m.group(1)) <= start <= int(m.group(2)):
            n += 1
    return n


def ctx_for(index: FakeIndex, cache: Path, offline: bool = False) -> SourceContext:
    return SourceContext.create(cache_dir=cache, index_url=index.url, offline=offline,
                                http=fast_http())


# -- the scanner ------------------------------------------------------------------------------
def test_scan_imports_forms() -> None:
    text = (
        "import a.b.c as d, e\n"
        "from f.g import (h,\n    i as j)\n"
        "from . import k\n"
        "from ..m import n  # comment\n"
        "from .p import *\n"
        "try:\n    import q.r\nexcept ImportError:\n    pass\n"
    )
    got = list(scan_imports(text, "pkg/sub/mod.py"))
    assert got == [("a.b.c", ""), ("e", ""), ("f.g", "h"), ("f.g", "i"), ("pkg.sub", "k"),
                   ("pkg.m", "n"), ("pkg.sub.p", "")]
    assert ("q.r", "") in list(scan_imports(text, "pkg/sub/mod.py", indented=True))
    # relative imports in a package's __init__ resolve against the package itself
    assert list(scan_imports("from .x import y\n", "pkg/__init__.py")) == [("pkg.x", "y")]
    assert list(scan_imports("from ... import z\n", "pkg/mod.py")) == []  # beyond the top


def test_imported_files_loads_parent_packages_and_submodules() -> None:
    have = set(GRAPH)
    got = imported_files(GRAPH["tensorflow/__init__.py"], "tensorflow/__init__.py",
                         have.__contains__)
    assert got == DEPTH1  # order of appearance; parents' __init__.py; `from x import mod`
    got = imported_files(GRAPH["tensorflow/python/ops/init_ops.py"],
                         "tensorflow/python/ops/init_ops.py", have.__contains__)
    assert set(got) == {"tensorflow/__init__.py", "tensorflow/python/__init__.py",
                        "tensorflow/python/ops/__init__.py", "tensorflow/python/util/__init__.py",
                        *DEPTH2}


# -- prefetch on the loopback index --------------------------------------------------------------
def test_prefetch_fetches_imports_once_and_only_one_level(
    gpub: Published, index: FakeIndex, server: LoopbackServer, tmp_path: Path
) -> None:
    tree = open_tree("pypi", "1.8.0", ctx=ctx_for(index, tmp_path))
    assert tree.speculate
    assert tree.read_text("tensorflow/__init__.py") == GRAPH["tensorflow/__init__.py"] + (
        "# " + "x" * 200 + "\n")
    settle(tree)
    for p in DEPTH1:  # fetched in the background, before anyone asked
        assert requests_covering(server, gpub, p) == 1, p
    for p in [*DEPTH2, "tensorflow/python/unrelated.py"]:  # not imported by a file read
        assert requests_covering(server, gpub, p) == 0, p
    before = len(server.state.log)
    for p in DEPTH1:
        assert tree.read_text(p) is not None
    assert len(server.state.log) == before  # served from what the prefetch fetched
    settle(tree)  # reading init_ops.py scheduled its own imports
    for p in DEPTH2:
        assert requests_covering(server, gpub, p) == 1, p
        assert tree.read_text(p) is not None
    for p in GRAPH:
        assert requests_covering(server, gpub, p) <= 1, p
    stats = tree.refresh_stats()
    assert stats.prefetched == len(DEPTH1) + len(DEPTH2)
    assert stats.prefetch_used == len(DEPTH1) + len(DEPTH2)
    assert stats.files == 1 + len(DEPTH1) + len(DEPTH2)
    # honest stats: every request the server saw for the wheel is in the tree's counter
    assert stats.requests == len(server.state.requests_for(f"/files/{gpub.filename}"))


def test_read_waits_for_a_fetch_in_flight(
    gpub: Published, index: FakeIndex, server: LoopbackServer, tmp_path: Path
) -> None:
    tree = open_tree("pypi", "1.8.0", ctx=ctx_for(index, tmp_path))
    server.state.delay = 0.3  # every range request takes 0.3 s from now on
    tree.read_text("tensorflow/__init__.py")
    # its imports are in flight (or queued) now; many readers of one of them at once
    target = "tensorflow/python/ops/init_ops.py"
    with ThreadPoolExecutor(8) as pool:
        texts = list(pool.map(lambda _: tree.read_text(target), range(8)))
    assert all(t == texts[0] and t and t.startswith("from .math_ops") for t in texts)
    settle(tree)
    assert requests_covering(server, gpub, target) == 1
    for p in DEPTH1:
        assert requests_covering(server, gpub, p) == 1, p


def test_concurrent_readers_without_prefetch_fetch_once(
    gpub: Published, index: FakeIndex, server: LoopbackServer, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(NO_PREFETCH_ENV, "1")
    tree = open_tree("pypi", "1.8.0", ctx=ctx_for(index, tmp_path))
    server.state.delay = 0.2
    target = "tensorflow/python/ops/math_ops.py"
    barrier = threading.Barrier(6)

    def read(_: int) -> str | None:
        barrier.wait()
        return tree.read_text(target)

    with ThreadPoolExecutor(6) as pool:
        assert len(set(pool.map(read, range(6)))) == 1
    assert requests_covering(server, gpub, target) == 1


def test_cap_bounds_speculative_bytes(
    gpub: Published, index: FakeIndex, server: LoopbackServer, tmp_path: Path
) -> None:
    tree = open_tree("pypi", "1.8.0", ctx=ctx_for(index, tmp_path))
    offs = offsets(gpub)
    one = max(offs[p][1] - offs[p][0] for p in DEPTH1)
    tree.speculate_cap = 2 * one  # room for two of the five imports at most
    mark = len(server.state.log)
    tree.read_text("tensorflow/__init__.py")
    settle(tree)
    demanded = offs["tensorflow/__init__.py"][0]
    spec_bytes = 0
    for entry in server.state.log[mark:]:
        m = re.fullmatch(r"bytes=(\d+)-(\d+)", entry.range or "")
        assert m, entry
        a, b = int(m.group(1)), int(m.group(2))
        if not a <= demanded <= b:  # not the read itself: speculation
            spec_bytes += b - a + 1
    assert 0 < spec_bytes <= 2 * one
    assert 1 <= tree.refresh_stats().prefetched < len(DEPTH1)
    # the rest is read on demand, correctly
    for p in DEPTH1:
        assert tree.read_text(p) is not None


def test_no_prefetch_env_turns_it_off(
    gpub: Published, index: FakeIndex, server: LoopbackServer, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(NO_PREFETCH_ENV, "1")
    tree = open_tree("pypi", "1.8.0", ctx=ctx_for(index, tmp_path))
    assert not tree.speculate
    tree.read_text("tensorflow/__init__.py")
    time.sleep(0.3)
    for p in DEPTH1:
        assert requests_covering(server, gpub, p) == 0
    assert tree.refresh_stats().prefetched == 0 and tree._workers is None


def test_offline_and_warm_trees_do_not_speculate(
    gpub: Published, index: FakeIndex, server: LoopbackServer, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    warm = open_tree("pypi", "1.8.0", ctx=ctx_for(index, cache))
    warm.read_text("tensorflow/__init__.py")
    settle(warm)
    assert warm.read_text("tensorflow/python/ops/init_ops.py") is not None  # prefetched, read
    settle(warm)  # its imports fetched ahead; and it is cached (a worker does it after the read)
    # offline: what is cached reads; what is not says so, prefetch or not
    off = open_tree("pypi", "1.8.0", ctx=ctx_for(index, cache, offline=True))
    before = len(server.state.log)
    assert off.read_text("tensorflow/__init__.py") is not None
    assert off.read_text("tensorflow/python/ops/init_ops.py") is not None  # read ahead and read
    with pytest.raises(FetchError, match="offline"):
        off.read_text("tensorflow/python/ops/math_ops.py")
    with pytest.raises(FetchError, match="offline"):  # read ahead, never read: not cached
        off.read_text("tensorflow/python/util/tf_export.py")
    assert len(server.state.log) == before
    assert off.refresh_stats().prefetched == 0 and off._workers is None
    # online but warm: a file read from the cache starts no speculation
    again = open_tree("pypi", "1.8.0", ctx=ctx_for(index, cache))
    before = len(server.state.log)
    again.read_text("tensorflow/python/ops/init_ops.py")
    time.sleep(0.2)
    assert again._workers is None and len(server.state.log) == before


def test_local_trees_do_not_speculate(tmp_path: Path) -> None:
    root = tmp_path / "site"
    for path, text in GRAPH.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    (root / "tensorflow-1.8.0.dist-info").mkdir()
    (root / "tensorflow-1.8.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: tensorflow\nVersion: 1.8.0\n")
    (root / "tensorflow-1.8.0.dist-info" / "top_level.txt").write_text("tensorflow\n")
    tree = open_dir(str(root))
    assert tree.read_text("tensorflow/__init__.py") == GRAPH["tensorflow/__init__.py"]
    assert tree._workers is None and tree.refresh_stats().prefetched == 0


def test_reads_are_the_same_with_and_without_prefetch(
    index: FakeIndex, server: LoopbackServer, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Many modules importing each other, read in random order from several threads on a slow
    server: every read equals the wheel's member, prefetch on or off."""
    rng = random.Random(7)
    files: dict[str, bytes | str] = {"tensorflow/__init__.py": "", "tensorflow/m/__init__.py": ""}
    for i in range(60):
        deps = rng.sample(range(60), 4)
        files[f"tensorflow/m/mod{i}.py"] = "".join(
            f"from tensorflow.m import mod{d}\n" if d % 2 else f"from . import mod{d}\n"
            for d in deps) + f"VALUE = {i}\n" + "y = 0\n" * rng.randint(10, 3000)
    pub = index.add("tensorflow", "1.8.0", files, filler=600_000)
    server.state.delay = 0.02
    with zipfile.ZipFile(io.BytesIO(pub.data)) as zf:
        want = {p: zf.read(p).decode() for p in files}
    order = list(files)
    rng.shuffle(order)
    for flag in ("", "1"):
        monkeypatch.setenv(NO_PREFETCH_ENV, flag)
        ctx = ctx_for(index, tmp_path / f"c{flag}")
        stored: Counter[str] = Counter()  # members fetched over the network (each is cached)
        real_write = ctx.cache._write_blob

        def write(ns: str, ident: str, name: str, *rest, real_write=real_write,
                  stored=stored) -> None:  # type: ignore[no-untyped-def]
            if ns == "wheel":
                stored[name] += 1
            real_write(ns, ident, name, *rest)

        ctx.cache._write_blob = write  # type: ignore[method-assign]
        tree = open_tree("pypi", "1.8.0", ctx=ctx)
        assert tree.speculate == (flag == "")
        with ThreadPoolExecutor(4) as pool:
            got = dict(zip(order, pool.map(tree.read_text, order), strict=True))
        assert got == want
        settle(tree)
        stats = tree.refresh_stats()
        assert stats.files == len(files)
        assert (stats.prefetched > 0) == (flag == "")
        assert set(stored) >= set(files) and max(stored.values()) == 1  # never fetched twice


# -- the latency gate ----------------------------------------------------------------------------
def test_fast_round_trips_are_not_guessed_at(
    gpub: Published, index: FakeIndex, server: LoopbackServer, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Reads answered in a few ms (the loopback server): the analysis reads on demand, no
    import is fetched ahead, every read is right."""
    monkeypatch.delenv(LATENCY_ENV)
    tree = open_tree("pypi", "1.8.0", ctx=ctx_for(index, tmp_path))
    assert tree.speculate and tree.speculate_latency == pytest.approx(0.025)
    for p in ["tensorflow/__init__.py", *DEPTH1]:
        assert tree.read_text(p) is not None
    time.sleep(0.2)
    for p in DEPTH2:  # imports of init_ops.py, read: not fetched ahead
        assert requests_covering(server, gpub, p) == 0, p
    assert tree.refresh_stats().prefetched == 0 and tree._workers is None


def test_slow_round_trips_are_guessed_at(
    gpub: Published, index: FakeIndex, server: LoopbackServer, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(LATENCY_ENV, "30")
    tree = open_tree("pypi", "1.8.0", ctx=ctx_for(index, tmp_path))
    assert tree.speculate_latency == pytest.approx(0.030)
    server.state.delay = 0.08  # a file host whose edge has not seen these ranges
    tree.read_text("tensorflow/__init__.py")  # one slow read may be a one-time cost
    time.sleep(0.2)
    assert tree.refresh_stats().prefetched == 0
    tree.read_text("tensorflow/python/unrelated.py")  # the second: round trips are slow
    settle(tree)
    for p in DEPTH1:  # the imports of the first file read
        assert requests_covering(server, gpub, p) == 1, p
    assert tree.refresh_stats().prefetched == len(DEPTH1)


def test_reads_turning_slow_guess_at_the_imports_of_what_was_read_before(
    gpub: Published, index: FakeIndex, server: LoopbackServer, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Fast first (nothing guessed), then two slow reads of the last three: the imports of
    the files read while it was fast are fetched ahead then."""
    monkeypatch.delenv(LATENCY_ENV)
    tree = open_tree("pypi", "1.8.0", ctx=ctx_for(index, tmp_path))
    tree.read_text("tensorflow/python/ops/init_ops.py")  # imports math_ops, deprecation
    time.sleep(0.2)
    assert tree.refresh_stats().prefetched == 0
    server.state.delay = 0.08
    tree.read_text("tensorflow/python/unrelated.py")
    tree.read_text("tensorflow/python/util/tf_export.py")
    settle(tree)
    for p in DEPTH2:
        assert requests_covering(server, gpub, p) == 1, p
    mark = len(server.state.log)
    for p in DEPTH2:  # served from what was fetched ahead
        assert tree.read_text(p) is not None
    assert len(server.state.log) == mark
    assert tree.refresh_stats().prefetch_used == len(DEPTH2)
