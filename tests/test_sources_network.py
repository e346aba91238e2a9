"""Against the real index (pypi.org / files.pythonhosted.org). These FAIL when it is unreachable.

One session-wide cache keeps the suite fast: each wheel's directory and members are fetched once.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import fast_http
from httpserver import LoopbackServer
from packaging.version import Version
from test_sources_local_github import serve_repo

from tfinit_audit.pipeline import fetch
from tfinit_audit.report.model import VersionReport
from tfinit_audit.sources import SourceContext, open_tree
from tfinit_audit.sources.cache import Cache
from tfinit_audit.sources.github import GitHubClient, GitHubSource
from tfinit_audit.sources.versions import resolve_versions

pytestmark = pytest.mark.network

RNN = "tensorflow/python/ops/rnn_cell_impl.py"
KERAS_LSTM = "keras/src/layers/rnn/lstm.py"


def test_resolve_real_specs(real_ctx: SourceContext) -> None:
    got = {r.requested: r.version for r in resolve_versions(["1.8", "1.10", "2.15", "2.x"],
                                                             real_ctx.index)}
    assert got["1.8"] == "1.8.0"
    assert got["1.10"] == "1.10.1"  # newest final 1.10.*
    assert got["2.15"] == "2.15.1"
    newest2 = Version(got["2.x"])
    assert newest2.major == 2 and not newest2.is_prerelease and newest2 >= Version("2.16.1")
    finals = [v for v in real_ctx.index.project("tensorflow").releases()
              if v.major == 2 and not v.is_prerelease]
    assert newest2 == max(v for v in finals
                          if v not in real_ctx.index.project("tensorflow").yanked_versions())


@pytest.mark.parametrize("version", ["1.8.0", "1.10.0"])
def test_rnn_cell_impl_of_tf1(real_ctx: SourceContext, version: str) -> None:
    tree = open_tree("pypi", version, ctx=real_ctx)
    text = tree.read_text(RNN)
    assert text is not None
    assert re.search(r"^class LSTMCell\(LayerRNNCell\):", text, re.M)
    assert re.search(r"^class GRUCell\(LayerRNNCell\):", text, re.M)
    wheel = tree.packages[0]
    assert wheel.file.startswith(f"tensorflow-{version}-") and "x86_64" in wheel.file
    assert wheel.sha256 and len(wheel.sha256) == 64
    s = tree.refresh_stats()
    assert wheel.size and s.bytes < 0.03 * wheel.size, (s.bytes, wheel.size)  # small fraction


def test_keras_pinned_by_tf_2_15_0(real_ctx: SourceContext) -> None:
    tree = open_tree("pypi", "2.15.0", ctx=real_ctx)
    tf, keras = tree.packages[0], tree.packages[1]
    assert tf.size and tf.size > 100_000_000  # the 2 KB placeholder wheels were skipped
    assert (keras.name, keras.version) == ("keras", "2.15.0")  # Requires-Dist keras<2.16,>=2.15.0
    assert keras.file == "keras-2.15.0-py3-none-any.whl"
    assert KERAS_LSTM in tree.list("keras/src/layers/rnn")
    text = tree.read_text(KERAS_LSTM)
    assert text is not None
    assert re.search(r"^class LSTMCell\(DropoutRNNCellMixin, base_layer\.BaseRandomLayer\):",
                     text, re.M)
    assert re.search(r"^class LSTM\(DropoutRNNCellMixin, RNN, base_layer\.BaseRandomLayer\):",
                     text, re.M)
    assert tree.package_of(KERAS_LSTM) == "keras"
    s = tree.refresh_stats()
    assert s.bytes < 0.01 * (tf.size + (keras.size or 0))


def test_concurrent_open_of_three_releases(real_ctx: SourceContext) -> None:
    records = [VersionReport(v, v, "pypi") for v in ("1.8.0", "1.10.0", "2.15.0")]
    fetch(records, "pypi", real_ctx, prefetch=[RNN, "tensorflow/python/ops/init_ops.py"])
    assert all(r.status == "ok" for r in records), [r.error for r in records]
    assert [r.tree.release for r in records if r.tree] == ["1.8.0", "1.10.0", "2.15.0"]
    assert records[2].tree is not None
    assert records[2].tree.read_text(RNN)  # 2.15's rnn_cell_impl.py still exists (a shim)


def test_warm_open_makes_no_request(real_ctx: SourceContext, real_cache: Path) -> None:
    open_tree("pypi", "1.8.0", ctx=real_ctx).read_text(RNN)
    fresh = SourceContext.create(cache_dir=real_cache, index_url="https://pypi.org/simple/")
    tree = open_tree("pypi", "1.8.0", ctx=fresh)
    assert tree.read_text(RNN)
    s = tree.refresh_stats()
    assert s.requests == 0 and s.from_cache >= 1
    offline = SourceContext.create(cache_dir=real_cache, offline=True)
    assert open_tree("pypi", "1.8.0", ctx=offline).read_text(RNN) == tree.read_text(RNN)


def test_github_layout_gives_the_same_bytes(real_ctx: SourceContext, real_cache: Path,
                                            server: LoopbackServer, tmp_path: Path) -> None:
    """A loopback server in GitHub's URL layout, serving files taken from the real wheels."""
    pypi = open_tree("pypi", "2.15.0", ctx=real_ctx)
    tf_paths = [p for p in pypi.list("tensorflow/python/ops") if p.endswith("_ops.py")][:12]
    tf_paths += [RNN, "tensorflow/tools/pip_package/setup.py"]
    pypi.prefetch(tf_paths + [KERAS_LSTM])
    serve_repo(server, "tensorflow/tensorflow", "v2.15.0",
               {p: pypi.read_bytes(p) or b"" for p in tf_paths if pypi.exists(p)})
    serve_repo(server, "keras-team/keras", "v2.15.0", {KERAS_LSTM: pypi.read_bytes(KERAS_LSTM)
                                                       or b""})
    http = fast_http()
    client = GitHubClient(http, Cache(tmp_path), api=server.url + "/api", raw=server.url + "/raw")
    ctx = SourceContext.create(cache_dir=real_cache, http=http,
                               index_url="https://pypi.org/simple/")
    gh = GitHubSource(client, pypi=ctx.pypi(), index=ctx.index).open("2.15.0")
    assert [(p.name, p.version) for p in gh.packages] == [("tensorflow", "2.15.0"),
                                                          ("keras", "2.15.0")]
    for p in [*tf_paths, KERAS_LSTM]:
        if pypi.exists(p):
            assert gh.read_bytes(p) == pypi.read_bytes(p), p
    assert json.loads(json.dumps(gh.refresh_stats().__dict__))["requests"] > 0


