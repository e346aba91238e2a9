"""Benchmark of the reports of a large run: this checkout against another one, side by side.

    git worktree add /tmp/base <rev>      # the code to compare against
    .venv/bin/python benchmarks/reports.py --baseline /tmp/base --rounds 5

The input is real: ``tests/data/all-releases.report.json.gz``, the analysis results of
``tfinit-audit --versions all --no-live`` (102 releases, the default symbol set), or
``--report FILE`` (any report.json). Each round renders it with each checkout's code in a fresh
interpreter (on ``PYTHONPATH``; the report model is handed over pickled, so a checkout that
cannot read report.json back works too), alternating which goes first:

- report.json as the CLI writes it (size, time to write);
- index.html (size, time to render), then opened from disk in headless Chromium (Debian's
  ``chromium``, never a downloaded one): **open** = navigation start to the first frame after
  the load event, **filter** = typing a query into the matrix filter until the page has laid
  out the result, both timed inside the page (``performance.now()``);
- the summary and the three files, one after the other, as the CLI writes them (time);
- the terminal summary as ``tfinit-audit`` prints it, at 80 and 200 columns, not a terminal
  (lines, widest line, lines with no letter or digit — a table too wide for its columns
  prints rows of empty box-drawing cells —, and cells broken inside a word).

Medians over the rounds, with min-max; ratio = this / baseline.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import pickle
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent.parent
DEFAULT_REPORT = HERE / "tests" / "data" / "all-releases.report.json.gz"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update"]

CHILD = r"""
import io, json, pickle, sys, time
from pathlib import Path
from rich.console import Console
from tfinit_audit.report import render_html, render_json, render_terminal, write_reports
report = pickle.loads(Path(sys.argv[1]).read_bytes())
out = Path(sys.argv[2])
res = {}
t = time.perf_counter(); text = render_json(report); res["json_s"] = time.perf_counter() - t
(out / "report.json").write_text(text, encoding="utf-8")
res["json_bytes"] = len(text.encode("utf-8"))
t = time.perf_counter(); html = render_html(report); res["html_s"] = time.perf_counter() - t
(out / "index.html").write_text(html, encoding="utf-8")
res["html_bytes"] = len(html.encode("utf-8"))
t = time.perf_counter()  # what the CLI does after the analysis: the summary, then the files
render_terminal(report, Console(file=io.StringIO(), width=80, color_system=None))
write_reports(report, out / "all", {"html", "json", "md"})
res["all_s"] = time.perf_counter() - t
for width in (80, 200):
    buf = io.StringIO()
    t = time.perf_counter()
    render_terminal(report, Console(file=buf, width=width, color_system=None))
    res[f"term{width}_s"] = time.perf_counter() - t
    (out / f"terminal-{width}.txt").write_text(buf.getvalue(), encoding="utf-8")
