"""The stages of the service layer (pipeline.py): resolve -> fetch -> analyse -> verify ->
report, one ``VersionReport`` per requested release, and the helpers the jobs share.

A release that fails a stage keeps its error and stays in the report; the others go on.
"""

from __future__ import annotations

import datetime as _dt
import importlib.util
import os
import shutil
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.version import InvalidVersion, Version

from tfinit_audit import defaults
from tfinit_audit._version import __version__
from tfinit_audit.analysis import arguments as argtable
from tfinit_audit.analysis.audit import analyze_release as analyze_tree
from tfinit_audit.analysis.model import Dims, SymbolResult
from tfinit_audit.analysis.suggest import suggest
from tfinit_audit.analysis.symbols import DEFAULT_SYMBOLS, SymbolSpec, parse_symbol
from tfinit_audit.errors import AuditError, FetchError, UsageError, one_line
from tfinit_audit.live.model import LiveRun
from tfinit_audit.report.model import Report, VersionReport
from tfinit_audit.sources import (
    SourceContext,
    SourceSpec,
    limits,
    open_tree,
    parse_source,
    resolve_versions,
)
from tfinit_audit.sources.base import FetchStats
from tfinit_audit.sources.wheel import ProgressFn

if TYPE_CHECKING:
    pass

Say = Callable[[str], None]
PathLike = str | os.PathLike[str]


def _quiet(_: str) -> None:
    """A progress callable that says nothing."""


@dataclass(frozen=True)
class Step:
    """One release entering a stage of a job, or finishing (the ``steps=`` callback).

    ``stage`` is "resolve" (the job's releases are being looked up: ``release`` is "" and
    ``index`` -1), "fetch" (its files are being located and opened), "queued" (opened, waiting
    for its analysis; ``size`` the bytes of its package files, 0 when unknown), "analyse",
    "done" (``status`` "ok" or "error"; every release of the job gets exactly one) or "verify"
    (the live check: ``release`` the interpreters' paths, ``index`` -1). ``total`` is the
    number of releases of the job (0 while resolving). Called from worker threads."""

    stage: str
    release: str
    index: int
    total: int
    status: str = ""
    size: int = 0


StepFn = Callable[[Step], None]


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------
def symbol_specs(symbols: Sequence[str | SymbolSpec] | None) -> list[SymbolSpec]:
    """Parsed symbol specs; the built-in default set when none are given."""
    if not symbols:
        return list(DEFAULT_SYMBOLS)
    if isinstance(symbols, str):
        symbols = [symbols]
    return [s if isinstance(s, SymbolSpec) else parse_symbol(s) for s in symbols]


def make_dims(units: int = defaults.UNITS, input_dim: int = defaults.INPUT_DIM,
              dims: Mapping[str, Any] | Sequence[str] | None = None) -> Dims:
    """The concrete sizes and arguments the layers are built with: the argument table
    (``analysis/arguments.py``) with ``units``, ``input_dim`` (the table's ``features``) and
    ``dims`` (``{"filters": 16}`` or ``["filters=16"]`` as ``--dim`` takes them) applied.
    ``units=``/``input_dim=`` and ``dims`` naming the same entry must agree."""
    for name, value in (("units", units), ("input_dim", input_dim)):
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise UsageError(f"{name} must be a whole number > 0, not {value!r}")
    given: dict[str, Any] = {}
    try:
        if isinstance(dims, str):
            dims = [dims]
        items = (list(dims.items()) if isinstance(dims, Mapping)
                 else [argtable.parse_dim(d) for d in dims or ()])
        for name, value in items:
            given[name] = argtable.check(name, value, f"--dim {name}")
    except argtable.ArgumentError as exc:
        raise UsageError(str(exc)) from None
    sizes = {"units": units, "features": input_dim}
    for name, default, alias in (("units", defaults.UNITS, "--units"),
                                 ("features", defaults.INPUT_DIM, "--input-dim")):
        if name in given:
            if sizes[name] != default and sizes[name] != given[name]:
                raise UsageError(f"{alias} {sizes[name]} and --dim {name}={given[name]} "
                                 "disagree: give one")
            sizes[name] = given.pop(name)
    return Dims(units=sizes["units"], input_dim=sizes["features"], given=given)


