"""The stages of the service layer (pipeline.py): resolve -> fetch -> analyse -> verify ->
report, one ``VersionReport`` per requested release, and the helpers the jobs share.

A release that fails a stage keeps its error and stays in the report; the others go on.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import importlib.util
import os
import pickle
import shutil
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.version import InvalidVersion, Version

from tfinit_audit import defaults
from tfinit_audit._version import __version__
from tfinit_audit.analysis import arguments as argtable
from tfinit_audit.analysis.audit import analyze_release as analyze_tree
from tfinit_audit.analysis.audit import nothing_stored, stored
from tfinit_audit.analysis.model import Analysis, Dims
from tfinit_audit.analysis.symbols import DEFAULT_SYMBOLS, SymbolSpec, parse_symbol
from tfinit_audit.errors import AnalysisError, AuditError, FetchError, UsageError, one_line
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
from tfinit_audit.sources.base import FetchStats, SourceTree
from tfinit_audit.sources.wheel import ProgressFn
from tfinit_audit.workers import Chains, default_jobs, run_chains
from tfinit_audit.workers import prepare as prepare_workers
from tfinit_audit.workers import say as worker_say

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
    step = _Steps(steps, records)
    if len(records) <= 1:
        for r in records:
            open_release(r, source, ctx, prefetch, step)
        return
    with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(records)))) as pool:
        list(pool.map(lambda r: open_release(r, source, ctx, prefetch, step), records))


def open_release(record: VersionReport, source: str | SourceSpec, ctx: SourceContext,
                 prefetch: Sequence[str] = (), step: _Steps | None = None) -> None:
    """Fetch one release: attach its tree to the record, or fail the record with the error
    (``step``: "fetch", then "queued" or "done" with "error")."""
    version = record.tensorflow
    if step:
        step("fetch", record)
    try:
        tree = open_tree(source, version, ctx=ctx)
        record.tree, record.tensorflow = tree, tree.release
        if prefetch:
            tree.prefetch(list(prefetch))
    except AuditError as exc:
        record.fail(exc)
    except OSError as exc:  # disk full, permissions: one line like the others
        record.fail(FetchError(f"{version}: {exc}"))
    except Exception as exc:  # noqa: BLE001 - an internal error must not sink the others
        record.fail(FetchError(f"{version}: cannot open: {type(exc).__name__}: {exc}"))
    if step and record.status == "error":
        step("done", record, "error")
    elif step and record.tree is not None:
        step("queued", record, size=sum(p.size or 0 for p in record.tree.packages))


class _Steps:
    """``steps`` for the releases of one job: a release's index and the job's size added."""

    def __init__(self, steps: StepFn | None, records: Sequence[VersionReport]) -> None:
        self.steps = steps
        self.total = len(records)
        self.index = {id(r): i for i, r in enumerate(records)}

    def __bool__(self) -> bool:
        return self.steps is not None

    def __call__(self, stage: str, record: VersionReport, status: str = "", size: int = 0
                 ) -> None:
        if self.steps is not None:
            self.steps(Step(stage, record.label, self.index.get(id(record), -1), self.total,
                            status, size))


def fetch_and_analyse(
    records: Sequence[VersionReport], source: str | SourceSpec, ctx: SourceContext,
    specs: list[SymbolSpec], dims: Dims, detail: Say | None = None, jobs: int | None = None,
    steps: StepFn | None = None, max_fetchers: int = 4, progress: Say | None = None,
) -> None:
    """``fetch`` then ``analyse``, overlapped when there are worker processes: each release is
    looked up, or handed to a worker, as soon as its tree is open (the others still opening).
    ``progress`` gets a pattern run's milestones."""
    workers = min(jobs or default_jobs(_fetching(source, ctx)), len(records))
    if workers <= 1 or parse_source(str(source)).is_local:
        fetch(records, source, ctx, detail=detail, max_workers=max_fetchers, steps=steps)
        analyse(records, specs, dims, ctx, detail, jobs, steps, progress)
        return
    (detail or _quiet)(f"fetching {len(records)} release(s)")
    start_workers(source, ctx, specs, dims, workers)
    step = _Steps(steps, records)
    with ThreadPoolExecutor(max_workers=max(1, min(max_fetchers, len(records)))) as pool:
        opened = [pool.submit(_open_light, r, source, ctx, step) for r in records]
        _analyse_in_workers(list(records), specs, dims, ctx, detail, workers, step,
                            arrival=dict(zip(map(id, records), opened, strict=True)),
                            progress=progress)


