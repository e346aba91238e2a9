"""Benchmark of the fetch stage: cold and warm fetch of the files the audit reads, versus
``pip download --no-deps`` of the same wheels, in the same run.

    .venv/bin/python benchmarks/fetch.py [--versions 1.8 1.10 2.15] [--skip-pip]

Files per release are found by searching each release's own file list (no per-version list):
rnn_cell_impl.py, tf.layers base.py, the Keras base_layer.py, variable_scope.py, init_ops.py,
and the Keras recurrent and initializers modules. Targets (2-core machine): cold < 3 s and
< 2 % of the wheels' bytes for all three releases; warm < 0.3 s.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from packaging.utils import parse_wheel_filename

from tfinit_audit.sources import CompositeTree, SourceContext, open_tree
from tfinit_audit.sources.versions import resolve_versions

PKG = r"(?:tensorflow|tensorflow_core|keras|tf_keras)"
WANTED = {
    "rnn_cell_impl.py": rf"^{PKG}/python/ops/rnn_cell_impl\.py$",
    "tf.layers base.py": rf"^{PKG}/python/layers/base\.py$",
    "keras base_layer.py": rf"^{PKG}/(?:.*/)?engine/base_layer\.py$",
    "variable_scope.py": rf"^{PKG}/python/ops/variable_scope\.py$",
    "init_ops.py": rf"^{PKG}/python/ops/init_ops\.py$",
    "keras recurrent": rf"^{PKG}/(?:.*/)?layers/(?:recurrent(?:_v2)?\.py|rnn/(?:lstm|gru|"
    r"simple_rnn|base_rnn)\.py)$",
    "keras initializers": rf"^{PKG}/(?:.*/)?(?:initializers\.py|initializers/(?:__init__|"
    r"initializers(?:_v[12])?)\.py|initializers_v[12]\.py)$",
}
SKIP = re.compile(r"(_test\.py$|/tests?/|/testing/|/benchmarks?/)")


BASENAMES = {"rnn_cell_impl.py", "base.py", "base_layer.py", "variable_scope.py", "init_ops.py",
             "recurrent.py", "recurrent_v2.py", "lstm.py", "gru.py", "simple_rnn.py",
             "base_rnn.py", "initializers.py", "__init__.py", "initializers_v1.py",
             "initializers_v2.py"}  # a cheap filter before the patterns below


def audit_paths(tree: CompositeTree) -> dict[str, list[str]]:
    """The files of each kind this release has, found in its own file list."""
    allp = [p for p in tree.list("")
            if p[p.rfind("/") + 1 :] in BASENAMES and not SKIP.search(p)]
    out: dict[str, list[str]] = {}
    for label, pattern in WANTED.items():
        rx = re.compile(pattern)
        out[label] = [p for p in allp if rx.match(p)]
    return out


def run_fetch(versions: list[str], cache: Path) -> dict[str, object]:
    """Resolve, then per release (all releases concurrently): open, search, fetch the files."""
    t0 = time.perf_counter()
    c0 = time.process_time()
    ctx = SourceContext.create(cache_dir=cache)
    releases = resolve_versions(versions, ctx.index)
    search_time: dict[str, float] = {}

    def pipeline(version: str) -> tuple[CompositeTree, dict[str, list[str]]]:
        tree = open_tree("pypi", version, ctx=ctx)
        ts = time.perf_counter()
        found = audit_paths(tree)
        search_time[version] = time.perf_counter() - ts
        tree.prefetch([p for ps in found.values() for p in ps])
        return tree, found

    with ThreadPoolExecutor(len(releases)) as pool:
        results = list(pool.map(pipeline, [r.version for r in releases]))
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0
    per: list[dict[str, object]] = []
    for tree, found in results:
        s = tree.refresh_stats()
        per.append({"version": tree.release, "requests": s.requests, "bytes": s.bytes,
                    "from_cache": s.from_cache, "files": s.files,
                    "wheel_bytes": sum(p.size or 0 for p in tree.packages),
                    "wheels": [(p.file, p.url, p.size) for p in tree.packages],
                    "found": found})
    return {"wall": wall, "per": per, "index_requests": ctx.index.counter.requests,
            "index_bytes": ctx.index.counter.bytes,
            "search": max(search_time.values(), default=0.0), "cpu": cpu}


def pip_args(filename: str) -> list[str]:
    """``pip download`` arguments that select exactly this wheel (its name, version, tags)."""
    name, version, _, tags = parse_wheel_filename(filename)
    args = [f"{name}=={version}", "--only-binary=:all:"]
    tag = sorted(tags, key=str)[0]
    if tag.interpreter.startswith("cp"):
        args += ["--implementation", "cp", "--python-version", tag.interpreter[2:],
                 "--abi", tag.abi]
    for plat in sorted({t.platform for t in tags} - {"any"}):
        args += ["--platform", plat]
    return args


def pip_download(filenames: list[str]) -> tuple[float, int]:
    """The naive way, run now: ``pip download --no-deps`` of each wheel, one after another."""
    dest = Path(tempfile.mkdtemp(prefix="tfa-pip-"))
    try:
        t0 = time.perf_counter()
        for fn in filenames:
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps",
                            "--no-cache-dir", "-q", "-d", str(dest), *pip_args(fn)], check=True)
        wall = time.perf_counter() - t0
        got = sorted(f.name for f in dest.iterdir())
        if got != sorted(filenames):
            raise SystemExit(f"pip downloaded {got}, expected {sorted(filenames)}")
        return wall, sum(f.stat().st_size for f in dest.iterdir())
    finally:
        shutil.rmtree(dest, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--versions", nargs="+", default=["1.8", "1.10", "2.15"])
    ap.add_argument("--skip-pip", action="store_true", help="do not run the pip download baseline")
    ap.add_argument("--show-files", action="store_true", help="print the files found per release")
    args = ap.parse_args()

    cache = Path(tempfile.mkdtemp(prefix="tfa-bench-cache-"))
    try:
        cold = run_fetch(args.versions, cache)
        # warm: median of three runs (the machine is shared; one run is noisy)
        warms = sorted((run_fetch(args.versions, cache) for _ in range(3)),
                       key=lambda r: r["wall"])  # type: ignore[arg-type,return-value]
        warm = warms[1]
    finally:
        shutil.rmtree(cache, ignore_errors=True)

    print(f"{'run':<6} {'release':<8} {'files':>5} {'requests':>8} {'bytes':>12} "
          f"{'wheel bytes':>13} {'share':>7}")
    for name, run in (("cold", cold), ("warm", warm)):
        tot_b = tot_w = tot_r = 0
        for p in run["per"]:  # type: ignore[attr-defined]
            share = 100 * p["bytes"] / p["wheel_bytes"]
            print(f"{name:<6} {p['version']:<8} {p['files']:>5} {p['requests']:>8} "
                  f"{p['bytes']:>12,} {p['wheel_bytes']:>13,} {share:>6.2f}%")
            tot_b += p["bytes"]
            tot_w += p["wheel_bytes"]
            tot_r += p["requests"]
        tot_r += run["index_requests"]  # type: ignore[operator]
        tot_b += run["index_bytes"]  # type: ignore[operator]
        print(f"{name:<6} {'ALL':<8} {'':>5} {tot_r:>8} {tot_b:>12,} {tot_w:>13,} "
              f"{100 * tot_b / tot_w:>6.2f}%   wall {run['wall']:.3f} s (incl. index; of it "
              f"{run['search']:.3f} s searching the file lists; CPU {run['cpu']:.3f} s)")
    if args.show_files:
        for p in cold["per"]:  # type: ignore[attr-defined]
            print(f"\n{p['version']}:")
            for label, paths in p["found"].items():
                print(f"  {label}: {', '.join(paths) or '(none in this release)'}")
    cold_b = sum(p["bytes"] for p in cold["per"]) + cold["index_bytes"]  # type: ignore
    if not args.skip_pip:
        files = [f for p in cold["per"] for (f, _, _) in p["wheels"]]  # type: ignore
        pip_wall, pip_bytes = pip_download(files)
        print(f"\npip download --no-deps of the same {len(files)} wheels: {pip_wall:.1f} s, "
              f"{pip_bytes:,} bytes")
        print(f"ratio pip/cold: time x{pip_wall / cold['wall']:.0f}, "  # type: ignore
              f"bytes x{pip_bytes / cold_b:.0f};  pip/warm time x"
              f"{pip_wall / warm['wall']:.0f}")  # type: ignore
    ok_cold = cold["wall"] < 3.0  # type: ignore[operator]
    tot_w = sum(p["wheel_bytes"] for p in cold["per"])  # type: ignore
    ok_share = cold_b < 0.02 * tot_w
    ok_warm = warm["wall"] < 0.3  # type: ignore[operator]
    print(f"\ntargets: cold < 3 s: {'PASS' if ok_cold else 'FAIL'} ({cold['wall']:.2f} s); "
          f"cold < 2 % of wheel bytes: {'PASS' if ok_share else 'FAIL'} "
          f"({100 * cold_b / tot_w:.2f} %); warm < 0.3 s: {'PASS' if ok_warm else 'FAIL'} "
          f"({warm['wall']:.3f} s)")
    return 0 if (ok_cold and ok_share and ok_warm) else 1


if __name__ == "__main__":
    raise SystemExit(main())