def _count(specs: Sequence[SymbolSpec]) -> str:
    """``16 symbol(s)``, ``'all'``, ``2 symbol(s) and 'tf.keras.layers.*'``."""
    patterns = [repr(s.name) for s in specs if s.is_pattern]
    n = len(specs) - len(patterns)
    return " and ".join(([f"{n} symbol(s)"] if n or not patterns else []) + patterns)


def open_context(
    *, cache_dir: PathLike | None = None, index_url: str | None = None, offline: bool = False,
    download: ProgressFn | None = None,
) -> SourceContext:
    """What every fetch of one job shares: the cache, the HTTP session, the index client."""
    limits.check_environment()
    return SourceContext.create(cache_dir=cache_dir, index_url=index_url, offline=offline,
                                progress=download)


def _as_list(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


# --------------------------------------------------------------------------------------------
# Stages: resolve -> fetch -> analyse
# --------------------------------------------------------------------------------------------
def open_releases(
    versions: str | Sequence[str] | None, *, source: str = defaults.SOURCE,
    index_url: str | None = None, cache_dir: PathLike | None = None, offline: bool = False,
    prefetch: Sequence[str] = (), detail: Say | None = None, download: ProgressFn | None = None,
) -> list[VersionReport]:
    """Resolve and fetch (no analysis): each record has its ``tree`` or its error. What
    ``tfinit-audit fetch`` shows; ``prefetch`` paths are read ahead."""
    ctx = open_context(cache_dir=cache_dir, index_url=index_url, offline=offline,
                       download=download)
    records = resolve(parse_source(source), _as_list(versions) or None, ctx)
    fetch(records, source, ctx, prefetch=prefetch, detail=detail)
    return records


def resolve(
    source: SourceSpec, versions: Sequence[str] | None, ctx: SourceContext
) -> list[VersionReport]:
    """One record per release asked for. A local source is its own release (``versions``, if
    given, are checked against the tree when it is opened); index sources need ``versions``."""
    if source.is_local:
        if not versions:
            return [VersionReport(str(source), None, source.kind)]
        return [VersionReport(v, v, source.kind) for v in versions]
    if not versions:
        raise UsageError(
            f"--versions is required with --source {source.kind}, e.g. --versions 2.15"
        )
    return [VersionReport(r.requested, r.version, source.kind)
            for r in resolve_versions(list(versions), ctx.index)]


def fetch(
    records: Sequence[VersionReport], source: str | SourceSpec, ctx: SourceContext, *,
    prefetch: Sequence[str] = (), detail: Say | None = None, max_workers: int = 4,
    steps: StepFn | None = None,
) -> None:
    """Open every release's tree concurrently (and read ``prefetch`` paths ahead); one failing
    never loses the others: it is failed with its error instead (``steps``: "done", "error")."""
    (detail or _quiet)(f"fetching {len(records)} release(s)")
    index = {id(r): i for i, r in enumerate(records)}

    def one(record: VersionReport) -> None:
        version = record.tensorflow
        if steps:
            steps(Step("fetch", record.label, index[id(record)], len(records)))
        try:
            tree = open_tree(source, version, ctx=ctx)
            record.tree, record.tensorflow = tree, tree.release
            if prefetch:
                tree.prefetch(list(prefetch))
        except AuditError as exc:
            record.fail(exc)
        except OSError as exc:  # disk full, permissions: one line like the others
            record.fail(FetchError(f"{version}: {exc}"))
        if steps and record.status == "error":
            steps(Step("done", record.label, index[id(record)], len(records), "error"))
        elif steps and record.tree is not None:
            size = sum(p.size or 0 for p in record.tree.packages)
            steps(Step("queued", record.label, index[id(record)], len(records), size=size))

    if len(records) <= 1:
        for r in records:
            one(r)
        return
    with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(records)))) as pool:
        list(pool.map(one, records))


def raise_if_all_failed_on_input(records: Sequence[VersionReport]) -> None:
    """Nothing to report when every release failed on bad input: raise the first such error
    (the CLI says it in one line and exits 2)."""
    errors = [r.exception for r in records]
    if errors and all(isinstance(e, UsageError) for e in errors):
        first = errors[0]
        assert first is not None
        raise first


