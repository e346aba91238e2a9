"""Read plans (sources/plans.py) against a real loopback index: what a release read is recorded
once its analysis succeeded (never for a failed one), the next release of its family fetches
it at once in coalesced requests, a plan whose files the release lacks is not used, trees read
at the same time follow each other, and the stats say what the prefetch fetched and used."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import fast_http, settle
from httpserver import FakeIndex, LoopbackServer, Published

from tfinit_audit.sources import SourceContext, open_tree
from tfinit_audit.sources.cache import Cache
from tfinit_audit.sources.plans import PlanBook, family_of

pytestmark = pytest.mark.usefixtures("guess_at_any_speed")

# a release whose analysis reads ORDER; each module imports many others it does not need
# (what import speculation would fetch), so a plan is visibly more precise
ORDER = ["tensorflow/__init__.py", "tensorflow/python/__init__.py",
         "tensorflow/python/ops/__init__.py", "tensorflow/python/ops/init_ops.py",
         "tensorflow/python/ops/math_ops.py"]
UNUSED = [f"tensorflow/python/unused{i}.py" for i in range(12)]


def release_files(tag: str) -> dict[str, bytes | str]:
    out: dict[str, bytes | str] = {}
    imports = "".join(f"import tensorflow.python.unused{i}\n" for i in range(12))
    for i, path in enumerate(ORDER):
        nxt = ORDER[i + 1][:-3].replace("/__init__", "").replace("/", ".") \
            if i + 1 < len(ORDER) else "os"
        out[path] = f"import {nxt}\n{imports}# {tag}\n" + "# pad\n" * 300
    out[ORDER[0]] = f"from tensorflow.python.ops.init_ops import Dense\n{out[ORDER[0]]}"
    out[ORDER[3]] = f"{out[ORDER[3]]}class Dense(object):\n    pass\n"
    for path in UNUSED:
        out[path] = "X = 1\n" + "# pad\n" * 300 + os.urandom(4000).hex()
    return out


@pytest.fixture()
def two(index: FakeIndex) -> tuple[Published, Published]:
    return (index.add("tensorflow", "1.8.0", release_files("a"), filler=600_000),
            index.add("tensorflow", "1.9.0", release_files("b"), filler=600_000))


def ctx_for(index: FakeIndex, cache: Path) -> SourceContext:
    return SourceContext.create(cache_dir=cache, index_url=index.url, http=fast_http())


def wheel_requests(server: LoopbackServer, pub: Published) -> int:
    return len(server.state.requests_for(f"/files/{pub.filename}"))


# -- choosing a plan -----------------------------------------------------------------------------
def test_choose_own_then_nearest_then_nothing(tmp_path: Path) -> None:
    book = PlanBook(Cache(tmp_path))
    fam = family_of(["tensorflow", "Keras"])
    assert fam == "keras,tensorflow" and family_of(["tensorflow"]) != fam
    have = {"a.py", "b.py", "c.py"}.__contains__
    assert book.choose(fam, "2.1.0", have) is None
    for rel in ("2.0.0", "2.15.1", "2.3.0"):
        book.record(fam, rel, ["a.py", "b.py", f"only-{rel}.py"])
    chosen = book.choose(fam, "2.1.0", have)
    assert chosen is not None and chosen.release == "2.0.0"  # nearer than 2.3.0 (tie: older)
    chosen = book.choose(fam, "2.14.0", have)
    assert chosen is not None and chosen.release == "2.15.1"
    book.record(fam, "2.14.0", ["c.py"])
    chosen = book.choose(fam, "2.14.0", have)
    assert chosen is not None and chosen.release == "2.14.0" and chosen.paths == ["c.py"]
    # a plan of which fewer than half the files exist here (a layout change) is not used
    assert book.choose(fam, "2.2.0", {"only-2.0.0.py"}.__contains__) is None
    assert book.choose(family_of(["tensorflow"]), "2.1.0", have) is None  # another family


# -- replay ---------------------------------------------------------------------------------------
def test_next_release_replays_the_plan_in_few_requests(
    two: tuple[Published, Published], index: FakeIndex, server: LoopbackServer, tmp_path: Path
) -> None:
    first = open_tree("pypi", "1.8.0", ctx=ctx_for(index, tmp_path / "c"))
    first.start_plan()  # none yet
    for p in ORDER:
        assert first.read_text(p) is not None
    settle(first)
    cold = first.refresh_stats()
    assert cold.plan_from is None and cold.prefetched > len(ORDER)  # imports guessed at
    first.end_plan(True)
    plans = PlanBook(Cache(tmp_path / "c")).plans("tensorflow")
    assert plans == {"1.8.0": ORDER}

    b = two[1]
    mark = wheel_requests(server, b)
    tree = open_tree("pypi", "1.9.0", ctx=ctx_for(index, tmp_path / "c"))
    opened = wheel_requests(server, b) - mark  # the tail read, which holds the directory
    server.state.delay = 0.05
    tree.start_plan()  # what an analysis does first
    settle(tree)
    texts = [tree.read_text(p) for p in ORDER]
    assert all(t is not None and "# b\n" in t for t in texts)
    stats = tree.refresh_stats()
    assert stats.plan_from == "1.8.0"
    assert stats.prefetched == len(ORDER) and stats.prefetch_used == stats.prefetched
    # a later analysis that read more adds to the plan (first-read order kept)
    tree.end_plan(True)
    tree.end_plan(True)
    first._order.append("tensorflow/python/unused3.py")
    first.end_plan(True)
    plans = PlanBook(Cache(tmp_path / "c")).plans("tensorflow")
    assert plans == {"1.8.0": [*ORDER, "tensorflow/python/unused3.py"], "1.9.0": ORDER}
    assert wheel_requests(server, b) - mark - opened == 1  # the whole plan: one request
    assert not tree._followers and tree.leader is None  # its plan: nobody to follow
    assert stats.prefetch_bytes > 0 and stats.prefetch_accuracy == pytest.approx(1.0, abs=0.05)
    assert cold.prefetch_accuracy is not None and cold.prefetch_accuracy < 0.6


def test_live_trees_follow_each_other(
    two: tuple[Published, Published], index: FakeIndex, server: LoopbackServer, tmp_path: Path
) -> None:
    ctx = ctx_for(index, tmp_path / "c")
    a = open_tree("pypi", "1.8.0", ctx=ctx)
    b = open_tree("pypi", "1.9.0", ctx=ctx)
    a.start_plan()
    b.start_plan()
    assert a.read_text(ORDER[0]) is not None and b.read_text(ORDER[0]) is not None
    assert a.leader == "1.9.0" or b.leader == "1.8.0"
    for p in ORDER[1:]:
        a.read_text(p)
    settle(b)
    for p in ORDER[1:]:  # what a read, b has fetched already
        assert p in b._spec_data or p in b._read, p
    assert b.refresh_stats().plan_from == "1.8.0"


def _audit(index: FakeIndex, cache: Path, out: Path,
           env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tfinit_audit", "--versions", "1.8.0", "--index-url", index.url,
         "--cache-dir", str(cache), "--no-live", "--symbols", "tf.Dense",
         "--format", "json", "--out", str(out)],
        capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})})


def test_only_a_successful_release_records_its_plan(
    two: tuple[Published, Published], index: FakeIndex, tmp_path: Path
) -> None:
    failed = _audit(index, tmp_path / "c1", tmp_path / "r1", {"TFINIT_AUDIT_MAX_FILES": "2"})
    assert failed.returncode == 3, failed.stderr
    assert Cache(tmp_path / "c1").info().kinds["plans"] == (0, 0)
    ok = _audit(index, tmp_path / "c2", tmp_path / "r2")
    assert ok.returncode == 0, ok.stderr
    plans = PlanBook(Cache(tmp_path / "c2")).plans("tensorflow")
    assert list(plans) == ["1.8.0"] and plans["1.8.0"][0] == "tensorflow/__init__.py"
    fetch = json.loads((tmp_path / "r2" / "report.json").read_text())["versions"][0]["fetch"]
    for key in ("prefetch_bytes", "prefetch_used_bytes", "plan_from"):
        assert key in fetch
    assert fetch["prefetch_used_bytes"] <= fetch["prefetch_bytes"] <= fetch["bytes"]


def test_end_plan_stops_the_read_ahead(
    two: tuple[Published, Published], index: FakeIndex, server: LoopbackServer, tmp_path: Path
) -> None:
    tree = open_tree("pypi", "1.8.0", ctx=ctx_for(index, tmp_path / "c"))
    tree.start_plan()
    server.state.delay = 0.2
    assert tree.read_text(ORDER[0]) is not None  # its imports are queued or in flight now
    tree.end_plan(False)  # the analysis failed
    assert not tree._spec_data and not tree._text
    for p in [*ORDER, *UNUSED]:  # reads still work, and return the right bytes
        text = tree.read_text(p)
        assert text is not None and ("# a\n" in text or p in UNUSED), p
    settle(tree)
    assert not tree._spec_data  # nothing fetched ahead is kept after the end
    assert PlanBook(Cache(tmp_path / "c")).plans("tensorflow") == {}  # failed: no plan


def test_planned_bytes_measures_a_release_by_its_own_plan(
    two: tuple[Published, Published], index: FakeIndex, tmp_path: Path
) -> None:
    # what the scheduler orders releases by: nothing known before the release has a plan of
    # its own (a neighbour's does not count: the release waits for its turn after it); then
    # the archive bytes of the plan's files this release has (fetching nothing)
    ctx = ctx_for(index, tmp_path / "c")
    tree = open_tree("pypi", "1.9.0", ctx=ctx)
    assert tree.planned_bytes() is None
    book = PlanBook(Cache(tmp_path / "c"))
    book.record("tensorflow", "1.8.0", ORDER)
    assert tree.planned_bytes() is None
    book.record("tensorflow", "1.9.0", ORDER[:2])
    small = tree.planned_bytes()
    book.record("tensorflow", "1.9.0", [*ORDER, "tensorflow/python/absent.py"])
    whole = tree.planned_bytes()
    part = tree._owner[ORDER[0]]
    assert small == sum(part.stretch(part.paths()[p]) for p in ORDER[:2]) > 0
    assert whole == sum(part.stretch(part.paths()[p]) for p in ORDER) > small
    assert not tree._read and not tree._inflight and not tree._spec_data  # nothing fetched


# -- a tree held by the process that hands analyses to workers --------------------------------
def test_a_trimmed_tree_loads_its_member_table_again_from_the_cache(
    two: tuple[Published, Published], index: FakeIndex, server: LoopbackServer, tmp_path: Path
) -> None:
    ctx = ctx_for(index, tmp_path / "c")
    tree = open_tree("pypi", "1.9.0", ctx=ctx)
    PlanBook(Cache(tmp_path / "c")).record("tensorflow", "1.9.0", ORDER)
    before = ([tree.fingerprint(p) for p in ORDER], tree.planned_bytes(), tree.list("tensorflow"))
    (part,) = tree.parts
    wheel = part.wheel  # type: ignore[attr-defined]
    assert wheel._members is not None and wheel._tail is not None
    mark = wheel_requests(server, two[1])
    tree.trim()
    assert wheel._members is None and wheel._tail is None  # ~2 MB a TensorFlow wheel
    after = ([tree.fingerprint(p) for p in ORDER], tree.planned_bytes(), tree.list("tensorflow"))
    assert after == before and all(before[0]) and before[1]
    assert wheel_requests(server, two[1]) == mark  # the table came back from the cache
    assert "# b\n" in (tree.read_text(ORDER[3]) or "")


def test_the_process_handing_releases_to_workers_keeps_their_trees_trimmed(
    two: tuple[Published, Published], index: FakeIndex, tmp_path: Path
) -> None:
    from tfinit_audit.analysis.model import Dims
    from tfinit_audit.analysis.symbols import SymbolSpec
    from tfinit_audit.report.model import VersionReport
    from tfinit_audit.stages import fetch_and_analyse

    ctx = ctx_for(index, tmp_path / "c")
    records = [VersionReport(v, v, "pypi") for v in ("1.8.0", "1.9.0")]
    fetch_and_analyse(records, "pypi", ctx, [SymbolSpec("tf.Dense")], Dims(), jobs=2)
    assert [r.status for r in records] == ["ok", "ok"], [r.error for r in records]
    for r in records:
        (part,) = r.tree.parts  # type: ignore[union-attr]
        assert part.wheel._members is None, r.label
        assert r.symbols and r.fetch.files > 0  # analysed in a worker, which read the files