def test_fast_directory_parser_agrees_with_zipfile_on_a_real_wheel(real_ctx: SourceContext,
                                                                   tmp_path: Path) -> None:
    tree = open_tree("pypi", "1.8.0", ctx=real_ctx)
    wheel = tree.parts[0].wheel  # type: ignore[attr-defined]
    from tfinit_audit.sources.wheel import RemoteWheel

    fresh = RemoteWheel(wheel.url, filename=wheel.filename, sha256=wheel.sha256, size=wheel.size,
                        http=real_ctx.http, cache=Cache(tmp_path))
    fast = fresh._read_directory_fast()
    slow = fresh._read_directory_remote()
    assert {n: fast.get(n) for n in fast.names} == slow
    assert len(slow) > 4000


class _Recording:
    """Delegates to a tree and records what every read returned (the analysis's view)."""

    def __init__(self, tree: object) -> None:
        self._tree = tree
        self.reads: dict[str, str | None] = {}

    def read_text(self, path: str) -> str | None:
        text = self._tree.read_text(path)  # type: ignore[attr-defined]
        self.reads[path] = text
        return text

    def __getattr__(self, name: str) -> object:
        return getattr(self._tree, name)


@pytest.mark.slow
def test_audit_reads_the_same_with_and_without_prefetch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cold audit of 1.10 (fresh caches) with speculative prefetch and without it: the same
    files with the same content reach the analysis, and the answer is the same; the prefetch
    really ran, fetched each member once, and stayed under its cap."""
    from tfinit_audit.analysis.audit import analyze
    from tfinit_audit.analysis.model import Dims
    from tfinit_audit.analysis.symbols import DEFAULT_SYMBOLS
    from tfinit_audit.report.model import _plain
    from tfinit_audit.sources.composite import NO_PREFETCH_ENV
    from tfinit_audit.sources.readahead import LATENCY_ENV

    monkeypatch.setenv(LATENCY_ENV, "0")  # speculation however fast PyPI answers today
    runs = {}
    for flag in ("", "1"):
        monkeypatch.setenv(NO_PREFETCH_ENV, flag)
        ctx = SourceContext.create(cache_dir=tmp_path / f"c{flag}",
                                   index_url="https://pypi.org/simple/")
        stored: dict[str, int] = {}
        real_write = ctx.cache._write_blob

        def write(ns: str, ident: str, name: str, *rest, real_write=real_write,
                  stored=stored) -> None:  # type: ignore[no-untyped-def]
            if ns == "wheel":
                stored[name] = stored.get(name, 0) + 1
            real_write(ns, ident, name, *rest)

        ctx.cache._write_blob = write  # type: ignore[method-assign]
        tree = open_tree("pypi", "1.10.1", ctx=ctx)
        assert tree.speculate == (flag == "")
        rec = _Recording(tree)
        results = analyze(rec, list(DEFAULT_SYMBOLS), Dims(64, 32),  # type: ignore[arg-type]
                          cache_dir=tmp_path / f"a{flag}")
        stats = tree.refresh_stats()
        runs[flag] = (rec.reads, [_plain(r) for r in results], stats)
        tree.flush()  # what was read after being fetched ahead is cached by now
        assert max(stored.values()) == 1  # no member fetched twice
        if flag == "":
            assert stats.prefetched > 0 and stats.prefetch_used > 0
            assert tree._spec_spent <= tree.speculate_cap
        else:
            assert stats.prefetched == 0
    (reads_on, answer_on, _), (reads_off, answer_off, _) = runs[""], runs["1"]
    assert reads_on.keys() == reads_off.keys() and len(reads_on) > 50
    assert reads_on == reads_off
    assert answer_on == answer_off
    assert any(r["status"] == "resolved" for r in answer_on)