def analysis_cache_dir(ctx: SourceContext) -> Path:
    return Path(ctx.cache.root) / "analysis"


def analyse_release(
    record: VersionReport, specs: list[SymbolSpec], dims: Dims, ctx: SourceContext,
    detail: Say | None = None, progress: Say | None = None,
) -> None:
    """Static analysis of one fetched release into its record; a failure stays local.
    ``detail`` gets a line per symbol; ``progress`` (long runs: patterns) a line when a
    pattern is listed and every ``MILESTONE`` symbols."""
    tree = record.tree
    if tree is None:  # failed before (fetch): nothing to analyse
        if record.status == "ok":
            record.status, record.error = "error", one_line(record.exception)
        return
    say = detail or _quiet
    note = progress if progress is not None and any(s.is_pattern for s in specs) else None

    def relay(line: str) -> None:
        say(f"{tree.release}: {line}")
        if note is not None and _milestone(line):
            note(f"{tree.release}: {line}")

    t0 = time.monotonic()
    start_plan = getattr(tree, "start_plan", None)  # fetch what its family's plan says
    if start_plan is not None:
        start_plan()
    ok = False
    try:
        done = analyze_tree(tree, specs, dims, cache_dir=analysis_cache_dir(ctx),
                            progress=relay, problems=record.warnings)
        record.symbols, record.namespaces = done.symbols, done.namespaces
        ok = True
    except AuditError as exc:  # a member could not be fetched (offline, network, a bound)
        record.fail(exc)
    finally:
        end_plan = getattr(tree, "end_plan", None)  # on success: the family's read plan
        if end_plan is not None:
            end_plan(ok)
    for line in getattr(tree, "problems", []):  # unreadable / undecodable files of the tree
        if line not in record.warnings:
            record.warnings.append(line)
    record.analysis_seconds = time.monotonic() - t0
    record.packages = list(tree.packages)
    stats = tree.refresh_stats() if hasattr(tree, "refresh_stats") else tree.stats
    record.fetch = stats if isinstance(stats, FetchStats) else tree.stats
    record.tensorflow = tree.release


MILESTONE = 50  # long runs: a progress line every this many symbols


def _milestone(line: str) -> bool:
    """A line worth printing on a long run: a listed pattern, every MILESTONE-th symbol."""
    if line.startswith("listed "):
        return True
    if not line.startswith("["):
        return False
    count, _, _ = line[1:].partition("]")
    done, _, total = count.partition("/")
    return done.isdigit() and total.isdigit() and int(total) >= MILESTONE and (
        int(done) % MILESTONE == 0 or done == total)


def analyse(
    records: Sequence[VersionReport], specs: list[SymbolSpec], dims: Dims, ctx: SourceContext,
    detail: Say | None = None, steps: StepFn | None = None, progress: Say | None = None,
) -> None:
    """Analyse several releases at once (their lazy fetches overlap). ``steps`` hears each
    release start ("analyse") and finish ("done"); a release that failed to fetch was done
    then. ``progress`` gets the milestones of long runs (patterns: ``analyse_release``)."""
    total = len(records)

    def one(i: int, r: VersionReport) -> None:
        if r.tree is None or not steps:
            analyse_release(r, specs, dims, ctx, detail, progress)
            return
        steps(Step("analyse", r.label, i, total))
        try:
            analyse_release(r, specs, dims, ctx, detail, progress)
        finally:
            steps(Step("done", r.label, i, total, "ok" if r.status == "ok" else "error"))

    if len(records) <= 1:
        for i, r in enumerate(records):
            one(i, r)
        return
    with ThreadPoolExecutor(max_workers=min(4, len(records))) as pool:
        list(pool.map(one, range(total), records))


# --------------------------------------------------------------------------------------------
# Names no release has (typos)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class UnknownSymbol:
    spec: SymbolSpec
    line: str  # "tf.keras.layers.LTSM: no such public name in TensorFlow 2.15.1 (...); did ..."


