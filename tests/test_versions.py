"""Version specs -> releases, on plain version lists and through a real (loopback) index."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest
from conftest import fast_http
from httpserver import FakeIndex, LoopbackServer
from packaging.version import Version

from tfinit_audit.errors import FetchError, UsageError
from tfinit_audit.sources.cache import Cache
from tfinit_audit.sources.index import IndexClient, index_url_from_env
from tfinit_audit.sources.versions import resolve_spec, resolve_versions
from tfinit_audit.startup import may_name_several

AVAILABLE = [Version(v) for v in (
    "1.7.0", "1.8.0rc1", "1.8.0", "1.9.0", "1.10.0", "1.10.1", "2.0.0", "2.15.0", "2.15.1",
    "2.16.0rc0", "2.16.1", "2.17.0rc1", "2.17.0",
)]
YANKED = {Version("2.17.0"), Version("1.10.1")}


def r(spec: str) -> list[str]:
    return [str(v) for v in resolve_spec(spec, AVAILABLE, YANKED)]


def test_prefix_is_newest_final_non_yanked() -> None:
    assert r("1.8") == ["1.8.0"]
    assert r("1.10") == ["1.10.0"]  # 1.10.1 is yanked
    assert r("2.15") == ["2.15.1"]
    assert r("2") == r("2.x") == r("2.*") == ["2.16.1"]  # 2.17.0 yanked, 2.17.0rc1 pre
    assert r("2.15.x") == ["2.15.1"]


def test_exact_takes_prerelease_and_yanked() -> None:
    assert r("1.8.0") == ["1.8.0"]
    assert r("2.16.0rc0") == ["2.16.0rc0"]
    assert r("2.17.0") == ["2.17.0"]


def test_latest_and_all() -> None:
    assert r("latest") == ["2.16.1"]
    assert r("all") == ["1.7.0", "1.8.0", "1.9.0", "1.10.0", "2.0.0", "2.15.0", "2.15.1",
                        "2.16.1"]


def test_unknown_version_lists_closest() -> None:
    with pytest.raises(UsageError, match=r"no release '1\.9\.5'.*closest: .*1\.9\.0, 1\.10\.0"):
        r("1.9.5")
    with pytest.raises(UsageError, match="closest: .*2.16.1"):
        r("3.1")
    with pytest.raises(UsageError, match="bad version spec"):
        r("banana")


def test_index_json_and_html(index: FakeIndex, server: LoopbackServer, tmp_path: Path) -> None:
    for v in ("1.8.0", "1.8.1rc0", "1.9.0"):
        index.add("tensorflow", v, {}, stub=True)
    index.add("tensorflow", "1.9.1", {}, stub=True, yanked=True)
    client = IndexClient(index.url, http=fast_http(), cache=Cache(tmp_path))
    rel = resolve_versions(["1.8", "1.9", "1.8.1rc0", "1.8.0"], client)
    assert [(x.requested, x.version) for x in rel] == [
        ("1.8", "1.8.0"), ("1.9", "1.9.0"), ("1.8.1rc0", "1.8.1rc0")]  # 1.8.0 deduplicated
    server.state.html_only = True
    html = IndexClient(index.url, http=fast_http(), cache=None)
    assert [x.version for x in resolve_versions(["1.9", "1.9.1"], html)] == ["1.9.0", "1.9.1"]


def test_index_answer_cached_and_offline(index: FakeIndex, server: LoopbackServer,
                                         tmp_path: Path) -> None:
    index.add("tensorflow", "1.8.0", {}, stub=True)
    with pytest.raises(FetchError, match="offline: no cached index answer"):
        IndexClient(index.url, http=fast_http(), cache=Cache(tmp_path), offline=True).project(
            "tensorflow")
    IndexClient(index.url, http=fast_http(), cache=Cache(tmp_path)).project("tensorflow")
    n = len(server.state.log)
    again = IndexClient(index.url, http=fast_http(), cache=Cache(tmp_path))
    assert resolve_versions(["1.8"], again)[0].version == "1.8.0"
    assert len(server.state.log) == n  # fresh enough: answered from the cache
    stale = IndexClient(index.url, http=fast_http(), cache=Cache(tmp_path), ttl=0)
    stale.project("tensorflow")
    assert len(server.state.log) == n + 1
    off = IndexClient(index.url, http=fast_http(), cache=Cache(tmp_path), offline=True, ttl=0)
    assert resolve_versions(["1.8"], off)[0].version == "1.8.0"  # offline: any age will do


def test_unknown_project_is_fetch_error(index: FakeIndex, tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="no project"):
        IndexClient(index.url, http=fast_http(), cache=None).project("tensorflow")


def test_index_url_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIP_INDEX_URL", "http://mirror.example/simple")
    assert index_url_from_env(None) == "http://mirror.example/simple/"
    assert index_url_from_env("http://x/simple/") == "http://x/simple/"
    monkeypatch.delenv("PIP_INDEX_URL")
    assert index_url_from_env(None) == "https://pypi.org/simple/"


def fake_python(tmp_path: Path, site: Path) -> str:
    """An interpreter whose only site-packages is ``site`` (a wrapper script around this one;
    ``-S`` keeps this interpreter's own site-packages, which may hold TensorFlow, out)."""
    exe = tmp_path / "python-with-tf"
    exe.write_text(f'#!/bin/sh\nPYTHONPATH="{site}" exec "{sys.executable}" -S "$@"\n')
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    return str(exe)


def test_installed_asks_that_interpreter(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "tensorflow").mkdir(parents=True)
    (site / "tensorflow" / "__init__.py").write_text("raise ImportError('never imported')\n")
    di = site / "tensorflow_cpu-2.15.0.dist-info"
    di.mkdir()
    (di / "METADATA").write_text("Metadata-Version: 2.1\nName: tensorflow-cpu\nVersion: 2.15.0\n")
    (di / "top_level.txt").write_text("tensorflow\n")
    py = fake_python(tmp_path, site)
    rel = resolve_versions([f"installed:{py}"], None)
    assert [(x.version, x.python) for x in rel] == [("2.15.0", py)]
    with pytest.raises(UsageError, match="no tensorflow installed"):
        resolve_versions(["installed:" + fake_python(tmp_path / "x", tmp_path / "empty")
                          if (tmp_path / "x").mkdir() is None else ""], None)
    with pytest.raises(UsageError, match="cannot run interpreter"):
        resolve_versions([f"installed:{os.devnull}x"], None)


def test_pep440_ranges_take_every_final_release_in_them() -> None:
    assert r(">=1.8,<1.11") == ["1.8.0", "1.9.0", "1.10.0"]  # 1.10.1 yanked, 1.8.0rc1 pre
    assert r("~=2.15.0") == ["2.15.0", "2.15.1"]
    assert r("==2.15.*") == ["2.15.0", "2.15.1"]
    assert r(">1.7,!=1.9.0,<2") == ["1.8.0", "1.10.0"]
    assert r(">=2.16") == ["2.16.1"]  # 2.17.0 yanked, the rcs are pre-releases
    with pytest.raises(UsageError, match=r"no final release matches '>=3'; closest: "):
        r(">=3")
    with pytest.raises(UsageError, match=r"only yanked: 2\.17\.0"):
        r(">=2.17")
    with pytest.raises(UsageError, match=r"bad version range '>=1\.8,<<1\.9'.*'~=2\.15\.0'"):
        r(">=1.8,<<1.9")


@pytest.mark.network
def test_range_on_the_real_index_is_listed_in_the_header(tmp_path: Path,
                                                         real_cache: Path) -> None:
    import json
    import subprocess

    res = subprocess.run(
        [sys.executable, "-m", "tfinit_audit", "--versions", ">=1.8,<1.11", "--symbols",
         "tf.nn.rnn_cell.LSTMCell", "--no-live", "--cache-dir", str(real_cache), "--format",
         "json", "--out", str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    got = [(v["requested"], v["tensorflow"]) for v in report["versions"]]
    assert got == [(">=1.8,<1.11", v) for v in ("1.8.0", "1.9.0", "1.10.0", "1.10.1")]
    assert res.stdout.splitlines()[0] == "Releases: >=1.8,<1.11 → 1.8.0, 1.9.0, 1.10.0, 1.10.1"
    assert "releases: >=1.8,<1.11 → 1.8.0, 1.9.0, 1.10.0, 1.10.1" in res.stderr


def test_specs_that_may_name_several_releases() -> None:
    # known before the index is asked (the workers' server may start meanwhile)
    assert not may_name_several([]) and not may_name_several(["1.8"])
    assert not may_name_several(["2.15.1"]) and not may_name_several(["latest"])
    assert may_name_several(["1.8", "2.15"]) and may_name_several(["all"])
    assert may_name_several([">=1.8,<1.11"]) and may_name_several(["~=2.15.0"])
