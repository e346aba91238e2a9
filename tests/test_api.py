"""The Python API (``tfinit_audit.audit/explain/diff/verify``): what README.md promises.

- ``import tfinit_audit`` is light and exposes exactly the documented names;
- ``audit`` uses the CLI's defaults, cache (TFINIT_AUDIT_CACHE) and index (PIP_INDEX_URL);
- no live check unless asked;
- bad input raises ``tfinit_audit.AuditError`` (the CLI exits 2 on the same input), a release
  that fails to fetch is a report entry with status "error" (the CLI exits 3);
- on real releases: ``to_json_dict()`` is the CLI's report.json, ``explain``/``diff`` text is what
  the CLI prints, and the README's API example runs as written.
"""

from __future__ import annotations

import inspect
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from httpserver import FakeIndex, LoopbackServer

import tfinit_audit
from tfinit_audit.cli import main
from tfinit_audit.cli.parser import DEFAULTS
from tfinit_audit.errors import FetchError, ReleaseError, UsageError
from tfinit_audit.pipeline import Step
from tfinit_audit.report.json_report import render_json
from tfinit_audit.sources.cache import Cache, venvs_dir

ROOT = Path(__file__).resolve().parents[1]
VENVS = venvs_dir()  # $TFINIT_AUDIT_VENVS, else venvs/ in the tool's cache dir
INIT = "def glorot_uniform_initializer():\n    pass\n"
LSTM_CELL = "tf.nn.rnn_cell.LSTMCell"