def start_workers(source: str | SourceSpec, ctx: SourceContext, specs: list[SymbolSpec],
                  dims: Dims, workers: int | None = None) -> None:
    """Start the worker processes' server now, without waiting for it (``workers.prepare``:
    it imports the tool, ~0.25 s, while this process asks the index and opens the trees),
    when the releases will be analysed in workers: more than one job (``workers`` None: the
    default), a source that is not local, and no answer to these specs and sizes stored for
    any release of its kind (so every release will be analysed). Called before the releases
    are known (``pipeline.audit``, when the version specs may name several) and again once
    they are (idempotent; the command line may have started it sooner, ``startup.py``)."""
    spec = parse_source(str(source))
    if (workers or default_jobs(_fetching(source, ctx))) <= 1 or spec.is_local:
        return
    if nothing_stored(spec.kind, specs, dims, analysis_cache_dir(ctx)):
        prepare_workers()


def _open_light(record: VersionReport, source: str | SourceSpec, ctx: SourceContext,
                step: _Steps) -> None:
    """``open_release`` in the process that hands the analyses to workers (``_trim``)."""
    open_release(record, source, ctx, (), step)
    _trim(record)


def _trim(record: VersionReport) -> None:
    """Let the release's tree drop what it can load again (its wheels' member tables): the
    process handing analyses to workers holds every release of a run open and reads no file
    of them itself (peak RSS of a cold ``all``: the parent's ~2 MB a release)."""
    trim = getattr(record.tree, "trim", None)
    if trim is not None:
        trim()


def _fetching(source: str | SourceSpec, ctx: SourceContext) -> bool:
    """Whether the analyses will read files over the network (an index source, online): the
    workers then sleep on round trips part of their time (``workers.default_jobs``)."""
    # a release's recorded source may be its kind alone ("wheel"): only the kind decides
    kind = source.kind if isinstance(source, SourceSpec) else str(source).partition(":")[0]
    return not ctx.offline and not SourceSpec(kind.strip().lower()).is_local


def _work_estimate(record: VersionReport) -> float | None:
    """What a release's analysis is expected to cost: the bytes its own read plan says it
    reads (``planned_bytes``); None when nothing is known (no plan yet, no tree). It decides
    the order the releases are handed to workers, never an answer."""
    estimate = getattr(record.tree, "planned_bytes", None)
    if estimate is None:
        return None
    try:
        found = estimate()
    except (AuditError, OSError):  # a part that cannot say: no estimate
        return None
    return float(found) if found is not None else None


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
    detail: Say | None = None, progress: Say | None = None, *, stored_only: bool = False,
) -> bool:
    """Static analysis of one fetched release into its record; a failure stays local. The
    answer stored for a release showing the same files is taken first (nothing analysed); with
    ``stored_only``, only that: False when there is none (the record is left as it was).
    ``detail`` gets a line per symbol; ``progress`` (long runs: patterns) a line when a
    pattern is listed and every ``MILESTONE`` symbols."""
    tree = record.tree
    if tree is None:  # failed before (fetch): nothing to analyse
        if record.status == "ok":
            record.status, record.error = "error", one_line(record.exception)
        return True
    t0 = time.monotonic()
    try:
        found = stored(tree, specs, dims, analysis_cache_dir(ctx), problems=record.warnings)
        if found is None and stored_only:
            return False
        done = found if found is not None else _analyse_tree(
            tree, specs, dims, ctx, _relay(tree.release, specs, detail, progress),
            record.warnings)
        record.symbols, record.namespaces = done.symbols, done.namespaces
    except AuditError as exc:  # a member could not be fetched (offline, network, a bound)
        record.fail(exc)
    except Exception as exc:  # noqa: BLE001 - an internal error must not sink the others
        record.fail(AnalysisError(f"{tree.release}: analysis failed: {type(exc).__name__}: "
                                  f"{exc}"))
    for line in getattr(tree, "problems", []):  # unreadable / undecodable files of the tree
        if line not in record.warnings:
            record.warnings.append(line)
    record.analysis_seconds = time.monotonic() - t0
    record.packages = list(tree.packages)
    stats = tree.refresh_stats() if hasattr(tree, "refresh_stats") else tree.stats
    record.fetch = stats if isinstance(stats, FetchStats) else tree.stats
    record.tensorflow = tree.release
    return True


