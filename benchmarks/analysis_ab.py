"""A/B benchmark of the static analysis: this checkout against another one, in one run.

    git worktree add /tmp/base <rev>      # the code to compare against
    .venv/bin/python benchmarks/analysis_ab.py --baseline /tmp/base --rounds 5 \
        --versions 1.8.0 1.10.1 2.15.1 2.21.0

Each round runs this checkout's ``benchmarks/analysis.py`` (one measurement for both) on the
code of each checkout (on ``PYTHONPATH``; same interpreter, same fetch cache), alternating which
goes first, and the medians of the cold, cold-eval and warm columns are printed side by side
with their ratio (this checkout / baseline; below 1 is faster).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
COLUMNS = ("cold", "cold-eval", "warm")


def run(tree: Path, versions: list[str]) -> dict[str, dict[str, float]]:
    """One ``analysis.py`` run of ``tree``: release -> column -> seconds."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run(
        [sys.executable, str(HERE / "benchmarks" / "analysis.py"), "--versions", *versions],
        env=env, capture_output=True, text=True, check=True, cwd=tree,
    ).stdout
    rows: dict[str, dict[str, float]] = {}
    for line in out.splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 5 and parts[0] in versions:
            rows[parts[0]] = dict(zip(COLUMNS, map(float, parts[2:5]), strict=True))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--baseline", required=True, type=Path, help="checkout to compare against")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--versions", nargs="+", default=["1.8.0", "2.15.1"])
    args = ap.parse_args()
    trees = {"this": HERE, "baseline": args.baseline.resolve()}
    samples: dict[str, dict[str, dict[str, list[float]]]] = {k: {} for k in trees}
    for r in range(args.rounds):
        order = list(trees) if r % 2 == 0 else list(reversed(trees))
        for name in order:
            for rel, cols in run(trees[name], args.versions).items():
                for col, sec in cols.items():
                    samples[name].setdefault(rel, {}).setdefault(col, []).append(sec)
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)
    print(f"medians of {args.rounds} rounds (seconds); ratio = this / baseline")
    print(f"{'release':9}" + "".join(f" {c + ' this':>14} {c + ' base':>14} {'ratio':>6}"
                                     for c in COLUMNS))
    for rel in args.versions:
        line = f"{rel:9}"
        for col in COLUMNS:
            a = statistics.median(samples["this"][rel][col])
            b = statistics.median(samples["baseline"][rel][col])
            line += f" {a:14.3f} {b:14.3f} {a / b if b else float('nan'):6.2f}"
        print(line)


if __name__ == "__main__":
    main()
