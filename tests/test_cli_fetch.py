"""The CLI: help, version, exit codes, one-line errors, fetch --list/--show, cache info/clear."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from httpserver import FakeIndex, LoopbackServer

from tfinit_audit import __version__
from tfinit_audit.cli import build_parser, main

INIT = "def glorot_uniform_initializer():\n    pass\n"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("cmd", [[], ["fetch"], ["cache"], ["cache", "info"], ["cache", "clear"]])
def test_help_explains_every_option_with_an_example(cmd: list[str],
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main([*cmd, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "example" in out.lower()
    parser = build_parser()
    if not cmd:
        for opt in ("--versions", "--source", "--index-url", "--cache-dir", "--offline",
                    "--debug", "--version", "--out", "--symbols", "--units", "--input-dim",
                    "--no-live", "--format"):
            assert opt in out, opt
    for action in parser._actions:
        if action.help and action.option_strings and action.dest != "help":
            assert "Example" in action.help or "example" in action.help, action.dest


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"tfinit-audit {__version__}"
    res = subprocess.run([sys.executable, "-m", "tfinit_audit", "--version"],
                         capture_output=True, text=True, check=True)
    assert __version__ in res.stdout


# tf.nn.rnn_cell.LSTMCell exists (a class without weights: "partial"), so it is no typo
PUBLIC_LSTMCELL = {
    "tensorflow/__init__.py": "from tensorflow import nn\n",
    "tensorflow/nn/__init__.py": "from tensorflow.nn import rnn_cell\n",
    "tensorflow/nn/rnn_cell/__init__.py": "from tensorflow.python.cells import LSTMCell\n",
    "tensorflow/python/cells.py": "class LSTMCell(object):\n    pass\n",
}


@pytest.fixture()
def published(index: FakeIndex) -> FakeIndex:
    for v in ("1.8.0", "1.9.0", "1.10.0"):
        index.add("tensorflow", v, {"tensorflow/python/ops/init_ops.py": INIT + f"# {v}\n",
                                    "tensorflow/python/ops/rnn_cell_impl.py": "class X: pass\n",
                                    **PUBLIC_LSTMCELL},
                  purelib=True)
    return index


def test_bad_version_exit_2_one_line(published: FakeIndex, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["--versions", "1.9.5", "--index-url", published.url,
                          "--cache-dir", str(tmp_path)], capsys)
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "closest: 1.8.0, 1.9.0, 1.10.0" in err


def test_fetch_list_and_show(published: FakeIndex, tmp_path: Path,
                             capsys: pytest.CaptureFixture[str]) -> None:
    common = ["--index-url", published.url, "--cache-dir", str(tmp_path)]
    code, out, err = run(["fetch", "--versions", "1.9", "--list", "tensorflow/python/ops",
                          *common], capsys)
    assert code == 0, err
    assert out.splitlines() == ["tensorflow/python/ops/init_ops.py",
                                "tensorflow/python/ops/rnn_cell_impl.py"]
    code, out, err = run(["fetch", "--versions", "1.10.0", "--show",
                          "tensorflow/python/ops/init_ops.py", *common], capsys)
    assert code == 0 and out == INIT + "# 1.10.0\n"
    code, out, err = run(["fetch", "--versions", "1.10.0", "--show", "tensorflow/nope.py",
                          *common], capsys)
    assert code == 2 and "has no file 'tensorflow/nope.py'" in err
    # offline now works from the cache; a version never fetched is named as missing
    code, out, err = run(["fetch", "--offline", "--versions", "1.10.0", "--show",
                          "tensorflow/python/ops/init_ops.py", *common], capsys)
    assert code == 0 and out == INIT + "# 1.10.0\n"
    code, out, err = run(["fetch", "--offline", "--versions", "1.8.0", "--list", "tensorflow",
                          *common], capsys)
    assert code == 3 and "offline" in err and "not in the cache" in err


def test_main_job_reports_each_version_and_fails_with_3(
        published: FakeIndex, server: LoopbackServer, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    broken = [f for f in published.projects["tensorflow"] if "1.9.0" in f["filename"]][0]
    server.state.fail_next[f"/files/{broken['filename']}"] = 10_000
    out_dir = tmp_path / "out"
    code, out, err = run(["--versions", "1.8", "1.9", "1.10", "--index-url", published.url,
                          "--cache-dir", str(tmp_path), "--no-live", "--out", str(out_dir)],
                         capsys)
    assert code == 3
    # the summary covers the three releases: the failed one is said where its answers would be
    assert "3 releases, 1.8.0 … 1.10.0" in out
    # progress, not a terminal: one line per release as it is done, and nothing per symbol
    done = [ln for ln in err.splitlines() if re.match(r"tfinit-audit: \[\d/3\] ", ln)]
    assert [ln[len("tfinit-audit: ["):][0] for ln in done] == ["1", "2", "3"], err
    assert any(ln.endswith("1.9.0 failed") for ln in done), done
    assert "tfinit-audit: fetching 3 releases" in err
    assert "LSTMCell" not in err
    assert re.search(r"\n  ∅ absent +1\.8\.0 · 1\.10\.0\n  ✖ error +1\.9\.0\n", out)
    assert "1.9: error:" in err and "Traceback" not in err
    # what was fetched and computed for the other releases is kept in the reports
    report = json.loads((out_dir / "report.json").read_text())
    by_req = {v["requested"]: v for v in report["versions"]}
    assert by_req["1.9"]["status"] == "error" and by_req["1.9"]["error"]
    assert by_req["1.8"]["status"] == "ok" and by_req["1.8"]["tensorflow"] == "1.8.0"
    assert by_req["1.10"]["status"] == "ok" and (out_dir / "index.html").is_file()


def test_cache_info_and_clear(published: FakeIndex, tmp_path: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    run(["fetch", "--versions", "1.8", "--show", "tensorflow/python/ops/init_ops.py",
         "--index-url", published.url, "--cache-dir", str(tmp_path)], capsys)
    code, out, _ = run(["cache", "info", "--cache-dir", str(tmp_path)], capsys)
    assert code == 0 and str(tmp_path) in out and "wheel: 2" in out  # METADATA + init_ops
    code, out, _ = run(["cache", "clear", "--cache-dir", str(tmp_path)], capsys)
    assert code == 0 and "cleared" in out
    code, out, _ = run(["cache", "info", "--cache-dir", str(tmp_path)], capsys)
    assert "entries: 0" in out


def test_usage_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["--source", "ftp:x", "--versions", "1.8"], capsys)
    assert code == 2 and err.count("\n") == 1 and "bad --source" in err
    code, _, err = run(["--source", f"dir:{tmp_path / 'missing'}"], capsys)
    assert code == 2 and "not a directory" in err
    with pytest.raises(SystemExit) as exc:
        main(["--units", "0"])
    assert exc.value.code == 2


def test_debug_shows_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["--debug", "--source", f"dir:{tmp_path / 'missing'}"], capsys)
    assert code == 2 and "Traceback" in err


def test_keyboard_interrupt_is_130(monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    import tfinit_audit.cli as cli

    def boom(args: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "run_audit", boom)
    code, _, err = run(["--versions", "1.8"], capsys)
    assert code == 130 and err.strip() == "tfinit-audit: interrupted"
