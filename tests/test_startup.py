"""The command line starts the workers' server before the tool's imports (``startup.py``) only
when the run will surely use it: several releases, a remote source, more than one job, and no
stored analysis in the cache."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from synthetic_tf import FILES

from tfinit_audit import cli, pipeline, stages, startup, workers


@pytest.fixture()
def started(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each start of the workers' server (the real one still starts)."""
    calls: list[str] = []
    prepare = workers.prepare

    def spy() -> None:
        calls.append("prepare")
        prepare()

    monkeypatch.setattr(workers, "prepare", spy)
    monkeypatch.delenv("TFINIT_AUDIT_JOBS", raising=False)
    return calls


def test_only_a_run_that_will_hand_releases_to_workers_starts_the_server_early(
        tmp_path: Path, started: list[str]) -> None:
    cold = tmp_path / "cold"
    assert not startup.start_workers_early(["1.8"], "pypi", cold, 2)  # one release
    assert not startup.start_workers_early(["latest"], "pypi", cold, 2)
    assert not startup.start_workers_early(None, "pypi", cold, 2)  # a local tree's own
    assert not startup.start_workers_early(["1.8", "2.15"], "dir:/src", cold, 2)
    assert not startup.start_workers_early(["1.8", "2.15"], "wheel:/w.whl", cold, 2)
    assert not startup.start_workers_early(["1.8", "2.15"], "pypi", cold, 1)  # --jobs 1
    assert started == []
    # an analysis stored for any specs: whether a release needs one is known only later
    warm = tmp_path / "warm"
    (warm / "analysis" / "results" / "family").mkdir(parents=True)
    (warm / "analysis" / "results" / "family" / "entry.pkl").write_bytes(b"")
    assert not startup.start_workers_early(["1.8", "2.15"], "pypi", warm, 2)
    assert started == []
    # a cold cache (results of nothing, a stray file): several releases start it
    (cold / "analysis" / "results" / "empty").mkdir(parents=True)
    (cold / "analysis" / "results" / "stray").write_text("")
    assert startup.start_workers_early(["1.8", "2.15"], "pypi", cold, 2)
    assert startup.start_workers_early([">=1.8,<1.11"], "github", cold, None)
    assert startup.start_workers_early(["all"], "pypi", cold, 3)
    assert started == ["prepare"] * 3


@pytest.mark.network
def test_a_cold_audit_starts_the_server_first_and_a_warm_one_does_not(
        index: Any, tmp_path: Path, started: list[str], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from multiprocessing import forkserver

    for version in ("1.0.0", "1.1.0"):
        index.add("tensorflow", version, {k: textwrap.dedent(v) for k, v in FILES.items()})
    resolve = stages.resolve

    def spy_resolve(*a: Any, **k: Any) -> Any:
        started.append("resolve")
        return resolve(*a, **k)

    monkeypatch.setattr(pipeline, "resolve", spy_resolve)
    assert stages.prepare_workers is not workers.prepare  # the later start is not counted
    argv = ["--versions", "1.0.0", "1.1.0", "--symbols", "tf.Dense", "--index-url", index.url,
            "--cache-dir", str(tmp_path / "c"), "--no-live", "--format", "none", "--jobs", "2"]
    assert cli.main(argv) == 0
    assert started[0] == "prepare" and started.index("prepare") < started.index("resolve")
    assert forkserver._forkserver._forkserver_pid is not None  # type: ignore[attr-defined]
    started.clear()
    assert cli.main(argv) == 0  # every answer stored now: no server started for it
    assert started == ["resolve"]
    capsys.readouterr()
    started.clear()
    assert cli.main(["diff", "1.0.0", "1.1.0", "--symbols", "tf.Dense", "--index-url", index.url,
                     "--cache-dir", str(tmp_path / "d"), "--jobs", "2"]) == 0
    assert started[0] == "prepare"


def test_the_command_line_does_not_import_the_tool_before_it_starts_the_server() -> None:
    # what makes the early start worth it: cli and startup import none of the analysis
    code = textwrap.dedent("""
        import sys
        import tfinit_audit.cli, tfinit_audit.startup
        heavy = [m for m in sys.modules if m.startswith((
            "tfinit_audit.analysis.engine", "tfinit_audit.analysis.audit", "tfinit_audit.stages",
            "tfinit_audit.sources", "tfinit_audit.pipeline", "requests"))]
        print(heavy)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True)
    assert out.stdout.strip() == "[]"
