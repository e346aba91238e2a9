"""RemoteWheel and the PyPI tree against a real loopback server: ranges, faults, cache."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import fast_http
from httpserver import FakeIndex, LoopbackServer, Published, build_wheel

from tfinit_audit.errors import FetchError
from tfinit_audit.pipeline import fetch
from tfinit_audit.report.model import VersionReport
from tfinit_audit.sources import open_tree
from tfinit_audit.sources.cache import Cache
from tfinit_audit.sources.http import Counter
from tfinit_audit.sources.wheel import CorruptMember, RemoteWheel

RNN = "class LSTMCell(object):\n    def build(self):\n        pass\n" * 200
INIT = "def glorot_uniform_initializer():\n    return 1\n" * 100


def tf_files(n_extra: int = 50) -> dict[str, bytes | str]:
    files: dict[str, bytes | str] = {
        "tensorflow/__init__.py": "",
        "tensorflow/python/ops/rnn_cell_impl.py": RNN,
        "tensorflow/python/ops/init_ops.py": INIT,
    }
    for i in range(n_extra):
        files[f"tensorflow/python/gen/mod{i}.py"] = f"X = {i}\n" * 500
    return files


def remote(pub: Published, cache: Path, **kw) -> RemoteWheel:  # type: ignore[no-untyped-def]
    return RemoteWheel(pub.url, filename=pub.filename, sha256=pub.sha256, size=len(pub.data),
                       http=kw.pop("http", fast_http()), cache=Cache(cache), counter=Counter(),
                       **kw)


MEMBER = "tensorflow-1.8.0.data/purelib/tensorflow/python/ops/rnn_cell_impl.py"


@pytest.fixture()
def pub(index: FakeIndex) -> Published:
    return index.add("tensorflow", "1.8.0", tf_files(), purelib=True, filler=6_000_000)


def test_range_reads_only_what_is_needed(pub: Published, server: LoopbackServer,
                                         tmp_path: Path) -> None:
    w = remote(pub, tmp_path)
    assert w.read(MEMBER).decode() == RNN
    gets = server.state.requests_for(f"/files/{pub.filename}")
    assert gets and all(g.range and g.range.startswith("bytes=") for g in gets)
    assert not any(g.range.startswith("bytes=-") for g in gets if g.range)  # explicit only
    assert w.counter.bytes < len(pub.data) / 10
    assert w.counter.requests == 2  # the 256 KB tail holds this small directory; the member
    assert not w.used_full_download


def test_warm_cache_makes_no_request(pub: Published, server: LoopbackServer,
                                     tmp_path: Path) -> None:
    remote(pub, tmp_path).read(MEMBER)
    before = len(server.state.log)
    w2 = remote(pub, tmp_path)
    assert w2.read(MEMBER).decode() == RNN
    assert len(server.state.log) == before
    assert w2.counter.requests == 0 and w2.from_cache == 1


def test_range_ignored_falls_back_to_one_download(pub: Published, server: LoopbackServer,
                                                  tmp_path: Path) -> None:
    server.state.range_enabled = False
    seen: list[tuple[int, int | None]] = []
    w = remote(pub, tmp_path, progress=lambda what, done, total: seen.append((done, total)))
    names = [MEMBER, MEMBER.replace("rnn_cell_impl", "init_ops")]
    got = w.read_many(names)
    assert got[names[0]].decode() == RNN and got[names[1]].decode() == INIT
    full = [g for g in server.state.requests_for(f"/files/{pub.filename}") if g.range is None]
    assert len(full) == 1 and w.used_full_download
    assert seen and seen[-1][0] == len(pub.data)
    w.close()


def test_download_size_cap(pub: Published, server: LoopbackServer, tmp_path: Path) -> None:
    server.state.range_enabled = False
    w = remote(pub, tmp_path, max_download=10_000)
    with pytest.raises(FetchError, match="cap"):
        w.read(MEMBER)


def test_5xx_then_success(pub: Published, server: LoopbackServer, tmp_path: Path) -> None:
    server.state.fail_next[f"/files/{pub.filename}"] = 2
    assert remote(pub, tmp_path).read(MEMBER).decode() == RNN
    statuses = server.state.requests_for(f"/files/{pub.filename}")
    assert len(statuses) == 4  # 2 failures retried + tail + member


def test_5xx_forever_is_a_fetch_error(pub: Published, server: LoopbackServer,
                                      tmp_path: Path) -> None:
    server.state.fail_next[f"/files/{pub.filename}"] = 1000
    with pytest.raises(FetchError, match="503"):
        remote(pub, tmp_path).read(MEMBER)


def test_truncated_body_is_retried(pub: Published, server: LoopbackServer,
                                   tmp_path: Path) -> None:
    server.state.truncate_next[f"/files/{pub.filename}"] = 2
    assert remote(pub, tmp_path).read(MEMBER).decode() == RNN


def test_truncated_forever_is_a_fetch_error(pub: Published, server: LoopbackServer,
                                            tmp_path: Path) -> None:
    server.state.truncate_next[f"/files/{pub.filename}"] = 1000
    with pytest.raises(FetchError):
        remote(pub, tmp_path).read(MEMBER)


def test_corrupt_member_fails_crc(index: FakeIndex, pub: Published, tmp_path: Path) -> None:
    zf = zipfile.ZipFile(__import__("io").BytesIO(pub.data))
    info = zf.getinfo(MEMBER)
    bad = bytearray(pub.data)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 10
    bad[start] ^= 0xFF  # flip one compressed byte; the directory's CRC stays as it was
    index.replace_data(pub, bytes(bad))
    w = remote(pub, tmp_path)
    with pytest.raises(CorruptMember, match="CRC|inflate"):
        w.read(MEMBER)
    assert not Cache(tmp_path).has("wheel", pub.sha256, MEMBER)  # nothing bad was cached


def test_corrupt_cache_entry_is_refetched(pub: Published, server: LoopbackServer,
                                          tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    remote(pub, tmp_path).read(MEMBER)
    entry = cache._blob_path("wheel", pub.sha256, MEMBER)
    entry.write_bytes(entry.read_bytes()[:-20] + b"garbage-garbage-garb")
    before = len(server.state.log)
    w = remote(pub, tmp_path)
    assert w.read(MEMBER).decode() == RNN
    assert len(server.state.log) == before + 1  # directory from cache, member fetched again
    assert cache.get("wheel", pub.sha256, MEMBER) == RNN.encode()


def test_offline_without_and_with_cache(pub: Published, server: LoopbackServer,
                                        tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="offline: the file list of .*not in the cache"):
        remote(pub, tmp_path, offline=True).read(MEMBER)
    remote(pub, tmp_path).read(MEMBER)
    before = len(server.state.log)
    w = remote(pub, tmp_path, offline=True)
    assert w.read(MEMBER).decode() == RNN
    with pytest.raises(FetchError, match="offline: .*init_ops.py of .* not in the cache"):
        w.read(MEMBER.replace("rnn_cell_impl", "init_ops"))
    assert len(server.state.log) == before


def test_concurrent_threads_share_one_cache(pub: Published, tmp_path: Path) -> None:
    names = [f"tensorflow-1.8.0.data/purelib/tensorflow/python/gen/mod{i}.py" for i in range(20)]

    def run(_: int) -> dict[str, bytes]:
        return remote(pub, tmp_path).read_many(names)

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(run, range(4)))
    for r in results:
        assert [r[n] for n in names] == [f"X = {i}\n".encode() * 500 for i in range(20)]
    cache = Cache(tmp_path)
    assert all(cache.get("wheel", pub.sha256, n) is not None for n in names)


def test_concurrent_processes_share_one_cache(index: FakeIndex, pub: Published,
                                              tmp_path: Path) -> None:
    script = textwrap.dedent(f"""
        import sys
        from tfinit_audit.sources import SourceContext, open_tree
        ctx = SourceContext.create(cache_dir={str(tmp_path / 'c')!r}, index_url={index.url!r})
        t = open_tree("pypi", "1.8.0", ctx=ctx)
        paths = ["tensorflow/python/gen/mod%d.py" % i for i in range(30)]
        t.prefetch(paths)
        ok = all(t.read_text(p) == ("X = %d\\n" % i) * 500 for i, p in enumerate(paths))
        print("OK" if ok else "BAD")
    """)
    procs = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [o[0].strip() for o in outs] == ["OK"] * 3, [o[1][-500:] for o in outs]
    cache = Cache(tmp_path / "c")
    for i in range(30):
        m = f"tensorflow-1.8.0.data/purelib/tensorflow/python/gen/mod{i}.py"
        assert cache.get("wheel", pub.sha256, m) == f"X = {i}\n".encode() * 500


# -- the PyPI tree --------------------------------------------------------------------------
def test_tree_maps_purelib_and_reads_lazily(pub: Published, make_ctx, server) -> None:  # type: ignore[no-untyped-def]
    tree = open_tree("pypi", "1.8.0", ctx=make_ctx())
    assert tree.release == "1.8.0" and tree.kind == "pypi"
    assert tree.read_text("tensorflow/python/ops/rnn_cell_impl.py") == RNN
    assert tree.exists("tensorflow/python/ops") and not tree.exists("tensorflow/python/opsx")
    assert "tensorflow/python/ops/init_ops.py" in tree.list("tensorflow/python/ops")
    assert tree.package_of("tensorflow/python/ops/init_ops.py") == "tensorflow"
    assert tree.read_text("tensorflow/python/nope.py") is None
    p = tree.packages[0]
    assert (p.name, p.version, p.file, p.sha256) == ("tensorflow", "1.8.0", pub.filename,
                                                     pub.sha256)
    s = tree.refresh_stats()
    assert s.requests >= 2 and 0 < s.bytes < len(pub.data) and s.files == 1 and s.seconds > 0


def test_placeholder_wheels_are_skipped(index: FakeIndex, make_ctx) -> None:  # type: ignore[no-untyped-def]
    real = index.add("tensorflow", "2.15.0", tf_files(), tag="cp39-cp39-manylinux_2_17_x86_64",
                     filler=100_000)
    # stubs that rank higher (newer CPython, same platform) but carry no sources
    index.add("tensorflow", "2.15.0", {}, tag="cp311-cp311-manylinux_2_17_x86_64", stub=True)
    index.add("tensorflow", "2.15.0", {}, tag="cp311-cp311-win_amd64", stub=True)
    tree = open_tree("pypi", "2.15.0", ctx=make_ctx())
    assert tree.packages[0].file == real.filename
    assert tree.read_text("tensorflow/python/ops/init_ops.py") == INIT


def test_tensorflow_core_paths_kept(index: FakeIndex, make_ctx) -> None:  # type: ignore[no-untyped-def]
    index.add("tensorflow", "1.15.0", {"tensorflow/__init__.py": "from tensorflow_core import *",
                                       "tensorflow_core/python/ops/init_ops.py": INIT},
              purelib=True)
    tree = open_tree("pypi", "1.15.0", ctx=make_ctx())
    assert tree.read_text("tensorflow_core/python/ops/init_ops.py") == INIT
    assert tree.exists("tensorflow/__init__.py")


def test_companion_keras_from_requires_dist(index: FakeIndex, make_ctx) -> None:  # type: ignore[no-untyped-def]
    index.add("tensorflow", "2.15.0", tf_files(2),
              requires=["keras (<2.16,>=2.15.0)", "tf-keras>=9 ; extra == 'legacy'"])
    for v in ("2.14.0", "2.15.0", "2.15.1rc0", "2.16.0"):
        index.add("keras", v, {"keras/src/layers/rnn/lstm.py": f"class LSTM:  # {v}\n"},
                  tag="py3-none-any")
    kbad = index.add("keras", "2.15.2", {"keras/src/layers/rnn/lstm.py": "yanked"},
                     tag="py3-none-any", yanked=True)
    tree = open_tree("pypi", "2.15.0", ctx=make_ctx())
    names = [(p.name, p.version) for p in tree.packages]
    assert names == [("tensorflow", "2.15.0"), ("keras", "2.15.0")]
    assert tree.read_text("keras/src/layers/rnn/lstm.py") == "class LSTM:  # 2.15.0\n"
    assert tree.package_of("keras/src/layers/rnn/lstm.py") == "keras"
    assert kbad.filename not in [p.file for p in tree.packages]


def test_a_warm_open_parses_no_metadata(index: FakeIndex, make_ctx,  # type: ignore[no-untyped-def]
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # the wheels' METADATA fields and companion pins are kept with their directories: a
    # second open reads and parses neither, and picks the same companion
    from tfinit_audit.sources import pypi

    index.add("tensorflow", "2.15.0", tf_files(2), requires=["keras (<2.16,>=2.15.0)"])
    for v in ("2.15.0", "2.16.0"):
        index.add("keras", v, {"keras/src/layers/rnn/lstm.py": f"class LSTM:  # {v}\n"},
                  tag="py3-none-any")
    first = open_tree("pypi", "2.15.0", ctx=make_ctx())

    def refuse(*_: object) -> None:
        raise AssertionError("parsed again")

    monkeypatch.setattr(pypi, "parse_metadata", refuse)
    monkeypatch.setattr(pypi, "companion_requirements", refuse)
    again = open_tree("pypi", "2.15.0", ctx=make_ctx())
    assert [(p.name, p.version, p.file) for p in again.packages] \
        == [(p.name, p.version, p.file) for p in first.packages] \
        == [(p.name, p.version, p.file) for p in first.packages[:1]] + [
            ("keras", "2.15.0", first.packages[1].file)]


def test_tf_keras_attached_lazily_by_its_own_metadata(index: FakeIndex, make_ctx) -> None:  # type: ignore[no-untyped-def]
    index.add("tensorflow", "2.16.1", tf_files(2), requires=["keras>=3.0.0"])
    index.add("keras", "3.1.0", {"keras/src/layers/rnn/lstm.py": "class LSTM: pass\n"},
              tag="py3-none-any")
    for v, pin in (("2.16.0", "tensorflow<2.17,>=2.16"), ("2.17.0", "tensorflow<2.18,>=2.17")):
        index.add("tf-keras", v, {"tf_keras/src/legacy_tf_layers/base.py": f"# {v}\n"},
                  tag="py3-none-any", requires=[pin])
    tree = open_tree("pypi", "2.16.1", ctx=make_ctx())
    assert [p.name for p in tree.packages] == ["tensorflow", "keras"]
    assert tree.read_text("tf_keras/src/legacy_tf_layers/base.py") == "# 2.16.0\n"
    assert [(p.name, p.version) for p in tree.packages][-1] == ("tf-keras", "2.16.0")


def test_one_failing_version_does_not_lose_the_others(index: FakeIndex, make_ctx,  # type: ignore[no-untyped-def]
                                                      server: LoopbackServer) -> None:
    index.add("tensorflow", "1.8.0", tf_files(2), purelib=True)
    broken = index.add("tensorflow", "1.9.0", tf_files(2), purelib=True)
    server.state.fail_next[f"/files/{broken.filename}"] = 10_000
    records = [VersionReport(v, v, "pypi") for v in ("1.8.0", "1.9.0")]
    fetch(records, "pypi", make_ctx(), prefetch=["tensorflow/python/ops/init_ops.py"])
    ok, bad = records
    assert ok.status == "ok" and ok.tree is not None
    assert ok.tree.read_text("tensorflow/python/ops/init_ops.py") == INIT
    assert bad.status == "error" and bad.tree is None and isinstance(bad.exception, FetchError)
    assert bad.exception.exit_code == 3 and bad.error and "\n" not in bad.error


def test_html_index_fallback(index: FakeIndex, server: LoopbackServer, make_ctx) -> None:  # type: ignore[no-untyped-def]
    pub = index.add("tensorflow", "1.8.0", tf_files(2), purelib=True, filler=80_000)
    index.add("tensorflow", "1.8.0", {}, tag="cp312-cp312-manylinux_2_17_x86_64", stub=True)
    server.state.html_only = True
    tree = open_tree("pypi", "1.8.0", ctx=make_ctx())
    assert tree.packages[0].file == pub.filename  # sizes via HEAD: the stub is skipped
    assert tree.packages[0].sha256 == pub.sha256
    assert tree.read_text("tensorflow/python/ops/init_ops.py") == INIT


def test_index_5xx_then_success(index: FakeIndex, server: LoopbackServer, make_ctx) -> None:  # type: ignore[no-untyped-def]
    index.add("tensorflow", "1.8.0", tf_files(2), purelib=True)
    server.state.fail_next["/simple/tensorflow/"] = 2
    assert open_tree("pypi", "1.8.0", ctx=make_ctx()).release == "1.8.0"


def test_wheel_builder_makes_valid_wheels() -> None:
    name, data = build_wheel("tensorflow", "1.0.0", {"tensorflow/a.py": "A"}, purelib=True)
    zf = zipfile.ZipFile(__import__("io").BytesIO(data))
    assert zf.testzip() is None and name.endswith(".whl")


def test_neighbouring_members_share_one_request(pub: Published, server: LoopbackServer,
                                                tmp_path: Path) -> None:
    names = [f"tensorflow-1.8.0.data/purelib/tensorflow/python/gen/mod{i}.py" for i in range(20)]
    w = remote(pub, tmp_path)
    w.members()
    before = w.counter.requests
    got = w.read_many(names)
    assert [got[n] for n in names] == [f"X = {i}\n".encode() * 500 for i in range(20)]
    assert w.counter.requests - before == 1  # adjacent in the archive: one coalesced range


def test_fast_directory_parser_agrees_with_zipfile(pub: Published, tmp_path: Path) -> None:
    fast = remote(pub, tmp_path / "a")._read_directory_fast()
    slow = remote(pub, tmp_path / "b")._read_directory_remote()  # zipfile via remotezip
    assert {n: fast.get(n) for n in fast.names} == slow and len(slow) > 50


def test_unusual_archive_goes_to_zipfile(index: FakeIndex, tmp_path: Path) -> None:
    """Bytes before the archive (self-extractor style): zipfile's offset repair is used."""
    name, data = build_wheel("tensorflow", "1.8.0", tf_files(3), purelib=True, filler=70_000)
    pub = index.add_file("tensorflow", name, b"#!prefix\n" * 100 + data)
    w = remote(pub, tmp_path)
    assert w.read(MEMBER).decode() == RNN
