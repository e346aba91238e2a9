"""Read plans and read-ahead against hostile releases, end to end with the real TensorFlow 1.8.0
sources on a loopback index (tests/real_wheel.py), read-ahead on (the other hostile tests run
without it): a release replaying its family's plan still fails on a zip bomb or its byte budget
with the one line naming the bound, caches nothing of the offending member nor anything it only
read ahead, records no plan, and the release it learnt from keeps its answer."""

from __future__ import annotations

from pathlib import Path

import pytest
from faults import run_cli
from httpserver import FakeIndex
from real_wheel import RNN, VERSION, RealSources, lying_bomb

from tfinit_audit.sources import SourceContext
from tfinit_audit.sources.cache import Cache
from tfinit_audit.sources.plans import PlanBook

pytestmark = [pytest.mark.network, pytest.mark.slow]

LSTM = "tf.nn.rnn_cell.LSTMCell"
AHEAD = {"TFINIT_AUDIT_NO_PREFETCH": ""}  # faults.run_cli turns read-ahead off by default


@pytest.fixture(scope="module")
def real18(real_ctx: SourceContext) -> RealSources:
    return RealSources.fetch(real_ctx, [LSTM])


def _args(index: FakeIndex, cache: Path, *versions: str) -> list[str]:
    return ["--versions", *versions, "--index-url", index.url, "--cache-dir", str(cache),
            "--no-live", "--symbols", LSTM]


def _cached_members(cache: Path, sha256: str, names: list[str]) -> list[str]:
    c = Cache(cache)
    return [n for n in names if c.has("wheel", sha256, n)]


@pytest.mark.parametrize("fault", ["bomb", "budget"])
def test_a_replayed_plan_keeps_the_bounds(real18: RealSources, index: FakeIndex,
                                          tmp_path: Path, fault: str) -> None:
    cache = tmp_path / "cache"
    for d in ("a", "b"):
        (tmp_path / d).mkdir()
    index.add_file("tensorflow", *real18.wheel())
    member = real18.member(RNN, "1.9.0")
    filename, clean = real18.wheel("1.9.0")
    data = lying_bomb(clean, member) if fault == "bomb" else clean
    pub = index.add_file("tensorflow", filename, data)
    first = run_cli(_args(index, cache, VERSION), tmp_path / "a", case=f"plan: learn ({fault})",
                    env=AHEAD)
    assert first.code == 0, first.err
    plan = PlanBook(Cache(cache)).plans("tensorflow")[VERSION]
    assert RNN in plan

    env = dict(AHEAD)
    if fault == "budget":  # room for the zip directory (the first tail read), not the plan
        env["TFINIT_AUDIT_MAX_RELEASE_BYTES"] = str(256 * 1024 + 20_000)
    run = run_cli(_args(index, cache, VERSION, "1.9.0"), tmp_path / "b",
                  case=f"plan replayed into a {fault}", env=env)
    assert run.code == 3, run.err
    (line,) = [x for x in run.error_lines if "1.9.0" in x]
    if fault == "bomb":
        assert member in line and "inflates beyond its declared" in line, line
    else:
        assert "TFINIT_AUDIT_MAX_RELEASE_BYTES" in line and "tensorflow 1.9.0" in line, line
    assert run.version(VERSION)["status"] == "ok"
    assert run.version("1.9.0")["status"] == "error"
    # nothing of the failed release's read-ahead is cached: only files its analysis read
    # (before it failed) may be, and never the offending member; no plan is recorded for it
    names = [real18.member(p, "1.9.0") for p in plan]
    cached = _cached_members(cache, pub.sha256, names)
    assert len(cached) < len(names), cached  # the plan was fetched, not all of it cached
    if fault == "bomb":
        assert member not in cached
    assert "1.9.0" not in PlanBook(Cache(cache)).plans("tensorflow")
    assert run.peak_mib < 250 and run.seconds < 120, (run.peak_mib, run.seconds)
