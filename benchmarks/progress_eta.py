"""How good is the time left that the progress line shows? A real run's release events
(``pipeline.Step``, with the time each arrived) replayed through the CLI's estimator
(``cli.progress.Releases``), with each release weighed by the square root of its package
size (what the CLI does) and with every release weighed the same, side by side:

    .venv/bin/python benchmarks/progress_eta.py --versions all --cache-dir DIR --record run.json
    .venv/bin/python benchmarks/progress_eta.py --replay run.json

At each release done, the estimate is compared with the time the run really took from there
on; printed: the median and 90th percentile of |estimate - actual| / actual over the run, and
estimate/actual at every tenth of the releases. For a run whose analysis is cold but whose
files are cached, give ``--cache-dir`` a cache that has the files and not the analysis (e.g. a
new directory with ``blobs`` linked to the user cache's).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from tfinit_audit import pipeline
from tfinit_audit.cli.progress import Releases
from tfinit_audit.pipeline import Step


def record(versions: list[str], cache_dir: str | None) -> list[list[Any]]:
    t0 = time.monotonic()
    events: list[list[Any]] = []

    def steps(s: Step) -> None:
        events.append([time.monotonic() - t0, s.stage, s.release, s.index, s.total, s.status,
                       s.size])

    pipeline.audit(versions, python=[], cache_dir=cache_dir, steps=steps)
    return events


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def replay(events: list[list[Any]], sized: bool) -> list[tuple[int, float, float]]:
    """(releases done, estimate, actual time left) at each release done."""
    clock = Clock()
    r = Releases(clock)
    end = max(e[0] for e in events)
    out = []
    for t, stage, release, index, total, status, size in events:
        clock.now = t
        r.update(Step(stage, release, index, total, status, size if sized else 0))
        if stage == "done" and r.done < r.total:
            eta = r.eta()
            if eta is not None:
                out.append((r.done, eta, end - t))
    return out


def summary(points: list[tuple[int, float, float]]) -> str:
    errors = sorted(abs(e - a) / max(a, 1.0) for _, e, a in points)
    p90 = errors[min(len(errors) - 1, int(len(errors) * 0.9))]
    step = max(1, len(points) // 10)
    marks = " ".join(f"{k}:{e:.0f}/{a:.0f}s" for k, e, a in points[step - 1::step])
    return (f"median error {statistics.median(errors):.0%}, p90 {p90:.0%}\n"
            f"    done:estimate/actual  {marks}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--versions", nargs="+", default=["all"])
    ap.add_argument("--cache-dir")
    ap.add_argument("--record", help="write the run's events to this file")
    ap.add_argument("--replay", help="read the events of an earlier run instead of running")
    args = ap.parse_args(argv)
    if args.replay:
        events = json.loads(Path(args.replay).read_text())
    else:
        events = record(args.versions, args.cache_dir)
        if args.record:
            Path(args.record).write_text(json.dumps(events))
    end = max(e[0] for e in events)
    first = min((e[0] for e in events if e[1] == "analyse"), default=0.0)
    print(f"run: {end:.1f} s, first analysis at {first:.1f} s, "
          f"{sum(1 for e in events if e[1] == 'done')} releases")
    print(f"  weighed by sqrt(size): {summary(replay(events, True))}")
    print(f"  every release the same: {summary(replay(events, False))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
