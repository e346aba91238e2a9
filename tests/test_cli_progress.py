"""Progress of long runs on stderr (``cli/progress.py``): releases done/total, what each release
in flight is doing and the time left; a live line on a terminal, one plain line per finished
release elsewhere. Driven by the pipeline's ``Step`` events, here replayed with a fake clock."""

from __future__ import annotations

import io
import re

import pytest

from tfinit_audit.cli.progress import Progress, Releases, duration
from tfinit_audit.pipeline import Step


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def replay(p: Progress, clock: Clock) -> None:
    """Five releases: all fetched first (1.2.0 fails there), then analysed 10 s each."""
    p.step(Step("resolve", "", -1, 0))
    for i in range(5):
        p.step(Step("fetch", f"1.{i}.0", i, 5))
    p.step(Step("done", "1.2.0", 2, 5, "error"))
    for i in (0, 1, 3, 4):
        p.step(Step("queued", f"1.{i}.0", i, 5))  # size unknown: every release weighs the same
    clock.now += 30  # fetching took 30 s: not counted in the pace of analyses
    p.note("analysing 5 release(s), 16 symbol(s)")
    for i in (0, 1, 3, 4):
        p.step(Step("analyse", f"1.{i}.0", i, 5))
        p.status(f"1.{i}.0: tf.keras.layers.LSTM")
        clock.now += 10
        p.step(Step("done", f"1.{i}.0", i, 5, "ok"))


def test_not_a_terminal_one_line_per_release() -> None:
    clock, out = Clock(), io.StringIO()
    with Progress(file=out, terminal=False, clock=clock) as p:
        replay(p, clock)
    assert out.getvalue().splitlines() == [
        "tfinit-audit: fetching 5 releases",
        "tfinit-audit: [1/5] 1.2.0 failed",
        "tfinit-audit: analysing 5 release(s), 16 symbol(s)",
        "tfinit-audit: [2/5] 1.0.0 analysed · ETA 30s",
        "tfinit-audit: [3/5] 1.1.0 analysed · ETA 20s",
        "tfinit-audit: [4/5] 1.3.0 analysed · ETA 10s",
        "tfinit-audit: [5/5] 1.4.0 analysed",
    ]  # the per-symbol status lines are not printed


def test_one_release_says_nothing_per_release() -> None:
    clock, out = Clock(), io.StringIO()
    with Progress(file=out, terminal=False, clock=clock) as p:
        p.step(Step("fetch", "1.8.0", 0, 1))
        p.step(Step("analyse", "1.8.0", 0, 1))
        p.step(Step("done", "1.8.0", 0, 1, "ok"))
    assert out.getvalue() == ""


def test_terminal_live_line() -> None:
    clock, out = Clock(), io.StringIO()
    with Progress(file=out, terminal=True, clock=clock) as p:
        p.console.width = 120
        p.step(Step("resolve", "", -1, 0))
        for i in range(5):
            p.step(Step("fetch", f"1.{i}.0", i, 5))
        p.step(Step("done", "1.2.0", 2, 5, "error"))
        p.step(Step("queued", "1.4.0", 4, 5))
        p.step(Step("analyse", "1.0.0", 0, 5))
        p.step(Step("analyse", "1.1.0", 1, 5))
        p.status("1.1.0: tf.keras.layers.GRU")
        clock.now += 12
        p.step(Step("done", "1.0.0", 0, 5, "ok"))
        p.refresh()
        frame = out.getvalue()
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", frame)
    assert "[2/5] 1 error" in text
    assert "ETA 36s" in text  # 12 s for the one analysis finished, 3 releases left
    assert "analysing 1.1.0 · fetching 1.3.0 · 1 queued" in text
    assert "1.1.0: tf.keras.layers.GRU" in text
    assert "bytes" not in text  # the status line is not a download bar