def _fresh_python(code: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TFINIT_AUDIT_CACHE",)}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=300)


# ------------------------------------------------------------------------------- the package
def test_import_is_light_and_exposes_the_documented_names() -> None:
    res = _fresh_python(
        "import sys, json, tfinit_audit\n"
        "heavy = [m for m in ('scipy', 'rich', 'requests', 'numpy', 'jinja2',"
        " 'tfinit_audit.pipeline') if m in sys.modules]\n"
        "fn = tfinit_audit.audit\n"
        "print(json.dumps({'heavy': heavy, 'all': tfinit_audit.__all__,"
        " 'module': fn.__module__, 'dir': [n for n in dir(tfinit_audit) if not n.startswith('_')]"
        "}))\n"
    )
    assert res.returncode == 0, res.stderr
    got = json.loads(res.stdout)
    assert got["heavy"] == []
    assert got["module"] == "tfinit_audit.pipeline"
    assert set(got["all"]) == {"audit", "explain", "diff", "verify", "port", "scan",
                               "AuditError", "UsageError", "FetchError", "__version__"}
    assert {"audit", "explain", "diff", "verify", "port", "scan", "AuditError"} <= set(
        got["dir"])
    with pytest.raises(AttributeError):
        tfinit_audit.no_such_name  # type: ignore[attr-defined]  # noqa: B018
    assert issubclass(UsageError, tfinit_audit.AuditError)
    assert issubclass(FetchError, tfinit_audit.AuditError)
    assert issubclass(ReleaseError, FetchError)


def test_api_defaults_are_the_cli_defaults() -> None:
    for fn in (tfinit_audit.audit, tfinit_audit.explain, tfinit_audit.diff,
               tfinit_audit.verify, tfinit_audit.port, tfinit_audit.scan):
        params = inspect.signature(fn).parameters
        for name in ("source", "index_url", "cache_dir", "offline", "units", "input_dim",
                     "timeout"):
            if name in params:
                assert params[name].default == DEFAULTS[name], (fn.__name__, name)
        assert fn.__doc__ and len(fn.__doc__) > 200, fn.__name__
    # the CLI option "no live check" is the API's default
    assert inspect.signature(tfinit_audit.audit).parameters["live"].default is False
    assert inspect.signature(tfinit_audit.audit).parameters["python"].default is None


# ------------------------------------------------------------------ a fake index (no network)
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


def test_audit_uses_the_cli_cache_and_index_from_the_environment(
    published: FakeIndex, server: LoopbackServer, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    cache_dir = tmp_path / "env-cache"
    monkeypatch.setenv("TFINIT_AUDIT_CACHE", str(cache_dir))
    monkeypatch.setenv("PIP_INDEX_URL", published.url)
    report = tfinit_audit.audit(["1.8", "1.10"], symbols=[LSTM_CELL])
    assert [(v.requested, v.tensorflow, v.status) for v in report.versions] == [
        ("1.8", "1.8.0", "ok"), ("1.10", "1.10.0", "ok")]
    assert report.versions[0].packages[0].file.startswith("tensorflow-1.8.0-")
    assert server.state.requests_for("/simple/tensorflow/")  # the index from PIP_INDEX_URL
    assert Cache(cache_dir).info().entries > 0  # the cache from TFINIT_AUDIT_CACHE
    # the CLI sees the same cache with the same (default) options...
    assert main(["cache", "info"]) == 0
    assert str(cache_dir) in capsys.readouterr().out
    # ...and it is enough for both, offline
    server.state.log.clear()
    again = tfinit_audit.audit(["1.8.0"], symbols=[LSTM_CELL], offline=True)
    assert again.versions[0].status == "ok" and again.versions[0].fetch.requests == 0
    out = tmp_path / "out"
    assert main(["--versions", "1.8.0", "--symbols", LSTM_CELL, "--offline", "--no-live",
                 "--format", "json", "--out", str(out)]) == 0
    assert not server.state.log  # neither touched the network
    cli = json.loads((out / "report.json").read_text())
    assert _answers(cli) == _answers(again.to_json_dict())


def test_audit_does_no_live_check_unless_asked(published: FakeIndex, tmp_path: Path) -> None:
    """In a fresh interpreter (which has TensorFlow in the test venv, so the CLI's main job
    would verify it): audit() never starts the live stage; asking for it does."""
    code = (
        "import sys, json, tfinit_audit\n"
        f"kw = dict(symbols=['{LSTM_CELL}'], index_url={published.url!r},"
        f" cache_dir={str(tmp_path / 'c')!r})\n"
        "r = tfinit_audit.audit(['1.8'], **kw)\n"
        "quiet = [m for m in ('tfinit_audit.live.runner', 'scipy') if m in sys.modules]\n"
        "try:\n"
        "    tfinit_audit.audit(['1.8'], python='/nonexistent/python', **kw)\n"
        "    asked = 'no error'\n"
        "except tfinit_audit.AuditError as exc:\n"
        "    asked = str(exc)\n"
        "print(json.dumps({'live': len(r.live), 'loaded': quiet, 'asked': asked,"
        " 'runner': 'tfinit_audit.live.runner' in sys.modules}))\n"
    )
    res = _fresh_python(code)
    assert res.returncode == 0, res.stderr
    got = json.loads(res.stdout)
    assert got["live"] == 0 and got["loaded"] == []
    # python= asks for the live check: the live stage runs (and finds no such interpreter)
    assert got["runner"] is True and "/nonexistent/python" in got["asked"]


def test_bad_input_raises_the_documented_base_class(
    published: FakeIndex, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    opts: dict[str, Any] = {"index_url": published.url, "cache_dir": tmp_path / "c"}
    main_job = ["--no-live", "--format", "none"]
    cases: list[tuple[Any, str, list[str] | None]] = [
        (lambda: tfinit_audit.audit(["1.9.5"], **opts), "closest: 1.8.0, 1.9.0, 1.10.0",
         ["--versions", "1.9.5", *main_job]),
        (lambda: tfinit_audit.audit(["1.8"], symbols=["bad["], **opts), "bad symbol 'bad['",
         ["--versions", "1.8", "--symbols", "bad[", *main_job]),
        (lambda: tfinit_audit.audit(["1.8"], source="ftp:x", **opts), "bad --source",
         ["--versions", "1.8", "--source", "ftp:x", *main_job]),
        (lambda: tfinit_audit.audit(None, **opts), "--versions is required", main_job),
        (lambda: tfinit_audit.explain(LSTM_CELL, **opts), "explain needs the release",
         ["explain", LSTM_CELL]),
        (lambda: tfinit_audit.explain(LSTM_CELL, "all", **opts), "exactly one release",
         ["explain", LSTM_CELL, "--version", "all"]),
        (lambda: tfinit_audit.diff("1.8", **opts), "at least two releases", ["diff", "1.8"]),
        (lambda: tfinit_audit.audit(["1.8"], units=0, **opts), "units must be", None),
    ]
    for call, message, argv in cases:
        with pytest.raises(tfinit_audit.AuditError) as exc:
            call()
        assert isinstance(exc.value, UsageError) and exc.value.exit_code == 2
        assert message in str(exc.value), (message, str(exc.value))
        if argv is not None:  # the CLI says the same in one line and exits 2
            code = main([*argv, "--index-url", published.url,
                         "--cache-dir", str(opts["cache_dir"])])
            err = capsys.readouterr().err
            assert code == 2 and message in err and err.count("\n") == 1, err


def test_every_release_failing_on_bad_input_raises(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """A local tree that is not the release asked for: nothing to report (CLI: exit 2)."""
    root = tmp_path / "site"
    for path, text in {
        "tensorflow/python/ops/init_ops.py": INIT,
        "tensorflow-1.8.0.dist-info/METADATA": "Name: tensorflow\nVersion: 1.8.0\n",
        "tensorflow-1.8.0.dist-info/top_level.txt": "tensorflow\n",
    }.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    src, cache = f"dir:{root}", tmp_path / "c"
    with pytest.raises(UsageError, match="does not match"):
        tfinit_audit.audit(["2.15"], source=src, symbols=[LSTM_CELL], cache_dir=cache)
    assert main(["--versions", "2.15", "--source", src, "--cache-dir", str(cache),
                 "--no-live", "--format", "none"]) == 2
    assert "does not match" in capsys.readouterr().err
    # one of two failing on input is an entry with status "error", not an exception
    report = tfinit_audit.audit(["1.8", "2.15"], source=src, symbols=[LSTM_CELL],
                                cache_dir=cache)
    assert [(v.requested, v.status) for v in report.versions] == [("1.8", "ok"),
                                                                  ("2.15", "error")]
    assert isinstance(report.versions[1].exception, UsageError)
    assert "does not match" in (report.versions[1].error or "")


def test_a_failed_fetch_is_a_report_entry_not_an_exception(
    published: FakeIndex, server: LoopbackServer, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    broken = [f for f in published.projects["tensorflow"] if "1.9.0" in f["filename"]][0]
    server.state.fail_next[f"/files/{broken['filename']}"] = 10_000
    opts: dict[str, Any] = {"index_url": published.url, "cache_dir": tmp_path / "c"}
    report = tfinit_audit.audit(["1.8", "1.9", "1.10"], symbols=[LSTM_CELL], **opts)
    by_req = {v.requested: v for v in report.versions}
    assert by_req["1.8"].status == "ok" and by_req["1.10"].status == "ok"
    assert by_req["1.9"].status == "error" and isinstance(by_req["1.9"].exception, FetchError)
    doc = report.to_json_dict()
    assert [v["status"] for v in doc["versions"]] == ["ok", "error", "ok"]
    # explain needs its one release: the error is raised, and the CLI says it in one line
    with pytest.raises(ReleaseError) as exc:
        tfinit_audit.explain(LSTM_CELL, "1.9", **opts)
    assert exc.value.requested == "1.9" and exc.value.exit_code == 3
    code = main(["explain", LSTM_CELL, "--version", "1.9", "--index-url", published.url,
                 "--cache-dir", str(tmp_path / "c")])
    err = capsys.readouterr().err
    assert code == 3 and err == f"tfinit-audit: 1.9: error: {exc.value.reason}\n"
    # diff skips it and reports it, as the CLI does (exit 3)
    result = tfinit_audit.diff(["1.8", "1.9", "1.10"], symbols=[LSTM_CELL], **opts)
    assert [v.status for v in result.report.versions] == ["ok", "error", "ok"]
    assert all(c.from_version == "1.8.0" and c.to_version == "1.10.0" for c in result.changes)


def test_progress_callables(published: FakeIndex, tmp_path: Path) -> None:
    stages: list[str] = []
    details: list[str] = []
    tfinit_audit.audit(["1.8", "1.10"], symbols=[LSTM_CELL], index_url=published.url,
                       cache_dir=tmp_path / "c", progress=stages.append,
                       detail=details.append)
    assert stages == ["releases: 1.8 → 1.8.0 · 1.10 → 1.10.0",
                      "analysing 2 release(s), 1 symbol(s)"]
    assert "fetching 2 release(s)" in details
    assert any(d.startswith("1.8.0: ") for d in details), details


def test_steps_each_release_through_its_stages(
    published: FakeIndex, server: LoopbackServer, tmp_path: Path
) -> None:
    """Every release: fetch, queued (opened, with its size), then analyse, then exactly one
    done; a release whose fetch fails is done (error) without an analysis. Steps arrive from
    worker threads."""
    broken = [f for f in published.projects["tensorflow"] if "1.9.0" in f["filename"]][0]
    server.state.fail_next[f"/files/{broken['filename']}"] = 10_000
    steps: list[Step] = []
    tfinit_audit.audit(["1.8", "1.9", "1.10"], symbols=[LSTM_CELL], index_url=published.url,
                       cache_dir=tmp_path / "c", steps=steps.append)
    assert steps[0] == Step("resolve", "", -1, 0)
    assert all(s.total == 3 for s in steps[1:])
    for index, release in enumerate(["1.8.0", "1.9.0", "1.10.0"]):
        mine = [(s.stage, s.status) for s in steps if s.release == release]
        assert all(s.index == index for s in steps if s.release == release)
        if release == "1.9.0":
            assert mine == [("fetch", ""), ("done", "error")]
        else:
            assert mine == [("fetch", ""), ("queued", ""), ("analyse", ""), ("done", "ok")]
            queued = next(s for s in steps if s.release == release and s.stage == "queued")
            assert queued.size > 1000  # the wheel's size, for the estimate of the time left
    assert [s.stage for s in steps].count("done") == 3
    diffed: list[Step] = []
    tfinit_audit.diff("1.8", "1.10", symbols=[LSTM_CELL], index_url=published.url,
                      cache_dir=tmp_path / "c", steps=diffed.append)
    assert [s.stage for s in diffed].count("done") == 2


# ------------------------------------------------------------------------- real releases
def _answers(doc: dict[str, Any]) -> dict[str, Any]:
    """report.json without what differs between two runs (when, how, how fast)."""
    out = {k: v for k, v in doc.items() if k not in ("generated_at", "command")}
    out["versions"] = [{k: v for k, v in ver.items() if k not in ("fetch", "analysis_seconds")}
                       for ver in doc["versions"]]
    return out


@pytest.mark.network
def test_to_json_dict_is_the_cli_report_json(real_cache: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    symbols = [LSTM_CELL, "tf.nn.rnn_cell.GRUCell", "tf.keras.layers.LSTM"]
    out = tmp_path / "out"
    code = main(["--versions", "1.8.0", "1.10", "--symbols", *symbols, "--no-live",
                 "--format", "json", "--cache-dir", str(real_cache), "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    cli = json.loads((out / "report.json").read_text())
    report = tfinit_audit.audit(["1.8.0", "1.10"], symbols=symbols, cache_dir=real_cache)
    api = report.to_json_dict()
    assert json.loads(render_json(report)) == api  # what the CLI writes is this dict
    assert _answers(api) == _answers(cli)
    assert cli["command"].startswith("tfinit-audit ") and api["command"] == ""
    kernel = report.versions[0].symbols[0].weights[0]
    assert (kernel.name, kernel.shape, kernel.initializer.kind) == (
        "kernel", [96, 256], "glorot_uniform")
    assert api["changes"] and api["live"] == []


@pytest.mark.network
def test_explain_and_diff_text_is_what_the_cli_prints(
    real_cache: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("COLUMNS", "1000")  # the CLI's diff wraps at the terminal width
    capsys.readouterr()
    assert main(["explain", LSTM_CELL, "--version", "1.8", "--cache-dir", str(real_cache)]) == 0
    cli_explain = capsys.readouterr().out
    result = tfinit_audit.explain(LSTM_CELL, version="1.8", cache_dir=real_cache)
    assert result.text == str(result) == cli_explain
    assert result.symbol.symbol == LSTM_CELL and result.release.tensorflow == "1.8.0"
    assert "None-fallback" in result.text and "_get_default_initializer" in result.text

    symbols = ["tf.keras.layers.GRU", "tf.nn.rnn_cell.GRUCell"]
    assert main(["diff", "1.8", "1.10", "--symbols", *symbols,
                 "--cache-dir", str(real_cache)]) == 0
    cli_diff = capsys.readouterr().out
    listed = tfinit_audit.diff("1.8", "1.10", symbols=symbols, cache_dir=real_cache)
    assert listed.text == cli_diff
    assert [c.to_json() for c in listed.changes] == listed.report.to_json_dict()["changes"]
    as_list = tfinit_audit.diff(["1.8", "1.10"], symbols=symbols, cache_dir=real_cache)
    assert [c.to_json() for c in as_list.changes] == [c.to_json() for c in listed.changes]


@pytest.mark.network
def test_unknown_real_release_raises(real_cache: Path) -> None:
    with pytest.raises(tfinit_audit.AuditError, match=r"no release '1\.8\.9'.*closest: .*1\.8\.0"):
        tfinit_audit.audit(["1.8.9"], cache_dir=real_cache)


@pytest.mark.network
@pytest.mark.live
@pytest.mark.slow
def test_audit_live_when_asked(real_cache: Path) -> None:
    python = VENVS / "tf115" / "bin" / "python"
    if not python.exists():
        pytest.fail(f"{python} missing: run scripts/setup-test-envs.sh")
    report = tfinit_audit.audit(["1.15"], symbols=["tf.nn.rnn_cell.GRUCell"],
                                cache_dir=real_cache, python=str(python))
    (run,) = report.live
    assert run.error is None and run.tensorflow == "1.15.5"
    assert run.summary["agree"] == 4 and run.summary["disagree"] == 0


@pytest.mark.network
@pytest.mark.live
@pytest.mark.slow
def test_readme_api_example_runs_as_written(real_cache: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Python API"):]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match is not None, "README has no python example under '## Python API'"
    monkeypatch.setenv("TFINIT_AUDIT_CACHE", str(real_cache))  # the session's warm cache
    exec(compile(match.group(1), "README.md", "exec"), {"__name__": "readme_example"})
    out = capsys.readouterr().out
    # the outputs the README shows in its comments
    for line in re.findall(r"^# (\S.*)$", match.group(1), re.M):
        if line.startswith(("kernel ", "[(", "2.15.1 absent", "bias ", "recurrent_activation ",
                            "reset_after ")):
            assert line.split("   ")[0] in out, line
    assert "{'agree': 2, 'disagree': 0, 'inconclusive': 0}" in out
    assert "exit code 2: no final release matches '1.99'" in out