def _analyse_tree(tree: SourceTree, specs: list[SymbolSpec], dims: Dims, ctx: SourceContext,
                  say: Say, warnings: list[str]) -> Analysis:
    """The analysis proper, between the tree's read plan start and end (the fetch stage reads
    ahead what its family's plan says, and learns the plan from what this analysis reads)."""
    start_plan = getattr(tree, "start_plan", None)  # fetch what its family's plan says
    if start_plan is not None:
        start_plan()
    ok = False
    try:
        results = analyze_tree(tree, specs, dims, cache_dir=analysis_cache_dir(ctx),
                               progress=say, problems=warnings)
        ok = True
        return results
    finally:
        end_plan = getattr(tree, "end_plan", None)  # on success: the family's read plan
        if end_plan is not None:
            end_plan(ok)


def _relay(release: str | None, specs: list[SymbolSpec], detail: Say | None,
           progress: Say | None) -> Say:
    """The analysis's lines for one release: each to ``detail`` as ``release: line``, the
    milestones of a pattern's run (``_milestone``) to ``progress`` too."""
    say = detail or _quiet
    note = progress if progress is not None and any(s.is_pattern for s in specs) else None

    def relay(line: str) -> None:
        say(f"{release}: {line}")
        if note is not None and _milestone(line):
            note(f"{release}: {line}")

    return relay


def _worker_lines(specs: list[SymbolSpec], detail: Say | None, progress: Say | None
                  ) -> Say | None:
    """Where the lines the workers say (``release: line``, see ``_relay``) go here: each to
    ``detail``, a pattern run's milestones to ``progress`` too."""
    note = progress if progress is not None and any(s.is_pattern for s in specs) else None
    if note is None:
        return detail
    say = detail or _quiet

    def lines(line: str) -> None:
        say(line)
        if _milestone(line.partition(": ")[2]):
            note(line)

    return lines


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
    detail: Say | None = None, jobs: int | None = None, steps: StepFn | None = None,
    progress: Say | None = None,
) -> None:
    """Analyse several releases. Each takes first the answer stored for any release showing the
    same files (``analysis/results.py``: a patch release whose files on the resolution path are
    byte-identical to an analysed one's costs no analysis); the others are analysed in ``jobs``
    worker processes (default ``workers.default_jobs()``: the CPUs, at most 4, and one more
    when the files come over the network; 1: in this process). Releases of one series
    (``2.6.*``) go one after the other, oldest first, so each can take its predecessor's
    answer; the series whose read plan says most is left to read go first
    (``_work_estimate``); that order is a schedule, never part of an answer.
    ``steps`` hears each release start ("analyse") and finish ("done"); a release that failed
    to fetch was done then. ``progress`` gets the milestones of long runs (patterns:
    ``analyse_release``)."""
    step = _Steps(steps, records)
    todo = [r for r in records if not _settled(r, specs, dims, ctx, detail, step)]
    workers = min(jobs or default_jobs(bool(todo) and _fetching(todo[0].source, ctx)), len(todo))
    if workers <= 1 or len({r.source for r in todo}) != 1 or parse_source(
            todo[0].source).is_local:
        for r in todo:  # one after the other: each may take what the one before stored
            step("analyse", r)
            try:
                analyse_release(r, specs, dims, ctx, detail, progress)
            finally:
                step("done", r, "ok" if r.status == "ok" else "error")
        return
    _analyse_in_workers(todo, specs, dims, ctx, detail, workers, step, progress=progress)


def _settled(record: VersionReport, specs: list[SymbolSpec], dims: Dims, ctx: SourceContext,
             detail: Say | None, step: _Steps) -> bool:
    """Finished here, without an analysis: failed before, or a stored answer taken."""
    if record.tree is None:
        return analyse_release(record, specs, dims, ctx, detail)  # its error; "done" said
    if not analyse_release(record, specs, dims, ctx, detail, stored_only=True):
        return False
    step("analyse", record)
    step("done", record, "ok" if record.status == "ok" else "error")
    return True


