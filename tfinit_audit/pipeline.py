"""The service layer and the Python API: resolve -> fetch -> analyse -> verify -> report.

One record per requested release flows through the stages: a ``VersionReport``
(``report/model.py``). ``resolve`` creates it from a version spec (requested spec, concrete
release, source kind), ``fetch`` attaches the release's source tree or fails it with the error
that stopped it, ``analyse`` fills its symbols, packages and fetch statistics, and the finished
records are the ``versions`` of the ``Report``. A release that fails stays in the report with
status "error"; the others go on.

The four jobs ``audit``, ``explain``, ``diff`` and ``verify`` are the public Python API
(re-exported by ``tfinit_audit``) and exactly what the ``tfinit-audit`` commands run: the CLI only
parses arguments, calls them and prints. Progress is reported through plain callables:

- ``progress(line)``: one line per stage ("analysing 3 release(s), 16 symbol(s)");
- ``detail(line)``: finer, frequent lines (the release being fetched, each symbol analysed);
- ``download(what, done, total)``: bytes of a whole-wheel download (the fallback path).

Options have the CLI's defaults (``defaults.py``); ``cache_dir=None`` and ``index_url=None`` mean
``$TFINIT_AUDIT_CACHE`` / the user cache dir and ``$PIP_INDEX_URL`` / PyPI, as for the CLI.
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

from tfinit_audit import defaults
from tfinit_audit._version import __version__
from tfinit_audit.analysis import arguments as argtable
from tfinit_audit.analysis.audit import analyze_release as analyze_tree
from tfinit_audit.analysis.model import Dims, SymbolResult
from tfinit_audit.analysis.symbols import DEFAULT_SYMBOLS, SymbolSpec, parse_symbol
from tfinit_audit.errors import AuditError, FetchError, ReleaseError, UsageError, one_line
from tfinit_audit.live.model import LiveRun
from tfinit_audit.report.diff import Change
from tfinit_audit.report.model import Report, VersionReport, diff_versions
from tfinit_audit.sources import (
    SourceContext,
    SourceSpec,
    open_tree,
    parse_source,
    resolve_versions,
)
from tfinit_audit.sources.base import FetchStats
from tfinit_audit.sources.wheel import ProgressFn

if TYPE_CHECKING:
    from rich.console import Console

Say = Callable[[str], None]
PathLike = str | os.PathLike[str]


def _quiet(_: str) -> None:
    return None


# --------------------------------------------------------------------------------------------
# Results of explain and diff
# --------------------------------------------------------------------------------------------
@dataclass
class Explanation:
    """What ``explain`` returns: one symbol in one release, and its printed form."""

    release: VersionReport  # the release record; its only symbol is ``symbol``

    @property
    def symbol(self) -> SymbolResult:
        """The answer: weights, initializers, provenance hop by hop, facts."""
        return self.release.symbols[0]

    @property
    def text(self) -> str:
        """The lines ``tfinit-audit explain`` prints (without colours)."""
        from tfinit_audit.report.explain import render_explain

        return _render_text(lambda console: render_explain(self.release, console))

    def __str__(self) -> str:
        return self.text


@dataclass
class Diff:
    """What ``diff`` returns: the changes between consecutive releases, and the report of the
    releases compared (failed releases are entries with status "error" and are skipped)."""

    report: Report
    changes: list[Change]

    @property
    def text(self) -> str:
        """The lines ``tfinit-audit diff`` prints (without colours, not wrapped)."""
        from tfinit_audit.report.terminal import render_diff_terminal

        return _render_text(lambda console: render_diff_terminal(self.changes, console))

    def __str__(self) -> str:
        return self.text


def _render_text(render: Callable[[Console], None]) -> str:
    """What ``render`` prints on a console without colours or wrapping."""
    import io

    from rich.console import Console

    buf = io.StringIO()
    render(Console(file=buf, soft_wrap=True, color_system=None, highlight=False))
    return buf.getvalue()


# --------------------------------------------------------------------------------------------
# The public jobs
# --------------------------------------------------------------------------------------------
def audit(
    versions: str | Sequence[str] | None = None,
    *,
    symbols: Sequence[str | SymbolSpec] | None = None,
    source: str = defaults.SOURCE,
    index_url: str | None = None,
    cache_dir: PathLike | None = None,
    offline: bool = False,
    units: int = defaults.UNITS,
    input_dim: int = defaults.INPUT_DIM,
    dims: Mapping[str, Any] | Sequence[str] | None = None,
    live: bool = False,
    python: str | Sequence[str] | None = None,
    timeout: float = defaults.PROBE_TIMEOUT,
    probe_plugins: Sequence[PathLike] = (),
    progress: Say | None = None,
    detail: Say | None = None,
    download: ProgressFn | None = None,
    command: str = "",
) -> Report:
    """Audit each release: which initializer every weight of each symbol really gets.

    ``versions`` are specs as on the command line (``"1.8"``, ``"1.8.0"``, ``"2.x"``,
    ``"latest"``, ``"all"``, ``"installed[:PYTHON]"``); optional for a local ``source``
    (``"dir:PATH"``, ``"wheel:PATH"``, ``"installed[:PYTHON]"``). ``symbols`` default to the
    built-in set. No live check runs unless asked: ``live=True`` verifies the TensorFlow of this
    interpreter, ``python=`` (one path or several) those interpreters'.

    Returns the ``Report`` the CLI renders (``report.to_json_dict()`` is report.json). A release
    that cannot be fetched is an entry with status "error". Raises ``UsageError`` on bad input
    (unknown version, bad symbol or source), also when *every* release failed on bad input (the
    CLI exits 2 with no report), and ``FetchError`` when the package index cannot be read; both
    are ``AuditError``.
    """
    specs, sizes = symbol_specs(symbols), make_dims(units, input_dim, dims)
    pythons = _as_list(python) or ([sys.executable] if live else [])
    say = progress or _quiet
    ctx = open_context(cache_dir=cache_dir, index_url=index_url, offline=offline,
                       download=download)
    records = resolve(parse_source(source), _as_list(versions) or None, ctx)
    fetch(records, source, ctx, detail=detail)
    raise_if_all_failed_on_input(records)
    say(f"analysing {len(records)} release(s), {_count(specs)}")
    analyse(records, specs, sizes, ctx, detail, progress=say)
    runs: list[LiveRun] = []
    if pythons:
        say(f"verifying against {len(pythons)} interpreter(s)")
        _, runs = verify_pythons(pythons, specs, sizes, ctx, timeout, detail, probe_plugins,
                                 progress=say)
    return build_report(records, runs, sizes, command)


def explain(
    symbol: str | SymbolSpec,
    version: str | None = None,
    *,
    source: str = defaults.SOURCE,
    index_url: str | None = None,
    cache_dir: PathLike | None = None,
    offline: bool = False,
    units: int = defaults.UNITS,
    input_dim: int = defaults.INPUT_DIM,
    dims: Mapping[str, Any] | Sequence[str] | None = None,
    progress: Say | None = None,
    detail: Say | None = None,
    download: ProgressFn | None = None,
) -> Explanation:
    """One symbol (``"tf.keras.layers.LSTM"``, ``"tf.nn.rnn_cell.LSTMCell[num_proj=16]"``) in one
    release: each weight, its initializer with the numbers for the shape, and the provenance
    chain. ``version`` is one spec (optional with a local ``source``).

    Raises ``UsageError`` on bad input (also when ``version`` names more than one release) and
    ``ReleaseError`` (a ``FetchError``) when that release cannot be fetched or analysed.
    """
    (spec,) = symbol_specs([symbol])
    if spec.is_pattern:
        raise UsageError(f"explain takes one symbol, not the pattern {spec.name!r}: audit a "
                         f"pattern with --symbols '{spec.name}'")
    sizes = make_dims(units, input_dim, dims)
    if not version and not parse_source(source).is_local:
        raise UsageError("explain needs the release: --version SPEC, e.g. --version 1.8")
    ctx = open_context(cache_dir=cache_dir, index_url=index_url, offline=offline,
                       download=download)
    records = resolve(parse_source(source), [version] if version else None, ctx)
    if len(records) != 1:
        raise UsageError("explain takes exactly one release, e.g. --version 1.8")
    fetch(records, source, ctx, detail=detail)
    raise_if_all_failed_on_input(records)
    (record,) = records
    (progress or _quiet)("analysing 1 release(s), 1 symbol(s)")
    analyse(records, [spec], sizes, ctx, detail)
    if record.status == "error":
        raise ReleaseError(record.requested, record.error or "unknown error")
    return Explanation(record)


def diff(
    *versions: str | Sequence[str],
    symbols: Sequence[str | SymbolSpec] | None = None,
    source: str = defaults.SOURCE,
    index_url: str | None = None,
    cache_dir: PathLike | None = None,
    offline: bool = False,
    units: int = defaults.UNITS,
    input_dim: int = defaults.INPUT_DIM,
    dims: Mapping[str, Any] | Sequence[str] | None = None,
    progress: Say | None = None,
    detail: Say | None = None,
    download: ProgressFn | None = None,
    command: str = "",
) -> Diff:
    """What changed between consecutive releases: ``diff("1.8", "2.15")`` (or one list of specs),
    oldest first. Initializers, shapes, weights, runtime adjustments, porting facts, the defining
    file and the provenance chain.

    Returns a ``Diff``: ``changes`` (``report.diff.Change`` each) and the ``report`` of the
    releases; a release that cannot be fetched is an entry with status "error" and is skipped.
    Raises ``UsageError`` on bad input (fewer than two releases, unknown version, bad symbol).
    """
    wanted = [v for spec in versions for v in _as_list(spec)]
    if len(wanted) < 2:
        raise UsageError("diff needs at least two releases, e.g. tfinit-audit diff 1.8 2.15")
    specs, sizes = symbol_specs(symbols), make_dims(units, input_dim, dims)
    ctx = open_context(cache_dir=cache_dir, index_url=index_url, offline=offline,
                       download=download)
    records = resolve(parse_source(source), wanted, ctx)
    fetch(records, source, ctx, detail=detail)
    (progress or _quiet)(f"analysing {len(records)} release(s), {_count(specs)}")
    analyse(records, specs, sizes, ctx, detail, progress=progress)
    report = build_report(records, [], sizes, command)
    return Diff(report, diff_versions(report))


def verify(
    python: str | Sequence[str] | None = None,
    *,
    symbols: Sequence[str | SymbolSpec] | None = None,
    cache_dir: PathLike | None = None,
    units: int = defaults.UNITS,
    input_dim: int = defaults.INPUT_DIM,
    dims: Mapping[str, Any] | Sequence[str] | None = None,
    timeout: float = defaults.PROBE_TIMEOUT,
    probe_plugins: Sequence[PathLike] = (),
    progress: Say | None = None,
    detail: Say | None = None,
    command: str = "",
) -> Report:
    """Check the installed TensorFlow of each interpreter (default: this one), weight by weight.

    For each ``python``: audit the release installed there from its own files (no network),
    then build every symbol in that interpreter (a subprocess, ``timeout`` seconds) and compare.
    Returns a ``Report`` whose ``versions`` are the static audits and ``live`` the runs (a run
    that could not happen carries its ``error``). ``probe_plugins`` are Python files the probe
    runs after importing TensorFlow. Raises ``UsageError`` on bad input (bad symbol, missing
    interpreter or plug-in).
    """
    specs, sizes = symbol_specs(symbols), make_dims(units, input_dim, dims)
    pythons = _as_list(python) or [sys.executable]
    ctx = open_context(cache_dir=cache_dir)
    (progress or _quiet)(f"verifying against {len(pythons)} interpreter(s)")
    statics, runs = verify_pythons(pythons, specs, sizes, ctx, timeout, detail, probe_plugins,
                                   progress=progress)
    return build_report(statics, runs, sizes, command)


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
) -> None:
    """Open every release's tree concurrently (and read ``prefetch`` paths ahead); one failing
    never loses the others: it is failed with its error instead."""
    (detail or _quiet)(f"fetching {len(records)} release(s)")

    def one(record: VersionReport) -> None:
        version = record.tensorflow
        try:
            tree = open_tree(source, version, ctx=ctx)
            record.tree, record.tensorflow = tree, tree.release
            if prefetch:
                tree.prefetch(list(prefetch))
        except AuditError as exc:
            record.fail(exc)
        except OSError as exc:  # disk full, permissions: one line like the others
            record.fail(FetchError(f"{version}: {exc}"))

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
    try:
        done = analyze_tree(tree, specs, dims, cache_dir=analysis_cache_dir(ctx),
                            progress=relay)
        record.symbols, record.namespaces = done.symbols, done.namespaces
    except AuditError as exc:  # e.g. a member could not be fetched (offline, network)
        record.fail(exc)
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
    detail: Say | None = None, progress: Say | None = None,
) -> None:
    """Analyse several releases at once (their lazy fetches overlap)."""
    if len(records) <= 1:
        for r in records:
            analyse_release(r, specs, dims, ctx, detail, progress)
        return
    with ThreadPoolExecutor(max_workers=min(4, len(records))) as pool:
        list(pool.map(lambda r: analyse_release(r, specs, dims, ctx, detail, progress),
                      records))


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
    plugins: Sequence[str] = (), progress: Say | None = None,
) -> tuple[VersionReport | None, LiveRun]:
    """Audit the release installed for ``python`` from its own files, then probe it live."""
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
    say(f"{python}: probing tensorflow {info.tensorflow} live")
    run = verify_interpreter(python, record.symbols, dims, timeout, plugins=plugins,
                             progress=(lambda line: say(f"{python}: {line}")))
    return record, run


def verify_pythons(
    pythons: Sequence[str], specs: list[SymbolSpec], dims: Dims, ctx: SourceContext,
    timeout: float = defaults.PROBE_TIMEOUT, detail: Say | None = None,
    probe_plugins: Sequence[PathLike] = (), progress: Say | None = None,
) -> tuple[list[VersionReport], list[LiveRun]]:
    """Static audit + live probe of each interpreter's installed release, in order."""
    plugins = _probe_plugins(probe_plugins)
    statics: list[VersionReport] = []
    runs: list[LiveRun] = []
    for py in (_absolute_python(p) for p in pythons):
        static, run = verify_python(py, specs, dims, ctx, timeout, detail, plugins, progress)
        if static is not None:
            static.requested = f"installed:{py}" if len(pythons) > 1 else "installed"
            statics.append(static)
        runs.append(run)
    return statics, runs


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
    return Report(
        tool_name="tfinit-audit", tool_version=__version__, dims=dims, versions=versions,
        live=live, command=command,
        generated_at=_dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat().replace(
            "+00:00", "Z"),
    )


__all__ = [
    "Diff",
    "Explanation",
    "analyse",
    "audit",
    "build_report",
    "default_pythons",
    "diff",
    "explain",
    "fetch",
    "open_releases",
    "resolve",
    "verify",
    "verify_pythons",
]