def test_terminal_line_fits_a_narrow_terminal() -> None:
    """Many releases in flight: the count, the bar and the time left are whole; what is in
    flight is cut with an ellipsis; one line each."""
    clock, out = Clock(), io.StringIO()
    with Progress(file=out, terminal=True, clock=clock) as p:
        p.console.width = 60
        for i in range(102):
            p.step(Step("fetch", f"2.{i}.0", i, 102))
            p.step(Step("queued", f"2.{i}.0", i, 102, size=400_000_000))
        for i in range(4):
            p.step(Step("analyse", f"2.{i}.0", i, 102))
        p.status("2.3.0: tf.nn.rnn_cell.LSTMCell[use_peepholes=True,num_proj=16] and more text")
        clock.now += 20
        p.step(Step("done", "2.0.0", 0, 102, "ok"))
        p.refresh()
        frame = out.getvalue()
    lines = [ln for ln in re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", frame).splitlines()
             if ln.strip()]
    last = lines[-2:]  # the last frame: the release line and the status line
    assert all(len(ln) <= 60 for ln in last), last
    assert "[1/102]" in last[0] and "ETA 33m 40s" in last[0] and re.search("[━─]{8,}", last[0])
    assert "analysing 2.1.0 +2 · 98 queu" in last[0] and last[0].rstrip().endswith("…")
    assert last[1].rstrip().endswith("…")


def test_estimate_weighs_releases_by_size() -> None:
    """Larger releases take longer: the time left counts each release not done by the square
    root of its size, at the pace measured on those analysed."""
    clock = Clock()
    r = Releases(clock)
    sizes = [100, 100, 400, 400]  # weights 10, 10, 20, 20
    for i, size in enumerate(sizes):
        r.update(Step("fetch", f"2.{i}.0", i, 5))
        r.update(Step("queued", f"2.{i}.0", i, 5, size=size))
    r.update(Step("analyse", "2.0.0", 0, 5))
    clock.now += 10
    r.update(Step("done", "2.0.0", 0, 5, "ok"))
    # 10 s for a weight of 10; left: 10 + 20 + 20 and one release not opened yet (the mean, 15)
    assert r.eta() == pytest.approx(65)
    assert r.in_flight() == "3 queued"


def test_releases_count_and_estimate() -> None:
    clock = Clock()
    r = Releases(clock)
    r.update(Step("resolve", "", -1, 0))
    assert r.counts() == "" and r.eta() is None and r.in_flight() == "resolving"
    for i in range(10):
        r.update(Step("fetch", f"2.{i}.0", i, 10))
    assert r.in_flight(limit=3) == "fetching 2.0.0, 2.1.0, 2.2.0 +7"
    r.update(Step("done", "2.9.0", 9, 10, "error"))
    assert r.eta() is None  # nothing analysed yet: no pace
    r.update(Step("analyse", "2.0.0", 0, 10))
    clock.now += 5
    r.update(Step("done", "2.0.0", 0, 10, "ok"))
    assert r.counts() == "[2/10] 1 error"
    assert r.eta() == pytest.approx(5 * 8)
    for i in range(1, 9):
        r.update(Step("analyse", f"2.{i}.0", i, 10))
        r.update(Step("done", f"2.{i}.0", i, 10, "ok"))
    assert r.done == r.total == 10 and r.eta() is None and r.in_flight() == ""


@pytest.mark.parametrize("seconds, text", [(0, "0s"), (44.6, "45s"), (185, "3m 05s"),
                                           (3720, "1h 02m")])
def test_duration(seconds: float, text: str) -> None:
    assert duration(seconds) == text


def test_terminal_line_names_as_many_releases_as_fit() -> None:
    """At 80 columns the line names fewer releases in flight rather than cut what follows."""
    clock, out = Clock(), io.StringIO()
    with Progress(file=out, terminal=True, clock=clock) as p:
        p.console.width = 80
        for i in range(102):
            p.step(Step("fetch", f"2.{i}.0", i, 102))
            p.step(Step("queued", f"2.{i}.0", i, 102, size=400_000_000))
        for i in range(40):
            p.step(Step("analyse", f"2.{i}.0", i, 102))
            clock.now += 1
            p.step(Step("done", f"2.{i}.0", i, 102, "ok"))
        for i in range(40, 44):
            p.step(Step("analyse", f"2.{i}.0", i, 102))
        p.refresh()
        frame = out.getvalue()
    lines = [ln for ln in re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", frame).splitlines() if ln.strip()]
    line = lines[-1].rstrip()
    assert len(line) <= 80 and not line.endswith("…"), line
    assert "[40/102]" in line and "ETA 1m 02s" in line and line.endswith(" · 58 queued")
    assert "analysing 2.40.0, 2.41.0" in line and re.search("━{3,}─{5,}", line)
