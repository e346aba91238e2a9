"""The service layer: runs the stages in order (sources -> analysis -> live -> report model).

The CLI parses arguments and prints; everything that wires one stage's output into the next
lives here, so tests and other front ends can drive a whole audit without argparse.
"""

from __future__ import annotations

import datetime as _dt
import importlib.util
import os
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tfinit_audit import __version__
from tfinit_audit.analysis.audit import analyze
from tfinit_audit.analysis.model import Dims, SymbolResult
from tfinit_audit.analysis.symbols import SymbolSpec
from tfinit_audit.errors import AuditError, FetchError
from tfinit_audit.live.model import LiveRun
from tfinit_audit.report.model import Report, VersionReport
from tfinit_audit.sources import SourceContext, SourceTree, open_tree
from tfinit_audit.sources.base import FetchStats

Say = Callable[[str], None]
DEFAULT_TIMEOUT = 300.0  # seconds for one interpreter's probe (live.runner's default too)


def _quiet(_: str) -> None:
    return None


@dataclass
class Opened:
    """One requested release after the fetch stage: a tree, or the error that stopped it."""

    requested: str
    release: str
    source: str
    tree: SourceTree | None = None
    error: AuditError | None = None


def analysis_cache_dir(ctx: SourceContext) -> Path:
    return Path(ctx.cache.root) / "analysis"


def analyze_release(
    opened: Opened, specs: list[SymbolSpec], dims: Dims, ctx: SourceContext, say: Say = _quiet
) -> VersionReport:
    """Static analysis of one opened release into its VersionReport; a failure stays local."""
    vr = VersionReport(requested=opened.requested, tensorflow=opened.release or None,
                       source=opened.source)
    if opened.tree is None:
        vr.status, vr.error = "error", _one_line(opened.error)
        return vr
    tree = opened.tree
    t0 = time.monotonic()
    try:
        vr.symbols = analyze(tree, specs, dims, cache_dir=analysis_cache_dir(ctx),
                             progress=lambda s: say(f"{tree.release}: {s}"))
    except AuditError as exc:  # e.g. a member could not be fetched (offline, network)
        vr.status, vr.error = "error", _one_line(exc)
    vr.analysis_seconds = time.monotonic() - t0
    vr.packages = list(tree.packages)
    stats = tree.refresh_stats() if hasattr(tree, "refresh_stats") else tree.stats
    vr.fetch = stats if isinstance(stats, FetchStats) else tree.stats
    vr.tensorflow = tree.release
    return vr


def analyze_releases(
    opened: Sequence[Opened], specs: list[SymbolSpec], dims: Dims, ctx: SourceContext,
    say: Say = _quiet,
) -> list[VersionReport]:
    """Analyse several releases at once (their lazy fetches overlap); order is kept."""
    if len(opened) <= 1:
        return [analyze_release(o, specs, dims, ctx, say) for o in opened]
    with ThreadPoolExecutor(max_workers=min(4, len(opened))) as pool:
        return list(pool.map(lambda o: analyze_release(o, specs, dims, ctx, say), opened))


def current_python_has_tensorflow() -> bool:
    """Cheap check (no import) whether this interpreter can import TensorFlow."""
    return importlib.util.find_spec("tensorflow") is not None


def verify_python(
    python: str, specs: list[SymbolSpec], dims: Dims, ctx: SourceContext,
    timeout: float = DEFAULT_TIMEOUT, say: Say = _quiet, plugins: Sequence[str] = (),
) -> tuple[VersionReport | None, LiveRun]:
    """Audit the release installed for ``python`` from its own files, then probe it live."""
    # imported here: the live stage pulls in scipy, which a --no-live run need not pay for
    from tfinit_audit.live.runner import ProbeError, interpreter_info
    from tfinit_audit.live.verify import verify_interpreter

    try:
        info = interpreter_info(python)
    except ProbeError as exc:
        return None, LiveRun(python=python, python_version="", tensorflow=None, keras=None,
                             error=_one_line(exc))
    if not info.tensorflow:
        return None, LiveRun(python=python, python_version=info.python_version,
                             tensorflow=None, keras=info.keras,
                             error=f"{python} has no TensorFlow installed")
    say(f"{python}: auditing installed tensorflow {info.tensorflow}")
    try:
        tree = open_tree(f"installed:{python}", None, ctx=ctx)
        opened = Opened("installed", tree.release, "installed", tree)
    except AuditError as exc:
        opened = Opened("installed", info.tensorflow, "installed", None, exc)
    static = analyze_release(opened, specs, dims, ctx, say)
    if static.status != "ok":
        return static, LiveRun(python=python, python_version=info.python_version,
                               tensorflow=info.tensorflow, keras=info.keras,
                               error=f"static audit of the installed release failed: "
                                     f"{static.error}")
    say(f"{python}: probing tensorflow {info.tensorflow} live")
    run = verify_interpreter(python, static.symbols, dims, timeout, plugins=plugins)
    return static, run


def verify_pythons(
    pythons: Sequence[str], specs: list[SymbolSpec], dims: Dims, ctx: SourceContext,
    timeout: float = DEFAULT_TIMEOUT, say: Say = _quiet, plugins: Sequence[str] = (),
) -> tuple[list[VersionReport], list[LiveRun]]:
    statics: list[VersionReport] = []
    runs: list[LiveRun] = []
    for py in (_absolute_python(p) for p in pythons):
        static, run = verify_python(py, specs, dims, ctx, timeout, say, plugins)
        if static is not None:
            static.requested = f"installed:{py}" if len(pythons) > 1 else "installed"
            statics.append(static)
        runs.append(run)
    return statics, runs


def _absolute_python(python: str) -> str:
    """``.venv/bin/python`` -> absolute (the probe runs elsewhere); symlinks kept, so a venv's
    interpreter stays that venv's; a bare name is looked up on PATH."""
    if os.sep in python:
        return os.path.abspath(os.path.expanduser(python))
    return shutil.which(python) or python


def default_pythons() -> list[str]:
    return [sys.executable] if current_python_has_tensorflow() else []


def build_report(
    versions: list[VersionReport], live: list[LiveRun], dims: Dims, command: str
) -> Report:
    return Report(
        tool_name="tfinit-audit", tool_version=__version__, dims=dims, versions=versions,
        live=live, command=command,
        generated_at=_dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat().replace(
            "+00:00", "Z"),
    )


def symbol_results(report: Report) -> list[SymbolResult]:
    return [s for v in report.versions for s in v.symbols]


def fetch_failed(versions: Sequence[VersionReport]) -> bool:
    return any(v.status == "error" for v in versions)


def _one_line(exc: BaseException | None) -> str:
    if exc is None:
        return "unknown error"
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


__all__ = [
    "FetchError",
    "Opened",
    "analyze_release",
    "analyze_releases",
    "build_report",
    "default_pythons",
    "fetch_failed",
    "verify_pythons",
]