def _analyse_in_workers(
    records: list[VersionReport], specs: list[SymbolSpec], dims: Dims, ctx: SourceContext,
    detail: Say | None, workers: int, step: _Steps,
    arrival: dict[int, Future[None]] | None = None, progress: Say | None = None,
) -> None:
    """The records' analyses in ``workers`` processes, series chained (see ``analyse``); with
    ``arrival`` (record id -> the future of its fetch), a record waits for its tree;
    ``progress`` gets a pattern run's milestones."""
    setting = WorkerSetting(records[0].source, str(ctx.cache.root), ctx.index.index_url,
                            ctx.offline, tuple(specs), dims)

    def task(r: VersionReport) -> tuple[Callable[..., VersionReport], tuple[Any, ...]]:
        step("analyse", r)
        return _analyse_in_worker, (setting, r.requested, r.label)

    def done(r: VersionReport, got: VersionReport) -> None:
        _take_outcome(r, got)
        step("done", r, "ok" if r.status == "ok" else "error")

    def died(r: VersionReport, why: str) -> None:
        r.fail(AnalysisError(f"{r.label}: {why}"))
        step("done", r, "error")

    def settled(r: VersionReport) -> bool:
        try:
            return _settled(r, specs, dims, ctx, detail, step)
        finally:
            _trim(r)

    def cost(r: VersionReport) -> float | None:
        try:
            return _work_estimate(r)
        finally:
            _trim(r)

    how: Chains[VersionReport] = Chains(
        settled=settled, task=task, done=done, died=died,
        arrival=(lambda r: arrival[id(r)]) if arrival is not None else None, cost=cost)
    run_chains(_series_chains(records), how, workers, _worker_lines(specs, detail, progress))


@dataclass(frozen=True)
class WorkerSetting:
    """What a worker needs to open and analyse a release on its own (picklable)."""

    source: str
    cache_dir: str
    index_url: str | None
    offline: bool
    specs: tuple[SymbolSpec, ...]
    dims: Dims


_WORKER_CONTEXTS: dict[tuple[str, str | None, bool], SourceContext] = {}


def _analyse_in_worker(setting: WorkerSetting, requested: str, version: str) -> VersionReport:
    """A worker's task: open one release (its index answers and zip directory are cached by
    the process that asked) and analyse it. Returns the record as plain data: no tree, an
    error that survives pickling."""
    key = (setting.cache_dir, setting.index_url, setting.offline)
    ctx = _WORKER_CONTEXTS.get(key)
    if ctx is None:
        ctx = _WORKER_CONTEXTS[key] = open_context(
            cache_dir=setting.cache_dir, index_url=setting.index_url, offline=setting.offline)
    record = VersionReport(requested, version, parse_source(setting.source).kind)
    fetch([record], setting.source, ctx)
    analyse_release(record, list(setting.specs), setting.dims, ctx, detail=worker_say)
    close = getattr(record.tree, "close", None)
    if close is not None:
        close()
    record.tree = None
    if record.exception is not None:
        record.exception = _portable(record.exception)
    return record


def _portable(exc: AuditError) -> AuditError:
    """``exc``, or an error of the same exit code and message if it does not survive pickling."""
    try:
        back = pickle.loads(pickle.dumps(exc))
        if isinstance(back, AuditError) and str(back) == str(exc):
            return exc
    except Exception:  # noqa: BLE001 - any failure to round-trip: use a plain error
        pass
    plain = UsageError if exc.exit_code == UsageError.exit_code else FetchError
    return plain(str(exc))


def _take_outcome(record: VersionReport, got: VersionReport) -> None:
    """A worker's answer for ``record`` (the fetch counts of both processes added up)."""
    refresh = getattr(record.tree, "refresh_stats", None)
    here = refresh() if refresh is not None else None
    record.symbols, record.namespaces = got.symbols, got.namespaces
    record.warnings = got.warnings
    record.packages, record.analysis_seconds = got.packages, got.analysis_seconds
    record.fetch = _add_stats(here, got.fetch) if isinstance(here, FetchStats) else got.fetch
    record.tensorflow = got.tensorflow or record.tensorflow
    if got.status == "error":
        record.fail(got.exception or AnalysisError(got.error or "unknown error"))


def _add_stats(a: FetchStats, b: FetchStats) -> FetchStats:
    """The counts of both added up; anything else (which plan was replayed) the worker's."""
    out = dataclasses.replace(b)
    for f in dataclasses.fields(FetchStats):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, int | float) and isinstance(y, int | float):
            setattr(out, f.name, x + y)
    return out


def _series_chains(records: Sequence[VersionReport]) -> list[list[VersionReport]]:
    """The records grouped by release series (major.minor), each group oldest first."""
    groups: dict[object, list[VersionReport]] = {}
    for r in records:
        try:
            key: object = Version(r.label).release[:2]
        except InvalidVersion:
            key = r.label
        groups.setdefault(key, []).append(r)
    return [sorted(g, key=lambda r: version_key(r.label)) for g in groups.values()]


def version_key(label: str) -> tuple[int, Version | str]:
    """Releases in version order (a label that is no version first)."""
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
