"""The service layer and the Python API: resolve -> fetch -> analyse -> verify -> report.

One record per requested release flows through the stages: a ``VersionReport``
(``report/model.py``). ``resolve`` creates it from a version spec (requested spec, concrete
release, source kind), ``fetch`` attaches the release's source tree or fails it with the error
that stopped it, ``analyse`` fills its symbols, packages and fetch statistics, and the finished
records are the ``versions`` of the ``Report``. A release that fails stays in the report with
status "error"; the others go on. The stages live in ``stages.py`` (re-exported here).

The jobs ``audit``, ``explain``, ``diff``, ``verify``, ``port`` and ``scan`` are the public
Python API (re-exported by ``tfinit_audit``) and exactly what the ``tfinit-audit`` commands run:
the CLI only parses arguments, calls them and prints. Progress is reported through plain callables:

- ``progress(line)``: one line per stage ("analysing 3 release(s), 16 symbol(s)");
- ``detail(line)``: finer, frequent lines (the release being fetched, each symbol analysed);
- ``download(what, done, total)``: bytes of a whole-wheel download (the fallback path);
- ``steps(Step)``: each release entering a stage and finishing (``Step``: stage, release,
  index, total, status), for counts and an estimate of the time left.

Options have the CLI's defaults (``defaults.py``); ``cache_dir=None`` and ``index_url=None`` mean
``$TFINIT_AUDIT_CACHE`` / the user cache dir and ``$PIP_INDEX_URL`` / PyPI, as for the CLI.
"""

from __future__ import annotations

import os
import shlex
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tfinit_audit import defaults
from tfinit_audit.analysis import arguments as argtable
from tfinit_audit.analysis.audit import analyze
from tfinit_audit.analysis.model import Dims, SymbolResult
from tfinit_audit.analysis.symbols import SymbolSpec
from tfinit_audit.errors import FetchError, ReleaseError, UsageError
from tfinit_audit.live.model import LiveRun
from tfinit_audit.port.model import TARGETS, Port, port_targets, target_name
from tfinit_audit.report import fmt
from tfinit_audit.report.diff import Change
from tfinit_audit.report.model import Report, VersionReport, diff_versions
from tfinit_audit.sources import (
    SourceContext,
    parse_source,
)
from tfinit_audit.sources.wheel import ProgressFn
from tfinit_audit.stages import (
    PathLike,
    Say,
    Step,
    StepFn,
    _as_list,
    _count,
    _quiet,
    analyse,
    analyse_release,
    analysis_cache_dir,
    build_report,
    current_python_has_tensorflow,
    default_pythons,
    fetch,
    fetch_and_analyse,
    make_dims,
    open_context,
    open_releases,
    raise_if_all_failed_on_input,
    resolve,
    start_workers,
    symbol_specs,
    verify_python,
    verify_pythons,
)
from tfinit_audit.startup import may_name_several
from tfinit_audit.typos import UnknownSymbol, raise_if_nothing_known, unknown_symbols

if TYPE_CHECKING:
    from rich.console import Console

    from tfinit_audit.usercode.catalog import Catalog
    from tfinit_audit.usercode.compare import AnalyseFn
    from tfinit_audit.usercode.model import ScanResult

