"""Benchmark of the whole audit at scale: this checkout against another one, in one run.

    git worktree add --detach /tmp/base main      # the code to compare against
    .venv/bin/python benchmarks/scale.py --baseline /tmp/base [--rounds 3] [--versions all]
                                          [--warm-versions 1.8 1.10 2.15] [--skip-cold]

Each measurement is a fresh ``python -m tfinit_audit --no-live --format none`` process with
the checkout's code first on ``PYTHONPATH`` (same interpreter, same package index):

- cold: ``--versions all`` (default set) in an empty ``--cache-dir`` of its own (with
  ``--fetch-cache DIR``: in a copy of DIR without its analysis results and module summaries,
  so the files are fetched already and only the analysis is cold);
- warm: the same again in the cache the cold run filled (within the index answers' lifetime);
- warm-3: ``--warm-versions`` in that cache (interpreter start and imports included).

The cold runs of the two checkouts alternate (which goes first changes each round), so the load
of the machine falls on both alike. Peak memory is sampled from /proc every 50 ms over the
whole process tree (the tool and every worker process it starts, also through a fork server):
``rss-sum`` is the largest sum over the tree at one instant, ``rss-max`` the largest single
process. CPU seconds are those of the tree as far as /proc shows them at exit of each process
(user + system of the tool and of the workers it waited for; fork-server workers are added up
from the samples). Medians and min-max over the rounds are printed, and the ratio this/baseline.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
PAGE = os.sysconf("SC_PAGE_SIZE")
TICK = os.sysconf("SC_CLK_TCK")


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                stat = fh.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        kids.setdefault(int(stat[1]), []).append(int(name))
    return kids


def _tree(root: int) -> list[int]:
    kids = _children()
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(kids.get(pid, []))
    return out


def _rss_and_cpu(pid: int) -> tuple[int, float]:
    try:
        with open(f"/proc/{pid}/statm", "rb") as fh:
            rss = int(fh.read().split()[1]) * PAGE
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read().rsplit(b")", 1)[1].split()
        return rss, (int(stat[11]) + int(stat[12])) / TICK  # utime + stime
    except (OSError, IndexError, ValueError):
        return 0, 0.0


class Sampler(threading.Thread):
    """Peak RSS (sum over the process tree, and of one process) and CPU seconds per pid."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.stop = threading.Event()
        self.rss_sum = 0
        self.rss_max = 0
        self.cpu: dict[int, float] = {}

    def run(self) -> None:
        while not self.stop.is_set():
            total = 0
            for pid in _tree(self.pid):
                rss, cpu = _rss_and_cpu(pid)
                total += rss
                self.rss_max = max(self.rss_max, rss)
                if cpu:
                    self.cpu[pid] = max(self.cpu.get(pid, 0.0), cpu)
            self.rss_sum = max(self.rss_sum, total)
            self.stop.wait(0.05)


def run(tree: Path, versions: list[str], cache: Path) -> dict[str, float]:
    """One audit process: wall seconds, CPU seconds of the tree, peak RSS (MB)."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: modules compiled once
    argv = [sys.executable, "-m", "tfinit_audit", "--versions", *versions, "--no-live",
            "--format", "none", "--cache-dir", str(cache)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, cwd=tempfile.gettempdir(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    sampler = Sampler(proc.pid)
    sampler.start()
    _, err = proc.communicate()
    wall = time.perf_counter() - t0
    sampler.stop.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"{tree}: exit {proc.returncode}\n{err[-3000:]}")
    return {"wall": wall, "cpu": sum(sampler.cpu.values()),
            "rss-sum": sampler.rss_sum / 2**20, "rss-max": sampler.rss_max / 2**20}


def fmt(values: list[float], unit: str) -> str:
    if not values:
        return "-"
    med = statistics.median(values)
    return f"{med:.3g}{unit} ({min(values):.3g}-{max(values):.3g})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--baseline", type=Path, help="checkout to compare against (e.g. main)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--versions", nargs="+", default=["all"])
    ap.add_argument("--warm-versions", nargs="+", default=["1.8", "1.10", "2.15"])
    ap.add_argument("--warm-rounds", type=int, default=7)
    ap.add_argument("--skip-cold", action="store_true",
                    help="one cold run per checkout (to fill its cache), then the warm ones")
    ap.add_argument("--fetch-cache", type=Path,
                    help="cold runs start from a copy of this cache, analysis caches removed")
    args = ap.parse_args()
    trees = {"this": HERE}
    if args.baseline:
        trees["baseline"] = args.baseline.resolve()
    res: dict[str, dict[str, list[float]]] = {n: {} for n in trees}
    root = Path(tempfile.mkdtemp(prefix="tfa-scale-"))
    caches = {n: root / f"{n}-0" for n in trees}
    try:
        for r in range(1 if args.skip_cold else args.rounds):
            order = list(trees) if r % 2 == 0 else list(reversed(trees))
            for name in order:
                cache = root / f"{name}-{r}"
                if args.fetch_cache is not None:
                    shutil.copytree(args.fetch_cache, cache, symlinks=True)
                    shutil.rmtree(cache / "analysis", ignore_errors=True)  # summaries, results
                got = run(trees[name], args.versions, cache)
                for k, v in got.items():
                    res[name].setdefault(f"cold {k}", []).append(v)
                size = sum(f.stat().st_size for f in cache.rglob("*") if f.is_file())
                res[name].setdefault("cold cache MB", []).append(size / 2**20)
                caches[name] = cache
                print(f"round {r + 1}: {name} cold {got['wall']:.1f} s, "
                      f"rss-sum {got['rss-sum']:.0f} MB", file=sys.stderr, flush=True)
        for _ in range(args.rounds):
            for name in trees:
                got = run(trees[name], args.versions, caches[name])
                res[name].setdefault("warm wall", []).append(got["wall"])
                res[name].setdefault("warm cpu", []).append(got["cpu"])
                res[name].setdefault("warm rss-sum", []).append(got["rss-sum"])
        for _ in range(args.warm_rounds):
            for name in trees:
                got = run(trees[name], args.warm_versions, caches[name])
                res[name].setdefault("warm-3 wall", []).append(got["wall"])
                res[name].setdefault("warm-3 cpu", []).append(got["cpu"])
    finally:
        shutil.rmtree(root, ignore_errors=True)
    units = {"wall": " s", "cpu": " s", "rss-sum": " MB", "rss-max": " MB", "MB": " MB"}
    print(f"--versions {' '.join(args.versions)} (cold/warm), {' '.join(args.warm_versions)} "
          f"(warm-3); medians (min-max); load {os.getloadavg()[0]:.1f}")
    for key in res["this"]:
        unit = next((u for k, u in units.items() if key.endswith(k)), "")
        line = f"{key:18} this {fmt(res['this'][key], unit):28}"
        if "baseline" in res and res["baseline"].get(key):
            base = res["baseline"][key]
            ratio = statistics.median(res["this"][key]) / statistics.median(base)
            line += f" baseline {fmt(base, unit):28} ratio {ratio:.2f}"
        print(line)


if __name__ == "__main__":
    main()