def unknown_symbols(
    records: Sequence[VersionReport], specs: Sequence[SymbolSpec], ctx: SourceContext
) -> list[UnknownSymbol]:
    """The symbols absent in every release that analysed fine, each with one line naming the
    closest public names of those releases (``analysis.suggest``); the absent results'
    messages get the same suggestion."""
    ok = [r for r in records if r.status == "ok"]
    ok.sort(key=lambda r: _version_key(r.label), reverse=True)  # suggest from the newest
    out: list[UnknownSymbol] = []
    for spec in specs:
        if spec.is_pattern:  # a pattern that lists nothing says so in its listing
            continue
        found = [_result_of(r, spec) for r in ok]
        results = [s for s in found if s is not None]
        if not results or len(results) != len(found) or any(
                s.status != "absent" for s in results):
            continue
        near: list[str] = []
        for r in ok:
            if r.tree is not None:
                near = suggest(r.tree, spec.name, cache_dir=analysis_cache_dir(ctx))
            if near:
                break
        hint = f"; did you mean {' or '.join(near)}?" if near else ""
        for s in results:
            s.message = (s.message or "absent") + hint
        labels = ", ".join(sorted({r.label for r in ok}, key=_version_key))
        out.append(UnknownSymbol(spec, f"{spec.display()}: no such public name in TensorFlow "
                                       f"{labels}{_why_absent(ok, results, hint)}{hint}"))
    return out


def _why_absent(records: Sequence[VersionReport], results: Sequence[SymbolResult],
                hint: str) -> str:
    """`` (reason)`` when every release gives the same one, else each reason with the
    releases that give it (1.0 names where it has the class instead; 2.16 does not)."""
    by_reason: dict[str, list[str]] = {}
    for r, s in zip(records, results, strict=True):
        if s.message:
            by_reason.setdefault(s.message.removesuffix(hint), []).append(r.label)
    if len(by_reason) <= 1:
        return f" ({next(iter(by_reason))})" if by_reason else ""
    return " (" + " · ".join(
        f"{', '.join(sorted(labels, key=_version_key))}: {why}"
        for why, labels in sorted(by_reason.items(), key=lambda kv: _version_key(kv[1][-1]))
    ) + ")"


def _result_of(record: VersionReport, spec: SymbolSpec) -> SymbolResult | None:
    """The result a release has for one named spec (asked for under its name or a twin)."""
    names = {spec.display(n) for n in (spec.name, *spec.alternatives)}
    return next((s for s in record.symbols if s.symbol in names), None)


def raise_if_nothing_known(unknown: Sequence[UnknownSymbol], specs: Sequence[SymbolSpec],
                           records: Sequence[VersionReport] = ()) -> None:
    """Every symbol asked for is unknown in every release: a usage error (exit 2), one line.
    Not when a release failed: it was not audited, and its error is the report's news."""
    if unknown and len(unknown) == len(specs) and all(r.status == "ok" for r in records):
        raise UsageError("; ".join(u.line for u in unknown))


def _version_key(label: str) -> tuple[int, Version | str]:
    try:
        return (1, Version(label))
    except InvalidVersion:
        return (0, label)


# --------------------------------------------------------------------------------------------
# Stage: verify live
# --------------------------------------------------------------------------------------------
def current_python_has_tensorflow() -> bool:
    """Cheap check (no import) whether this interpreter can import TensorFlow."""
    return importlib.util.find_spec("tensorflow") is not None


def default_pythons() -> list[str]:
    """The interpreters the CLI's main job verifies when none is named: this one, if it has
    TensorFlow."""
    return [sys.executable] if current_python_has_tensorflow() else []