# --------------------------------------------------------------------------------------------
# Results of explain and diff
# --------------------------------------------------------------------------------------------
@dataclass
class Explanation:
    """What ``explain`` returns: one symbol in one release, and its printed form."""

    release: VersionReport  # the release record; its only symbol is ``symbol``
    dims: Dims = field(default_factory=Dims)  # the sizes the shapes were computed for
    ports: tuple[str, ...] = TARGETS  # the port snippets the text shows

    @property
    def symbol(self) -> SymbolResult:
        """The answer: weights, initializers, provenance hop by hop, facts."""
        return self.release.symbols[0]

    @property
    def text(self) -> str:
        """The lines ``tfinit-audit explain`` prints (without colours)."""
        from tfinit_audit.report.explain import render_explain

        return _render_text(lambda console: render_explain(self.release, console,
                                                           dims=self.dims, ports=self.ports))

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
    steps: StepFn | None = None,
    command: str = "",
    jobs: int | None = None,
) -> Report:
    """Audit each release: which initializer every weight of each symbol really gets.

    ``versions`` are specs as on the command line (``"1.8"``, ``"1.8.0"``, ``"2.x"``,
    ``"latest"``, ``"all"``, ``"installed[:PYTHON]"``); optional for a local ``source``
    (``"dir:PATH"``, ``"wheel:PATH"``, ``"installed[:PYTHON]"``). ``symbols`` default to the
    built-in set. No live check runs unless asked: ``live=True`` verifies the TensorFlow of this
    interpreter, ``python=`` (one path or several) those interpreters'. ``jobs``: worker
    processes analysing releases side by side (default: the CPUs, at most 4, one more when
    the files come over the network; 1: all in this
    process); a release showing the same files as one analysed before takes its stored answer.

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
    asked = _as_list(versions)
    if may_name_several(asked):  # the workers' server starts while the index answers
        start_workers(source, ctx, specs, sizes, jobs)
    if steps:
        steps(Step("resolve", "", -1, 0))
    records = resolve(parse_source(source), asked or None, ctx)
    say(f"releases: {fmt.releases_line(records, fmt.RELEASES_LISTED)}")
    say(f"analysing {len(records)} release(s), {_count(specs)}")
    fetch_and_analyse(records, source, ctx, specs, sizes, detail, jobs, steps, progress=say)
    raise_if_all_failed_on_input(records)
    unknown = unknown_symbols(records, specs, ctx) if symbols else []
    raise_if_nothing_known(unknown, specs, records)
    runs: list[LiveRun] = []
    checkable = [s for s in specs if s not in {u.spec for u in unknown}]
    if pythons:
        say(f"verifying against {len(pythons)} interpreter(s)")
        if steps:
            steps(Step("verify", ", ".join(pythons), -1, len(records)))
        _, runs = verify_pythons(pythons, checkable, sizes, ctx, timeout, detail, probe_plugins,
                                 progress=say)
    report = build_report(records, runs, sizes, command)
    report.unknown_symbols = [u.line for u in unknown]
    return report


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
    ports: str | Sequence[str] | None = "all",
    progress: Say | None = None,
    detail: Say | None = None,
    download: ProgressFn | None = None,
) -> Explanation:
    """One symbol (``"tf.keras.layers.LSTM"``, ``"tf.nn.rnn_cell.LSTMCell[num_proj=16]"``) in one
    release: each weight, its initializer with the numbers for the shape, the provenance
    chain, and the port snippets of ``ports`` (``"all"``, ``"none"``, or target names such as
    ``["pytorch", "jax"]``). ``version`` is one spec (optional with a local ``source``).

    Raises ``UsageError`` on bad input (also when ``version`` names more than one release) and
    ``ReleaseError`` (a ``FetchError``) when that release cannot be fetched or analysed.
    """
    (spec,) = symbol_specs([symbol])
    if spec.is_pattern:
        raise UsageError(f"explain takes one symbol, not the pattern {spec.name!r}: audit a "
                         f"pattern with --symbols '{spec.name}'")
    sizes = make_dims(units, input_dim, dims)
    shown = port_targets(ports)
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
    raise_if_nothing_known(unknown_symbols(records, [spec], ctx), [spec], records)
    return Explanation(record, sizes, shown)


def port(
    symbol: str | SymbolSpec,
    version: str | None = None,
    *,
    to: str,
    convert: bool = False,
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
) -> Port:
    """A runnable Python module that reproduces ``symbol``'s initialization in one release for
    the target ``to``: ``"pytorch"``, ``"jax"`` (Flax linen), ``"keras"`` or ``"numpy"``.

    The module's ``build(seed)`` returns the initialized target object (a ``torch.nn.Module``, a
    Flax variables dict, a Keras layer, or NumPy arrays under TF's names), each weight drawn with
    TF's distribution for TF's shape and laid out for the target (gate order, transposes, the
    runtime forget bias folded in where the target has no place for it). ``convert=True`` adds
    ``convert(arrays)``: a TF checkpoint's arrays (TF's names) onto the target. A TF 1.x name
    absent from a 2.x release is looked up as its ``tf.compat.v1`` twin.

    Returns a ``Port`` (``.code``, ``.builds``, ``.equivalent``: False when the target has no
    equivalent module and the code is the TF-layout recipe, ``.notes``, ``.load()``). Raises
    ``UsageError`` on bad input, ``PortError`` (a ``UsageError``) when the symbol has nothing to
    port (absent, unresolved, no concrete shape) and ``ReleaseError`` when the release cannot
    be fetched or analysed.
    """
    target = target_name(to)
    (spec,) = symbol_specs([symbol])
    spec = _with_compat_twin(spec)
    if not version and not parse_source(source).is_local:
        raise UsageError("port needs the release: --version SPEC, e.g. --version 1.8")
    result = explain(spec, version, source=source, index_url=index_url, cache_dir=cache_dir,
                     offline=offline, units=units, input_dim=input_dim, dims=dims, ports=None,
                     progress=progress, detail=detail, download=download)
    if not command:
        command = " ".join(["tfinit-audit port", shlex.quote(spec.display()),
                            *(["--version", version] if version else []), "--to", target,
                            *(["--convert"] if convert else []),
                            *([f"--units {units}"] if units != defaults.UNITS else []),
                            *([f"--input-dim {input_dim}"] if input_dim != defaults.INPUT_DIM
                              else []),
                            *(f"--dim {k}={argtable.plain(v)!r}"
                              for k, v in result.dims.given.items())])
    from tfinit_audit.port.generate import generate

    out = generate(result.symbol, target, result.dims, result.release.label, convert=convert,
                   command=command)
    out.release = result.release
    return out


def _with_compat_twin(spec: SymbolSpec) -> SymbolSpec:
    """A TF 1.x name (``tf.nn.rnn_cell.LSTMCell``) also tries its ``tf.compat.v1`` twin, as the
    default symbol set does; Keras and compat names stay as they are."""
    parts = spec.name.split(".")
    if spec.alternatives or parts[0] != "tf" or parts[1] in ("compat", "keras"):
        return spec
    twin = "tf.compat.v1." + ".".join(parts[1:])
    return SymbolSpec(spec.name, spec.args, (twin,), spec.kind_hint)


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
    steps: StepFn | None = None,
    command: str = "",
    jobs: int | None = None,
) -> Diff:
    """What changed between consecutive releases: ``diff("1.8", "2.15")`` (or one list of specs),
    oldest first. Initializers, shapes, weights, runtime adjustments, porting facts, the defining
    file and the provenance chain.

    ``jobs`` as for ``audit``. Returns a ``Diff``: ``changes`` (``report.diff.Change`` each)
    and the ``report`` of the releases; a release that cannot be fetched is an entry with
    status "error" and is skipped.
    Raises ``UsageError`` on bad input (fewer than two releases, unknown version, bad symbol).
    """
    wanted = [v for spec in versions for v in _as_list(spec)]
    if len(wanted) < 2:
        raise UsageError("diff needs at least two releases, e.g. tfinit-audit diff 1.8 2.15")
    specs, sizes = symbol_specs(symbols), make_dims(units, input_dim, dims)
    ctx = open_context(cache_dir=cache_dir, index_url=index_url, offline=offline,
                       download=download)
    if steps:
        steps(Step("resolve", "", -1, 0))
    records = resolve(parse_source(source), wanted, ctx)
    (progress or _quiet)(f"analysing {len(records)} release(s), {_count(specs)}")
    fetch_and_analyse(records, source, ctx, specs, sizes, detail, jobs, steps,
                      progress=progress)
    unknown = unknown_symbols(records, specs, ctx) if symbols else []
    raise_if_nothing_known(unknown, specs, records)
    report = build_report(records, [], sizes, command)
    report.unknown_symbols = [u.line for u in unknown]
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
                                   skip_absent=bool(symbols), progress=progress)
    unknown = unknown_symbols(statics, specs, ctx) if symbols else []
    raise_if_nothing_known(unknown, specs, statics)
    report = build_report(statics, runs, sizes, command)
    report.unknown_symbols = [u.line for u in unknown]
    return report


def scan(
    paths: PathLike | Sequence[PathLike],
    *,
    from_version: str,
    to_version: str,
    pin: str | None = None,
    write: bool = False,
    source: str = defaults.SOURCE,
    index_url: str | None = None,
    cache_dir: PathLike | None = None,
    offline: bool = False,
    units: int = defaults.UNITS,
    input_dim: int = defaults.INPUT_DIM,
    progress: Say | None = None,
    detail: Say | None = None,
    download: ProgressFn | None = None,
    command: str = "",
) -> ScanResult:
    """Your code: every TF/Keras layer, cell or variable-creating call in ``paths`` (files or
    directories of ``.py`` and ``.ipynb``), and per call what its defaults become from release
    ``from_version`` to ``to_version`` (each a version spec).

    Only what the call leaves to a default counts. With ``pin`` (one of the two releases) the
    arguments that keep that release's behaviour are worked out and applied as a patch:
    ``ScanResult.pinned`` has each file's unified diff; the files are rewritten only when
    ``write`` is true. Returns a ``ScanResult`` (``.sites``, ``.to_json_dict()`` as ``scan
    --format json``, ``.report`` the releases' ``Report`` with ``.usercode`` set, for the HTML
    report). Raises ``UsageError`` on bad input (no such path, unknown release, ``pin`` not one
    of the two) and ``FetchError`` when a release cannot be fetched or analysed.
    """
    # imported here: libcst and the rest of usercode are needed by scan only
    from tfinit_audit.usercode.codemod import apply_pins
    from tfinit_audit.usercode.compare import Comparison
    from tfinit_audit.usercode.files import collect
    from tfinit_audit.usercode.model import ScanResult
    from tfinit_audit.usercode.scan import find_calls

    t0 = time.monotonic()
    say = progress or _quiet
    dims = make_dims(units, input_dim)
    if parse_source(source).is_local:
        raise UsageError(f"scan compares two releases: --source {source} is one; use pypi or "
                         "github")
    ctx = open_context(cache_dir=cache_dir, index_url=index_url, offline=offline,
                       download=download)
    files = collect([os.fspath(p) for p in _as_paths(paths)])
    records = resolve(parse_source(source), [from_version, to_version], ctx)
    ref = _pin_side(pin, [from_version, to_version], records)
    found = find_calls(files, ctx.cache, say)
    fetch(records, source, ctx, detail=detail)
    for r in records:
        if r.status == "error":
            raise r.exception or FetchError(f"{r.requested}: {r.error}")
    say(f"comparing {len(found.calls)} call(s) in TensorFlow {records[0].label} and "
        f"{records[1].label}")
    comparison = Comparison(_catalogs(records, ctx), [r.label for r in records],
                            _scan_analyser(records, dims, ctx, detail), ref)
    sites = comparison.run(found.calls, {s.path: s for s in found.scans})
    result = ScanResult([os.fspath(p) for p in _as_paths(paths)], records[0].label,
                        records[1].label, sites, found.scans)
    result.skipped = [(s.path, s.error) for s in found.scans if s.error]
    result.unknown = dict(comparison.unknown)
    if pin is not None:
        result.pin_release = records[ref].label
        result.pinned = apply_pins(files, sites, write)
    for i, r in enumerate(records):
        r.symbols = list(comparison.analysed[i].values())
        r.packages = list(r.tree.packages) if r.tree is not None else []
    result.report = build_report(records, [], dims, command)
    result.report.usercode = result
    result.seconds = time.monotonic() - t0
    return result


def _as_paths(paths: PathLike | Sequence[PathLike]) -> list[PathLike]:
    if isinstance(paths, str | os.PathLike):
        return [paths]
    return list(paths)


def _pin_side(pin: str | None, specs: list[str], records: list[VersionReport]) -> int:
    """Which of the two releases ``pin`` names (0 when none is given)."""
    if pin is None:
        return 0
    for i, (spec, rec) in enumerate(zip(specs, records, strict=True)):
        if pin in (spec, rec.tensorflow):
            return i
    raise UsageError(f"--pin {pin}: must name the --from or --to release "
                     f"({specs[0]} or {specs[1]})")


def _catalogs(records: list[VersionReport], ctx: SourceContext) -> list[Catalog]:
    from tfinit_audit.usercode.catalog import Catalog
    from tfinit_audit.usercode.codeversion import code_version

    out = []
    for r in records:
        assert r.tree is not None
        out.append(Catalog(r.tree, ctx.cache, analysis_cache_dir(ctx), code_version()))
    return out


def _scan_analyser(records: list[VersionReport], dims: Dims, ctx: SourceContext,
                   detail: Say | None) -> AnalyseFn:
    from tfinit_audit.usercode.codeversion import code_version
    from tfinit_audit.usercode.results import ResultCache

    """``analyse(release index, specs) -> {spec key: result}``, each answer cached by itself."""
    say = detail or _quiet
    caches = [ResultCache(ctx.cache, r.tree, dims, code_version()) for r in records
              if r.tree is not None]

    def run(i: int, specs: list[SymbolSpec]) -> dict[str, SymbolResult]:
        rec = records[i]
        tree = rec.tree
        assert tree is not None

        def batch(missing: list[SymbolSpec]) -> list[SymbolResult]:
            say(f"{tree.release}: analysing {len(missing)} configuration(s)")
            return analyze(tree, missing, dims, cache_dir=analysis_cache_dir(ctx),
                           progress=lambda s: say(f"{tree.release}: {s}"))

        return caches[i].analyse(specs, batch)

    return run


__all__ = [
    "Diff",
    "Step",
    "Explanation",
    "UnknownSymbol",
    "analyse",
    "analyse_release",
    "analysis_cache_dir",
    "audit",
    "build_report",
    "current_python_has_tensorflow",
    "default_pythons",
    "diff",
    "explain",
    "fetch",
    "fetch_and_analyse",
    "make_dims",
    "open_context",
    "open_releases",
    "port",
    "raise_if_all_failed_on_input",
    "raise_if_nothing_known",
    "resolve",
    "scan",
    "symbol_specs",
    "unknown_symbols",
    "verify",
    "verify_python",
    "verify_pythons",
]
