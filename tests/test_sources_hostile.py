"""Hostile input, end to end: the real TensorFlow 1.8.0 sources served from a loopback index
(tests/real_wheel.py) through each fault, and written out as ``dir:`` trees with broken files.

Each test runs the real command line in a child process (tests/faults.py) and checks that the
hostile input fails only its own release with one line naming the wheel, the member and the
bound, that nothing of it is cached, that the other release goes on with the real answer, and
that time and peak memory stay bounded; the figures are printed at the end of the run.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from faults import run_cli, tree_size
from httpserver import FakeIndex, LoopbackServer
from real_wheel import RNN, VERSION, RealSources, huge_directory, lying_bomb

from tfinit_audit.report.model import _plain
from tfinit_audit.sources import SourceContext
from tfinit_audit.sources.cache import Cache

pytestmark = [pytest.mark.network, pytest.mark.slow]

LSTM = "tf.nn.rnn_cell.LSTMCell"
DENSE = "tf.layers.Dense"
CORE = "tensorflow/python/layers/core.py"
MiB = 1024 * 1024
PEAK_MIB = 250  # a clean audit of these two symbols peaks near 75 MiB (VmHWM)
CHILD_TIMEOUT = 150.0


@pytest.fixture(scope="session")
def real18(real_ctx: SourceContext) -> RealSources:
    return RealSources.fetch(real_ctx, [LSTM, DENSE])


@pytest.fixture(scope="session")
def bomb_wheel(real18: RealSources) -> tuple[str, bytes]:
    """1.9.0 = the real 1.8.0 sources with rnn_cell_impl.py inflating to 1 GiB (~1 MB)."""
    return real18.wheel("1.9.0", bomb=RNN)


def _weights(result: Any) -> list[Any]:
    return [_plain(w) for w in result.weights]


def _lstm(report_version: dict[str, Any]) -> dict[str, Any]:
    return next(s for s in report_version["symbols"] if s["symbol"] == LSTM)


def _args(index: FakeIndex, tmp: Path, *versions: str, symbols: tuple[str, ...] = (LSTM,)
          ) -> list[str]:
    return ["--versions", *versions, "--index-url", index.url, "--cache-dir",
            str(tmp / "cache"), "--no-live", "--symbols", *symbols]


def _assert_real_answer(real18: RealSources, version: dict[str, Any]) -> None:
    assert version["status"] == "ok", version["error"]
    lstm = _lstm(version)
    (expected,) = [r for r in real18.results if r.symbol == LSTM]
    assert lstm["status"] == "resolved"
    got = [{**w, "provenance": [{**h, "path": h["path"]} for h in w["provenance"]]}
           for w in lstm["weights"]]
    assert got == _weights(expected)
    assert lstm["weights"][0]["initializer"]["kind"] == "glorot_uniform"


def _bounded(run: Any, seconds: float = 60.0) -> None:
    assert run.peak_mib < PEAK_MIB, f"peak {run.peak_mib:.0f} MiB"
    assert run.seconds < seconds, f"{run.seconds:.1f} s"


def _nothing_cached_of(cache: Path, sha256: str, member: str) -> None:
    assert not Cache(cache).has("wheel", sha256, member)


# --------------------------------------------------------------------------------------------
# the reference: the local copy gives the index's answer
# --------------------------------------------------------------------------------------------
def test_local_copy_of_the_real_release_gives_the_index_answer(
    real18: RealSources, index: FakeIndex, tmp_path: Path
) -> None:
    index.add_file("tensorflow", *real18.wheel())
    run = run_cli(_args(index, tmp_path, VERSION, symbols=(LSTM, DENSE)), tmp_path,
                  case="clean real 1.8.0 (reference)")
    assert run.code == 0, run.err
    _assert_real_answer(real18, run.version(VERSION))
    assert run.version(VERSION)["warnings"] == []
    _bounded(run)


# --------------------------------------------------------------------------------------------
# wheels
# --------------------------------------------------------------------------------------------
def test_zip_bomb_fails_its_release_only(real18: RealSources, bomb_wheel: tuple[str, bytes],
                                         index: FakeIndex, tmp_path: Path) -> None:
    index.add_file("tensorflow", *real18.wheel())
    pub = index.add_file("tensorflow", *bomb_wheel)
    run = run_cli(_args(index, tmp_path, VERSION, "1.9.0"), tmp_path,
                  case="zip bomb: 1 GiB member, true size (1.2 MB)")
    assert run.code == 3
    member = real18.member(RNN, "1.9.0")
    (line,) = [x for x in run.error_lines if "1.9.0" in x]
    assert pub.filename in line and member in line and "16 MiB bound" in line, line
    assert "TFINIT_AUDIT_MAX_MEMBER" in line
    _assert_real_answer(real18, run.version(VERSION))
    assert run.version("1.9.0")["status"] == "error"
    _nothing_cached_of(tmp_path / "cache", pub.sha256, member)
    assert tree_size(tmp_path / "cache") < 20 * MiB
    _bounded(run)


def test_zip_bomb_that_lies_about_its_size(real18: RealSources, index: FakeIndex,
                                           tmp_path: Path) -> None:
    _, clean = real18.wheel("1.9.0")
    member = real18.member(RNN, "1.9.0")
    pub = index.add_file("tensorflow", "tensorflow-1.9.0-cp36-cp36m-manylinux1_x86_64.whl",
                         lying_bomb(clean, member))
    index.add_file("tensorflow", *real18.wheel())
    run = run_cli(_args(index, tmp_path, VERSION, "1.9.0"), tmp_path,
                  case="zip bomb: 1 GiB member, declared 68 KB")
    assert run.code == 3
    (line,) = [x for x in run.error_lines if "1.9.0" in x]
    assert member in line and "inflates beyond its declared" in line, line
    _assert_real_answer(real18, run.version(VERSION))
    _nothing_cached_of(tmp_path / "cache", pub.sha256, member)
    _bounded(run)


def test_local_wheel_zip_bomb(bomb_wheel: tuple[str, bytes], tmp_path: Path) -> None:
    path = tmp_path / bomb_wheel[0]
    path.write_bytes(bomb_wheel[1])
    run = run_cli(["--source", f"wheel:{path}", "--symbols", LSTM, "--no-live",
                   "--cache-dir", str(tmp_path / "cache")], tmp_path,
                  case="zip bomb in a local wheel: (wheel:PATH)")
    assert run.code == 3
    assert any("16 MiB bound" in x and RNN in x for x in run.error_lines), run.err
    _bounded(run)


def test_directory_claiming_gigabytes(real18: RealSources, index: FakeIndex,
                                      tmp_path: Path) -> None:
    name, clean = real18.wheel("1.9.0")
    index.add_file("tensorflow", name, huge_directory(clean))
    index.add_file("tensorflow", *real18.wheel())
    run = run_cli(_args(index, tmp_path, VERSION, "1.9.0"), tmp_path,
                  case="zip directory claiming 3.9 GB")
    assert run.code == 3
    (line,) = [x for x in run.error_lines if "1.9.0" in x]
    assert name in line and "3,900,000,000 bytes, over the 32 MiB bound" in line, line
    _assert_real_answer(real18, run.version(VERSION))
    _bounded(run)


def test_too_many_members_in_the_directory(real18: RealSources, index: FakeIndex,
                                           tmp_path: Path) -> None:
    index.add_file("tensorflow", *real18.wheel())
    run = run_cli(_args(index, tmp_path, VERSION), tmp_path,
                  case="directory over the member-count bound (10)",
                  env={"TFINIT_AUDIT_MAX_MEMBERS": "10"})
    assert run.code == 3
    assert any("members, over the bound of 10" in x for x in run.error_lines), run.err


def test_member_paths_never_leave_the_cache(real18: RealSources, index: FakeIndex,
                                            server: LoopbackServer, tmp_path: Path) -> None:
    """A wheel listed under ``../../../escape-...whl`` with ``../`` members, from a server that
    ignores Range (the whole-wheel download path): nothing is written outside the cache."""
    hostile = {"../../../../escaped-member.py": b"X = 1\n",
               "tensorflow/../../escaped-too.py": b"X = 2\n"}
    name, data = real18.wheel(extra=hostile)
    index.add_file("tensorflow", name, data)
    index.add_file("tensorflow", "../../../escape-1.8.0-cp36-cp36m-manylinux1_x86_64.whl",
                   data + bytes(200_000))  # larger: ranked first if it were taken
    server.state.range_enabled = False
    work = tmp_path / "a" / "b" / "c"
    work.mkdir(parents=True)
    before = {p for p in tmp_path.rglob("*")}
    run = run_cli(_args(index, work, VERSION), work, case="../ member names, no Range")
    assert run.code == 0, run.err
    _assert_real_answer(real18, run.version(VERSION))
    created = {p for p in tmp_path.rglob("*")} - before
    outside = [p for p in created if not p.is_relative_to(work)]
    assert outside == []
    assert not any("escape" in p.name for p in created)
    listing = run_cli(["fetch", "--versions", VERSION, "--index-url", index.url,
                       "--cache-dir", str(work / "cache"), "--list", ""], work,
                      case="../ member names: fetch --list")
    assert listing.code == 0, listing.err
    assert listing.out.strip() and ".." not in listing.out


# --------------------------------------------------------------------------------------------
# servers
# --------------------------------------------------------------------------------------------
def test_slow_loris_body(real18: RealSources, bomb_wheel: tuple[str, bytes], index: FakeIndex,
                         server: LoopbackServer, tmp_path: Path) -> None:
    index.add_file("tensorflow", *real18.wheel())
    slow = index.add_file("tensorflow", *real18.wheel("1.9.0"))
    server.state.drip[f"/files/{slow.filename}"] = 0.2  # one byte every 0.2 s
    run = run_cli(_args(index, tmp_path, VERSION, "1.9.0"), tmp_path,
                  case="slow-loris body, 1 byte / 0.2 s (deadline 3 s)",
                  env={"TFINIT_AUDIT_READ_DEADLINE": "3"}, timeout=CHILD_TIMEOUT)
    assert run.code == 3
    (line,) = [x for x in run.error_lines if "1.9.0" in x]
    assert slow.filename in line and "no complete answer within 3 s" in line, line
    _assert_real_answer(real18, run.version(VERSION))
    _bounded(run, seconds=30)


def test_slow_loris_headers(real18: RealSources, index: FakeIndex, server: LoopbackServer,
                            tmp_path: Path) -> None:
    slow = index.add_file("tensorflow", *real18.wheel())
    server.state.drip_headers[f"/files/{slow.filename}"] = 0.5  # one header line each 0.5 s
    run = run_cli(_args(index, tmp_path, VERSION), tmp_path,
                  case="slow-loris headers, 1 line / 0.5 s (deadline 3 s)",
                  env={"TFINIT_AUDIT_READ_DEADLINE": "3"}, timeout=CHILD_TIMEOUT)
    assert run.code == 3
    assert any("no complete answer within 3 s" in x for x in run.error_lines), run.err
    _bounded(run, seconds=30)


def test_redirect_loop(real18: RealSources, index: FakeIndex, server: LoopbackServer,
                       tmp_path: Path) -> None:
    pub = index.add_file("tensorflow", *real18.wheel())
    server.state.redirect[f"/files/{pub.filename}"] = f"/files/{pub.filename}"
    run = run_cli(_args(index, tmp_path, VERSION), tmp_path, case="redirect loop")
    assert run.code == 3
    assert any("Exceeded 5 redirects" in x for x in run.error_lines), run.err
    hops = server.state.requests_for(f"/files/{pub.filename}")
    assert len(hops) <= 4 * 6  # a few requests of at most 6 hops each, not 30
    _bounded(run, seconds=30)


@pytest.mark.parametrize("say_length", [False, True], ids=["streamed", "content-length"])
def test_endless_index_answer(index: FakeIndex, server: LoopbackServer, tmp_path: Path,
                              say_length: bool) -> None:
    server.state.endless["/simple/tensorflow/"] = (4 * 1024 * MiB, say_length)
    run = run_cli(_args(index, tmp_path, VERSION), tmp_path,
                  case=f"index answer of 4 GiB ({'Content-Length' if say_length else 'no length'})")
    assert run.code == 3
    assert any("over the 64 MiB bound" in x and "TFINIT_AUDIT_MAX_ANSWER" in x
               for x in run.error_lines), run.err
    assert tree_size(tmp_path / "cache") < MiB
    _bounded(run, seconds=60)


def test_release_byte_budget(real18: RealSources, index: FakeIndex, tmp_path: Path) -> None:
    index.add_file("tensorflow", *real18.wheel())
    run = run_cli(_args(index, tmp_path, VERSION), tmp_path,
                  case="release over its byte budget (100 KB)",
                  env={"TFINIT_AUDIT_MAX_RELEASE_BYTES": "100000"})
    assert run.code == 3
    assert any("TFINIT_AUDIT_MAX_RELEASE_BYTES" in x and "tensorflow 1.8.0" in x
               for x in run.error_lines), run.err


def test_files_read_bound(real18: RealSources, index: FakeIndex, tmp_path: Path) -> None:
    index.add_file("tensorflow", *real18.wheel())
    run = run_cli(_args(index, tmp_path, VERSION), tmp_path,
                  case="release over its files-read bound (3)",
                  env={"TFINIT_AUDIT_MAX_FILES": "3"})
    assert run.code == 3
    assert any("more than 3 files read" in x for x in run.error_lines), run.err


# --------------------------------------------------------------------------------------------
# dir: trees
# --------------------------------------------------------------------------------------------
def _site(real18: RealSources, root: Path, **replace: bytes) -> Path:
    """The real files as an unpacked site-packages tree (dist-info with top_level.txt)."""
    for name, data in real18.files():
        rel = name.split("/purelib/", 1)[-1]
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (root / f"tensorflow-{VERSION}.dist-info" / "top_level.txt").write_text("tensorflow\n")
    for rel, data in replace.items():
        (root / rel.replace("__", "/")).write_bytes(data)
    return root


def _dir_args(site: Path, tmp: Path) -> list[str]:
    return ["--source", f"dir:{site}", "--symbols", LSTM, DENSE, "--no-live", "--cache-dir",
            str(tmp / "cache")]


def _dense(version: dict[str, Any]) -> dict[str, Any]:
    return next(s for s in version["symbols"] if s["symbol"] == DENSE)


def test_dir_tree_with_loops_pipes_and_bad_bytes(real18: RealSources, tmp_path: Path) -> None:
    site = _site(real18, tmp_path / "site")
    ops = site / "tensorflow/python/ops"
    os.symlink("loop.py", ops / "loop.py")  # a symlink to itself
    os.symlink("..", ops / "again")  # a directory loop
    os.symlink("nowhere.py", ops / "gone.py")  # dangling
    (site / CORE).unlink()
    os.mkfifo(site / CORE)  # a read would block for ever
    rnn = (site / RNN).read_bytes()
    (site / RNN).write_bytes(rnn.replace(b"# Copyright", b"# Copyright \xe9", 1))  # latin-1
    run = run_cli(_dir_args(site, tmp_path), tmp_path,
                  case="dir: symlink loops, dangling link, FIFO, non-UTF-8", timeout=60)
    assert run.code == 0, run.err
    (v,) = run.report["versions"] if run.report else []
    _assert_real_answer(real18, v)
    warnings = "\n".join(v["warnings"])
    assert "tensorflow/python/ops/loop.py: symlink loop; skipped" in warnings
    assert "tensorflow/python/ops/gone.py: dangling symlink; skipped" in warnings
    assert f"{CORE}: a named pipe, not a file; skipped" in warnings
    assert f"{RNN}: not UTF-8 (byte" in warnings
    assert _dense(v)["status"] != "resolved"
    assert "warning: " in run.out  # the terminal summary shows them
    _bounded(run)


def test_dir_tree_declared_encoding_is_no_problem(real18: RealSources, tmp_path: Path) -> None:
    rnn = next(d for n, d in real18.files() if n.endswith(RNN))
    latin = b"# -*- coding: latin-1 -*-\n" + rnn.replace(b"# Copyright", b"# Copyright \xe9", 1)
    site = _site(real18, tmp_path / "site", **{RNN.replace("/", "__"): latin})
    run = run_cli(_dir_args(site, tmp_path), tmp_path, case="dir: latin-1 declared (PEP 263)")
    assert run.code == 0, run.err
    (v,) = run.report["versions"] if run.report else []
    assert v["warnings"] == []
    lstm = _lstm(v)
    assert lstm["status"] == "resolved"
    assert lstm["weights"][0]["initializer"]["kind"] == "glorot_uniform"


def test_dir_tree_with_a_syntax_error(real18: RealSources, tmp_path: Path) -> None:
    core = next(d for n, d in real18.files() if n.endswith(CORE))
    broken = core.replace(b"class Dense(", b"class Dense((", 1)
    site = _site(real18, tmp_path / "site", **{CORE.replace("/", "__"): broken})
    run = run_cli(_dir_args(site, tmp_path), tmp_path, case="dir: syntax error in one file")
    assert run.code == 0, run.err
    (v,) = run.report["versions"] if run.report else []
    _assert_real_answer(real18, v)
    assert any(w.startswith(f"{CORE}:") and "SyntaxError" in w for w in v["warnings"]), v
    assert _dense(v)["status"] != "resolved"
    again = run_cli(_dir_args(site, tmp_path), tmp_path, case="dir: syntax error, warm cache")
    (w,) = again.report["versions"] if again.report else []
    assert w["warnings"] == v["warnings"]  # the cached result keeps them


def test_dir_tree_with_a_huge_file(real18: RealSources, tmp_path: Path) -> None:
    site = _site(real18, tmp_path / "site")
    with open(site / CORE, "r+b") as fh:
        fh.truncate(3 * 1024 * MiB)  # 3 GiB, sparse: costs no disk
    run = run_cli(_dir_args(site, tmp_path), tmp_path, case="dir: 3 GiB sparse file")
    assert run.code == 0, run.err
    (v,) = run.report["versions"] if run.report else []
    _assert_real_answer(real18, v)
    assert any(CORE in w and "16 MiB bound" in w for w in v["warnings"]), v["warnings"]
    _bounded(run)
    shutil.rmtree(site)


def test_dir_tree_with_an_unreadable_file(real18: RealSources, tmp_path: Path) -> None:
    """A file the user may not read (run as root, the child drops the capability that lets
    root read any file)."""
    site = _site(real18, tmp_path / "site")
    (site / CORE).chmod(0)
    run = run_cli(_dir_args(site, tmp_path), tmp_path, case="dir: unreadable file (EACCES)",
                  honour_permissions=True)
    assert run.code == 0, run.err
    (v,) = run.report["versions"] if run.report else []
    _assert_real_answer(real18, v)
    assert f"{CORE}: cannot read (Permission denied); skipped" in v["warnings"]
    assert _dense(v)["status"] != "resolved"