def verify_python(
    python: str, specs: list[SymbolSpec], dims: Dims, ctx: SourceContext,
    timeout: float = defaults.PROBE_TIMEOUT, detail: Say | None = None,
    plugins: Sequence[str] = (), skip_absent: bool = False, progress: Say | None = None,
) -> tuple[VersionReport | None, LiveRun]:
    """Audit the release installed for ``python`` from its own files, then probe it live
    (``skip_absent``: not the symbols that release does not have)."""
    # imported here: the live stage pulls in scipy, which a run without live check need not pay
    from tfinit_audit.live.runner import ProbeError, interpreter_info
    from tfinit_audit.live.verify import verify_interpreter

    say = detail or _quiet
    try:
        info = interpreter_info(python)
    except ProbeError as exc:
        return None, LiveRun(python=python, python_version="", tensorflow=None, keras=None,
                             error=one_line(exc))
    if not info.tensorflow:
        return None, LiveRun(python=python, python_version=info.python_version,
                             tensorflow=None, keras=info.keras,
                             error=f"{python} has no TensorFlow installed")
    say(f"{python}: auditing installed tensorflow {info.tensorflow}")
    record = VersionReport("installed", None, "installed")  # the tree says which release
    fetch([record], f"installed:{python}", ctx)
    record.tensorflow = record.tensorflow or info.tensorflow
    analyse_release(record, specs, dims, ctx, detail, progress)
    if record.status != "ok":
        return record, LiveRun(python=python, python_version=info.python_version,
                               tensorflow=info.tensorflow, keras=info.keras,
                               error=f"static audit of the installed release failed: "
                                     f"{record.error}")
    checkable = [s for s in record.symbols if not (skip_absent and s.status == "absent")]
    if not checkable:  # nothing the release has: no probe of nothing
        return record, LiveRun(python=python, python_version=info.python_version,
                               tensorflow=info.tensorflow, keras=info.keras,
                               error="nothing to check: no symbol asked for is in tensorflow "
                                     f"{record.tensorflow}")
    say(f"{python}: probing tensorflow {info.tensorflow} live")
    run = verify_interpreter(python, checkable, dims, timeout, plugins=plugins,
                             progress=(lambda line: say(f"{python}: {line}")))
    run.static_release = record.tensorflow
    return record, run


def verify_pythons(
    pythons: Sequence[str], specs: list[SymbolSpec], dims: Dims, ctx: SourceContext,
    timeout: float = defaults.PROBE_TIMEOUT, detail: Say | None = None,
    probe_plugins: Sequence[PathLike] = (), skip_absent: bool = False,
    progress: Say | None = None,
) -> tuple[list[VersionReport], list[LiveRun]]:
    """Static audit + live probe of each interpreter's installed release, in order."""
    plugins = _probe_plugins(probe_plugins)
    statics: list[VersionReport] = []
    runs: list[LiveRun] = []
    if not specs:
        return statics, runs
    for named in pythons:
        py = _absolute_python(named)
        static, run = verify_python(py, specs, dims, ctx, timeout, detail, plugins, skip_absent,
                                    progress)
        run.python = _shown_python(named, py)
        if static is not None:
            static.requested = f"installed:{run.python}" if len(pythons) > 1 else "installed"
            statics.append(static)
        runs.append(run)
    return statics, runs


def _shown_python(named: str, absolute: str) -> str:
    """The interpreter as the reports show it: as the user named it when that was a path
    (``.venv/bin/python`` stays relative, so a report made in a checkout names no directory of
    the machine that made it), else the path found."""
    return os.path.normpath(named) if os.sep in named else absolute


def _probe_plugins(paths: Sequence[PathLike]) -> list[str]:
    plugins = [os.path.abspath(p) for p in paths]
    for p in plugins:
        if not os.path.isfile(p):
            raise UsageError(f"--probe-plugin {p}: no such file")
    return plugins


def _absolute_python(python: str) -> str:
    """``.venv/bin/python`` -> absolute (the probe runs elsewhere); symlinks kept, so a venv's
    interpreter stays that venv's; a bare name is looked up on PATH."""
    if os.sep in python:
        return os.path.abspath(os.path.expanduser(python))
    return shutil.which(python) or python


# --------------------------------------------------------------------------------------------
# Stage: report
# --------------------------------------------------------------------------------------------
def build_report(
    versions: list[VersionReport], live: list[LiveRun], dims: Dims, command: str = ""
) -> Report:
    for run in live:  # which entry of the report holds the release the live check compared
        same = [i for i, v in enumerate(versions)
                if run.static_release and v.tensorflow == run.static_release
                and v.status == "ok"]
        same.sort(key=lambda i: versions[i].source != run.static_source)
        run.requested = bool(same)
        run.version_index = same[0] if same else None
    return Report(
        tool_name="tfinit-audit", tool_version=__version__, dims=dims, versions=versions,
        live=live, command=command,
        generated_at=_dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat().replace(
            "+00:00", "Z"),
    )