json.dump(res, sys.stdout)
"""

OPEN_JS = """() => new Promise(resolve => {
  const done = () => requestAnimationFrame(() => { document.body.offsetHeight;
                                                   resolve(performance.now()); });
  if (document.readyState === "complete") { done(); } else { addEventListener("load", done); }
})"""
FILTER_JS = """(q) => new Promise(resolve => {
  const f = document.getElementById("filter");
  const t0 = performance.now();
  f.value = q;
  f.dispatchEvent(new Event("input"));
  document.body.offsetHeight;
  requestAnimationFrame(() => resolve(performance.now() - t0));
})"""


def load_model(path: Path) -> Any:
    from tfinit_audit.report import load_report

    raw = path.read_bytes()
    if path.suffix == ".gz":
        raw = gzip.decompress(raw)
    return load_report(json.loads(raw))


def render(tree: Path, pickled: Path, out: Path) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    res = subprocess.run([sys.executable, "-c", CHILD, str(pickled), str(out)], env=env,
                         capture_output=True, text=True, check=True, cwd=tree)
    data: dict[str, float] = json.loads(res.stdout)
    return data


def terminal_stats(text: str) -> dict[str, float]:
    lines = text.splitlines()
    empty = sum(1 for ln in lines if ln.strip() and not any(ch.isalnum() for ch in ln))
    # a cell broken inside a word: a table row ending in a letter whose next row's cell in the
    # same column goes on with letters (rich folds words that do not fit their column)
    broken = 0
    for a, b in zip(lines, lines[1:], strict=False):
        for i, ch in enumerate(a):
            if ch == "│" and i > 0 and a[i - 1].isalnum() and i < len(b) and b[i] == "│" and \
                    i + 1 < len(b) and b[i - 1].isalnum():
                broken += 1
    return {"lines": len(lines), "widest": max((len(ln) for ln in lines), default=0),
            "no_text": empty, "broken": broken}


def browse(browser: Any, html: Path, query: str) -> dict[str, float]:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(html.as_uri(), wait_until="commit")
    opened = page.evaluate(OPEN_JS) / 1000
    filtered = page.evaluate(FILTER_JS, query) / 1000
    shown = page.locator("#matrix tbody tr:visible").count()
    page.close()
    if errors:
        raise SystemExit(f"page errors in {html}: {errors}")
    return {"open_s": opened, "filter_s": filtered, "rows_shown": shown}


def fmt(values: list[float], unit: str) -> str:
    med = statistics.median(values)
    if unit == "MB":
        return f"{med / 1e6:.2f} MB"
    if unit == "s":
        lo, hi = min(values), max(values)
        return f"{med:.3f} s ({lo:.3f}-{hi:.3f})" if len(values) > 1 else f"{med:.3f} s"
    return f"{med:g}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--baseline", required=True, type=Path, help="checkout to compare against")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--report", type=Path, default=DEFAULT_REPORT,
                    help="report.json (or .json.gz) to render (default: the 102-release one)")
    ap.add_argument("--query", default="GRU", help="what to type into the filter")
    ap.add_argument("--keep", type=Path, help="keep the rendered files of the last round here")
    args = ap.parse_args()
    exe = shutil.which("chromium")
    if not exe:
        raise SystemExit("reports.py: Debian's chromium is needed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    trees = {"this": HERE, "baseline": args.baseline.resolve()}
    model = load_model(args.report)
    samples: dict[str, dict[str, list[float]]] = {k: {} for k in trees}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        pickled = Path(tmp) / "report.pickle"
        pickled.write_bytes(pickle.dumps(model))
        browser = pw.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        for r in range(args.rounds):
            order = list(trees) if r % 2 == 0 else list(reversed(trees))
            for name in order:
                out = Path(tmp) / name
                out.mkdir(exist_ok=True)
                res: dict[str, float] = render(trees[name], pickled, out)
                res.update(browse(browser, out / "index.html", args.query))
                for width in (80, 200):
                    text = (out / f"terminal-{width}.txt").read_text(encoding="utf-8")
                    res.update({f"term{width}_{k}": v for k, v in terminal_stats(text).items()})
                for k, v in res.items():
                    samples[name].setdefault(k, []).append(v)
            print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)
        browser.close()
        if args.keep:
            for name in trees:
                shutil.copytree(Path(tmp) / name, args.keep / name, dirs_exist_ok=True)
    print(f"{len(model.versions)} releases, {args.rounds} rounds: medians (min-max); "
          "ratio = this / baseline")
    rows = [
        ("report.json size", "json_bytes", "MB"), ("report.json write", "json_s", "s"),
        ("index.html size", "html_bytes", "MB"), ("index.html render", "html_s", "s"),
        ("Chromium open", "open_s", "s"), (f"Chromium filter '{args.query}'", "filter_s", "s"),
        ("rows shown after filter", "rows_shown", ""),
        ("terminal 80 cols: lines", "term80_lines", ""),
        ("terminal 80 cols: widest line", "term80_widest", ""),
        ("terminal 80 cols: lines without text", "term80_no_text", ""),
        ("terminal 80 cols: words broken", "term80_broken", ""),
        ("terminal 200 cols: lines", "term200_lines", ""),
        ("terminal 200 cols: lines without text", "term200_no_text", ""),
        ("terminal render (80 cols)", "term80_s", "s"),
        ("summary + html, json, md written", "all_s", "s"),
    ]
    print(f"{'':40} {'this':>26} {'baseline':>26} {'ratio':>6}")
    for label, key, unit in rows:
        a, b = samples["this"].get(key, []), samples["baseline"].get(key, [])
        if not a or not b:
            continue
        ratio = statistics.median(a) / statistics.median(b) if statistics.median(b) else 0.0
        print(f"{label:40} {fmt(a, unit):>26} {fmt(b, unit):>26} {ratio:6.2f}")


if __name__ == "__main__":
    main()
