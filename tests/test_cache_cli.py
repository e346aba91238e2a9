"""``tfinit-audit cache info`` counts every kind the tool stores; ``cache clear`` clears them all
(a run after it is cold), keeps the test virtualenvs unless asked, and ``--what`` picks kinds;
``cache prune`` removes by age and size, least recently used first; members are stored as
fetched (compressed), so the cache is about the size of what was fetched."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tfinit_audit.sources.cache import Cache, venvs_dir

LSTM = "tf.nn.rnn_cell.LSTMCell"


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tfinit_audit", *args], capture_output=True,
                          text=True, timeout=300, env={**os.environ, **(env or {})})


def _audit(cache: Path, out: Path) -> dict:  # type: ignore[type-arg]
    res = cli("--versions", "1.8.0", "--symbols", LSTM, "--no-live", "--cache-dir", str(cache),
              "--format", "json", "--out", str(out))
    assert res.returncode == 0, res.stderr
    return json.loads((out / "report.json").read_text())["versions"][0]  # type: ignore[no-any-return]


def _kinds(text: str) -> dict[str, int]:
    out = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) > 2 and parts[2] == "files":
            out[parts[0]] = int(parts[1])
    return out


@pytest.mark.network
def test_clear_leaves_nothing_and_the_next_run_is_cold(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = _audit(cache, tmp_path / "r1")
    assert first["fetch"]["requests"] > 0
    (cache / "venvs" / "tf0").mkdir(parents=True)  # what scripts/setup-test-envs.sh makes
    (cache / "venvs" / "tf0" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    info = cli("cache", "info", "--cache-dir", str(cache))
    assert info.returncode == 0, info.stderr
    kinds = _kinds(info.stdout)
    for kind in ("members", "directories", "index", "plans", "summaries", "results"):
        assert kinds[kind] > 0, (kind, info.stdout)
    assert kinds["venvs"] == 1
    total = int(info.stdout.split("entries: ")[1].split()[0])
    assert total == sum(n for k, n in kinds.items() if k != "venvs")
    # members are stored as fetched (their deflate streams): the cache is not bigger than the
    # bytes the run fetched (zip directory and index answer included)
    stored = int(info.stdout.split("entries: ")[1].split("(")[1].split()[0].replace(",", ""))
    assert stored < first["fetch"]["bytes"] * 1.5, (stored, first["fetch"])

    cleared = cli("cache", "clear", "--cache-dir", str(cache))
    assert cleared.returncode == 0, cleared.stderr
    assert "kept venvs" in cleared.stdout
    after = cli("cache", "info", "--cache-dir", str(cache))
    assert "entries: 0 (0 bytes;" in after.stdout
    assert _kinds(after.stdout)["venvs"] == 1
    assert not (cache / "analysis").exists() and not (cache / "blobs").exists()

    cold = _audit(cache, tmp_path / "r2")  # nothing served from the cache: really cold
    assert cold["fetch"]["requests"] > 0 and cold["fetch"]["from_cache"] == 0
    assert cold["symbols"] == first["symbols"]


def test_clear_what_picks_kinds(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    cache.put("wheel", "sha", "a.py", b"x")
    cache.put_timed("index", "url", "tensorflow", [])
    (tmp_path / "analysis" / "summaries").mkdir(parents=True)
    (tmp_path / "analysis" / "summaries" / "s.pkl").write_bytes(b"1234")
    res = cli("cache", "clear", "--what", "analysis", "--cache-dir", str(tmp_path))
    assert res.returncode == 0, res.stderr
    assert not (tmp_path / "analysis").exists()
    assert cache.get("wheel", "sha", "a.py") == b"x"
    kinds = cache.info().kinds
    assert kinds["members"][0] == 1 and kinds["index"][0] == 1
    assert kinds["summaries"] == (0, 0) and kinds["results"] == (0, 0)
    bad = cli("cache", "clear", "--what", "wheels", "--cache-dir", str(tmp_path))
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [
        "tfinit-audit: error: unknown --what 'wheels': use members, directories, index, plans, "
        "summaries, results, scratch, venvs, files, analysis or all"]
    res = cli("cache", "clear", "--what", "members", "--cache-dir", str(tmp_path))
    assert res.returncode == 0, res.stderr
    assert cache.get("wheel", "sha", "a.py") is None and cache.info().kinds["index"][0] == 1
    (tmp_path / "venvs" / "tf0").mkdir(parents=True)
    assert cli("cache", "clear", "--what", "all", "--cache-dir", str(tmp_path)).returncode == 0
    assert not (tmp_path / "venvs").exists() and cache.info().entries == 0


def test_test_venvs_follow_the_cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TFINIT_AUDIT_VENVS", raising=False)
    monkeypatch.setenv("TFINIT_AUDIT_CACHE", str(tmp_path / "c"))
    assert venvs_dir() == tmp_path / "c" / "venvs"
    monkeypatch.setenv("TFINIT_AUDIT_VENVS", str(tmp_path / "v"))
    assert venvs_dir() == tmp_path / "v"
    script = Path(__file__).resolve().parent.parent / "scripts" / "setup-test-envs.sh"
    out = subprocess.run(["bash", str(script), "--print-dir"], capture_output=True, text=True,
                         env={**os.environ, "TFINIT_AUDIT_VENVS": "",
                              "TFINIT_AUDIT_CACHE": str(tmp_path / "c")}, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(tmp_path / "c" / "venvs")
