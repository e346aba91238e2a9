"""Command line: ``tfinit-audit`` (main job), ``tfinit-audit fetch``, ``tfinit-audit cache``.

Exit codes: 0 ok, 1 findings the user asked to fail on, 2 usage/input error, 3 fetch/network
error, 130 interrupted. Errors are one line on stderr; ``--debug`` adds the traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from tfinit_audit import __version__
from tfinit_audit.errors import (
    EXIT_FETCH,
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_USAGE,
    AuditError,
    UsageError,
)

EXIT_INTERRUPTED = 130
PROG = "tfinit-audit"

MAIN_EPILOG = """\
The main job audits each release, verifies the TensorFlow installed for this interpreter (or
each --python) live, prints a summary table and writes reports/index.html, report.json and
report.md.

examples:
  tfinit-audit --versions 1.8 1.10 2.15
  tfinit-audit --versions 1.8 2.15 --out site/ --format html,json
  tfinit-audit --versions 1.8 --symbols 'tf.nn.rnn_cell.LSTMCell[use_peepholes=True,num_proj=16]'
  tfinit-audit --source dir:/tmp/src/1.8.0 --symbols tf.nn.rnn_cell.LSTMCell
  tfinit-audit --source installed:/opt/tf/bin/python --units 128 --input-dim 64
  tfinit-audit explain tf.nn.rnn_cell.LSTMCell --version 1.8
  tfinit-audit diff 1.8 2.15
  tfinit-audit verify --python ~/venvs/tf215/bin/python --fail-on-mismatch
  tfinit-audit fetch --versions 2.15 --list keras/src/layers/rnn
  tfinit-audit cache info

exit codes: 0 ok, 1 findings you asked to fail on, 2 usage/input error,
            3 fetch/network error, 130 interrupted
"""


# --------------------------------------------------------------------------------------------
# Options
# --------------------------------------------------------------------------------------------
# Defaults of the options every command may carry. Subcommand parsers SUPPRESS them (so a value
# given before the subcommand name is not overwritten by the subparser); main() fills in what
# is still missing from this same table.
DEFAULTS: dict[str, Any] = {
    "source": "pypi", "index_url": None, "cache_dir": None, "offline": False, "debug": False,
    "versions": None, "symbols": None, "units": 64, "input_dim": 32, "out": "reports",
    "format": "html,json,md", "no_live": False, "pythons": None, "fail_on_mismatch": False,
    "probe_plugins": None, "timeout": 300.0,
}


def _default(sub: bool, dest: str) -> Any:
    return argparse.SUPPRESS if sub else DEFAULTS[dest]


def _add_common(p: argparse.ArgumentParser, *, sub: bool) -> None:
    """Options every command takes; in subcommands defaults are SUPPRESSed so a value given
    before the subcommand name is not overwritten by the subparser's default."""
    g = p.add_argument_group("source options")
    g.add_argument(
        "--source", default=_default(sub, "source"), metavar="SOURCE",
        help="where release files come from: pypi (wheels on the package index, default), "
        "github (release tag v<version>), dir:PATH (unpacked site-packages or checkout), "
        "wheel:PATH (a local wheel), installed[:PYTHON] (TensorFlow installed for this or "
        "that interpreter). Example: --source dir:/tmp/src/1.8.0",
    )
    g.add_argument(
        "--index-url", default=_default(sub, "index_url"), metavar="URL",
        help="package index (PEP 691 JSON or PEP 503 HTML simple API); default $PIP_INDEX_URL "
        "or https://pypi.org/simple/. Example: --index-url https://mirror.example/simple/",
    )
    g.add_argument(
        "--cache-dir", default=_default(sub, "cache_dir"), metavar="DIR",
        help="on-disk cache of fetched files; default $TFINIT_AUDIT_CACHE or the user cache "
        "dir. Example: --cache-dir /tmp/tfa-cache",
    )
    g.add_argument(
        "--offline", action="store_true", default=_default(sub, "offline"),
        help="use only the cache, no network; names what is missing. Example: --offline",
    )
    g.add_argument(
        "--debug", action="store_true", default=_default(sub, "debug"),
        help="show the traceback of an error. Example: --debug",
    )


def _add_versions(p: argparse.ArgumentParser, *, sub: bool) -> None:
    p.add_argument(
        "--versions", nargs="+", metavar="SPEC",
        default=_default(sub, "versions"),
        help="TensorFlow releases: 1.8 (newest 1.8.*), 1.8.0 (exact), 2 or 2.x (newest 2.*), "
        "latest, all, installed[:PYTHON]; pre-releases only when named exactly. Optional for "
        "local sources (checked against the tree). Example: --versions 1.8 1.10 2.15",
    )


def _add_audit(p: argparse.ArgumentParser, *, sub: bool) -> None:
    """What to audit and where the reports go (main job and verify)."""
    g = p.add_argument_group("audit options")
    g.add_argument(
        "--symbols", nargs="+", metavar="SYMBOL", default=_default(sub, "symbols"),
        help="public layer names to audit, with optional constructor args; default: the built-in "
        "set (TF1 cells, tf.layers.Dense, get_variable, Keras layers). "
        "Example: --symbols tf.keras.layers.LSTM 'tf.nn.rnn_cell.LSTMCell[num_proj=16]'",
    )
    g.add_argument(
        "--units", type=_positive_int, default=_default(sub, "units"), metavar="N",
        help="units for the concrete shapes and bounds (default 64). Example: --units 128",
    )
    g.add_argument(
        "--input-dim", type=_positive_int, default=_default(sub, "input_dim"), metavar="N",
        help="input feature size for the concrete shapes (default 32). Example: --input-dim 16",
    )
    g.add_argument(
        "--out", default=_default(sub, "out"), metavar="DIR",
        help="directory for index.html, report.json and report.md (default: reports). "
        "Example: --out site/",
    )
    g.add_argument(
        "--format", default=_default(sub, "format"), metavar="FMT[,FMT]",
        help="report files to write, comma-separated from html, json, md (default all three; "
        "'none' writes nothing). The terminal summary is always printed. "
        "Example: --format html,json",
    )


def _add_live(p: argparse.ArgumentParser, *, sub: bool, verify_only: bool) -> None:
    g = p.add_argument_group("live verification")
    if not verify_only:
        g.add_argument(
            "--no-live", action="store_true", default=_default(sub, "no_live"),
            help="skip the check against installed TensorFlow (by default the main job verifies "
            "the TF of this interpreter, or of each --python, when there is one). "
            "Example: --no-live",
        )
    g.add_argument(
        "--python", action="append", dest="pythons", metavar="PYTHON",
        default=_default(sub, "pythons"),
        help="interpreter whose installed TensorFlow to verify; repeat for several (default: "
        "this interpreter). Example: --python ~/venvs/tf215/bin/python",
    )
    g.add_argument(
        "--fail-on-mismatch", action="store_true", default=_default(sub, "fail_on_mismatch"),
        help="exit 1 when any weight disagrees with the static answer (for CI). "
        "Example: --fail-on-mismatch",
    )
    g.add_argument(
        "--probe-plugin", action="append", dest="probe_plugins", metavar="FILE",
        default=_default(sub, "probe_plugins"),
        help="Python file the probe runs right after importing TensorFlow, in the target "
        "interpreter (e.g. to register custom layers, or to check that the checker catches a "
        "changed initializer); repeatable. Example: --probe-plugin my_layers.py",
    )
    g.add_argument(
        "--timeout", type=float, default=_default(sub, "timeout"), metavar="SECONDS",
        help="time limit for each interpreter's probe (default 300). Example: --timeout 120",
    )


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a usage error in one line (exit 2), pointing at --help."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog=PROG,
        description="What initializer does each weight of a TensorFlow/Keras layer really get "
        "when you pass none - per release, with file:line evidence, checked against live "
        "TensorFlow.",
        epilog=MAIN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version", action="version", version=f"{PROG} {__version__}",
        help="print the tool's version and exit. Example: tfinit-audit --version",
    )
    _add_versions(parser, sub=False)
    _add_common(parser, sub=False)
    _add_audit(parser, sub=False)
    _add_live(parser, sub=False, verify_only=False)

    subs = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
    fetch = subs.add_parser(
        "fetch",
        help="show what the fetcher sees of a release (list paths, print a file)",
        description="Open release trees the way the audit does and list or print their files. "
        "Only the members asked for are fetched (HTTP Range) and cached.",
        epilog="examples:\n"
        "  tfinit-audit fetch --versions 2.15 --list keras/src/layers/rnn\n"
        "  tfinit-audit fetch --versions 1.8 --show tensorflow/python/ops/rnn_cell_impl.py\n"
        "  tfinit-audit fetch --versions 1.8 1.10 2.15        # open, print packages + stats\n"
        "  tfinit-audit fetch --source wheel:./tensorflow-1.8.0-cp36-cp36m-manylinux1_x86_64.whl"
        " --list tensorflow/python/ops",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_versions(fetch, sub=True)
    fetch.add_argument(
        "--list", dest="list_prefix", metavar="PREFIX", default=None,
        help="print every file path below directory PREFIX (import path; '' for all). "
        "Example: --list keras/src/layers/rnn",
    )
    fetch.add_argument(
        "--show", metavar="PATH", default=None,
        help="print the text of the file at import path PATH. "
        "Example: --show tensorflow/python/ops/init_ops.py",
    )
    _add_common(fetch, sub=True)

    verify = subs.add_parser(
        "verify",
        help="check the static answers against installed TensorFlow, weight by weight",
        description="For each interpreter: audit the TensorFlow release installed there from its "
        "own files (no network), then build every symbol in that interpreter (a subprocess with "
        "a timeout) and compare each weight with the static answer: exact values for "
        "zeros/ones/constant/composite, bounds + moments + a Kolmogorov-Smirnov test for random "
        "initializers, orthonormality for orthogonal ones, and the defining file.",
        epilog="examples:\n"
        "  tfinit-audit verify                                  # the TF of this interpreter\n"
        "  tfinit-audit verify --python ~/venvs/tf215/bin/python "
        "--python ~/venvs/tf221/bin/python\n"
        "  tfinit-audit verify --fail-on-mismatch               # exit 1 on any disagreement\n"
        "  tfinit-audit verify --symbols tf.keras.layers.LSTM --out reports/verify",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_audit(verify, sub=True)
    _add_live(verify, sub=True, verify_only=True)
    _add_common(verify, sub=True)

    explain = subs.add_parser(
        "explain",
        help="explain one symbol in one release: weights, initializers, provenance hop by hop",
        description="Print, for each weight of SYMBOL in one release: name, shape, canonical "
        "initializer with parameters and the numeric limit/stddev for that shape, whether it "
        "came from a None-fallback, the provenance chain (path:line  code  - what it decided), "
        "runtime adjustments and porting facts.",
        epilog="examples:\n"
        "  tfinit-audit explain tf.nn.rnn_cell.LSTMCell --version 1.8 --units 64 --input-dim 32\n"
        "  tfinit-audit explain 'tf.nn.rnn_cell.LSTMCell[use_peepholes=True,num_proj=16]' "
        "--version 1.10\n"
        "  tfinit-audit explain tf.keras.layers.LSTM --version 2.15",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    explain.add_argument("symbol", metavar="SYMBOL",
                         help="public name, optionally with args. Example: tf.keras.layers.GRU")
    explain.add_argument(
        "--version", dest="explain_version", metavar="SPEC", default=None,
        help="the TensorFlow release (any --versions spec; optional with a local --source). "
        "Example: --version 1.8",
    )
    explain.add_argument("--units", type=_positive_int, default=argparse.SUPPRESS, metavar="N",
                         help="units for the concrete shapes (default 64). Example: --units 128")
    explain.add_argument("--input-dim", type=_positive_int, default=argparse.SUPPRESS,
                         metavar="N",
                         help="input feature size (default 32). Example: --input-dim 16")
    _add_common(explain, sub=True)

    diff = subs.add_parser(
        "diff",
        help="what changed between releases (initializers, shapes, chains, files, availability)",
        description="Audit two or more releases and list every change between consecutive ones.",
        epilog="examples:\n  tfinit-audit diff 1.8 2.15\n  tfinit-audit diff 1.10 1.15 2.0 "
        "--symbols tf.keras.layers.GRU",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    diff.add_argument("diff_versions", nargs="+", metavar="SPEC",
                      help="two or more release specs, oldest first. Example: 1.8 2.15")
    diff.add_argument("--symbols", nargs="+", metavar="SYMBOL", default=argparse.SUPPRESS,
                      help="symbols to compare (default: the built-in set). "
                      "Example: --symbols tf.keras.layers.LSTM")
    _add_common(diff, sub=True)

    cache = subs.add_parser(
        "cache",
        help="show or clear the on-disk cache",
        description="Inspect or empty the cache of fetched files and index answers.",
        epilog="examples:\n  tfinit-audit cache info\n  tfinit-audit cache clear\n"
        "  tfinit-audit cache info --cache-dir /tmp/tfa-cache",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cache_subs = cache.add_subparsers(dest="cache_command", metavar="ACTION",
                                      parser_class=OneLineParser)
    info = cache_subs.add_parser(
        "info", help="where the cache is, how many entries and bytes",
        description="Print the cache location, entry count and size.",
        epilog="example:\n  tfinit-audit cache info --cache-dir /tmp/tfa-cache",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    clear = cache_subs.add_parser(
        "clear", help="delete every cached entry",
        description="Delete every cached file, zip directory and index answer.",
        epilog="example:\n  tfinit-audit cache clear",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    for p in (cache, info, clear):
        _add_common(p, sub=True)
    return parser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be > 0")
    return value




# --------------------------------------------------------------------------------------------
# Progress (stderr)
# --------------------------------------------------------------------------------------------
class Progress:
    """Rich progress on stderr: one line per version being opened, bars for full downloads."""

    def __init__(self, enabled: bool = True) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            SpinnerColumn,
            TextColumn,
        )
        from rich.progress import (
            Progress as RichProgress,
        )

        self.console = Console(stderr=True)
        self.enabled = enabled and self.console.is_terminal
        self._rich = RichProgress(
            SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
            console=self.console, transient=True, disable=not self.enabled,
        )
        self._tasks: dict[str, Any] = {}
        self._status: Any = None
        self._lock = threading.Lock()

    def __enter__(self) -> Progress:
        self._rich.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._rich.__exit__(None, None, None)

    def __call__(self, what: str, done: int, total: int | None) -> None:
        with self._lock:
            task = self._tasks.get(what)
            if task is None:
                task = self._tasks[what] = self._rich.add_task(what, total=total)
        self._rich.update(task, completed=done, total=total)

    def status(self, text: str) -> None:
        """One live status line (per-symbol progress); shown on a terminal only."""
        if not self.enabled:
            return
        with self._lock:
            if self._status is None:
                self._status = self._rich.add_task(text, total=None)
        self._rich.update(self._status, description=text)

    def note(self, text: str) -> None:
        """A stage line: on a terminal it becomes the status line, elsewhere one stderr line."""
        if self.enabled:
            self.status(text)
        else:
            print(f"{PROG}: {text}", file=sys.stderr, flush=True)

    def step(self, what: str) -> Any:
        with self._lock:
            return self._rich.add_task(what, total=None)

    def done(self, task: Any) -> None:
        self._rich.remove_task(task)


# --------------------------------------------------------------------------------------------
# Stages
# --------------------------------------------------------------------------------------------
@dataclass
class FetchedRelease:
    """One requested version after the fetch stage: a tree, or the one-line error."""

    requested: str
    release: str
    tree: Any = None  # tfinit_audit.sources.CompositeTree (SourceTree) when ok
    error: AuditError | None = None
    missing: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.tree is not None and self.error is None


def source_context(args: argparse.Namespace, progress: Progress | None = None) -> Any:
    from tfinit_audit.sources import SourceContext

    return SourceContext.create(
        cache_dir=args.cache_dir, index_url=args.index_url, offline=args.offline,
        progress=progress,
    )


def resolve_releases(args: argparse.Namespace, ctx: Any) -> list[tuple[str, str | None]]:
    """(requested spec, concrete release or None for 'read it from the local tree')."""
    from tfinit_audit.sources import parse_source
    from tfinit_audit.sources.versions import resolve_versions

    spec = parse_source(args.source)
    versions: list[str] | None = getattr(args, "versions", None)
    if spec.is_local:
        if not versions:
            return [(str(spec), None)]
        return [(v, v) for v in versions]  # open_tree checks each against the tree
    if not versions:
        raise UsageError(f"--versions is required with --source {spec.kind}, e.g. --versions 2.15")
    if spec.kind == "pypi" and any(v.startswith("installed") for v in versions):
        pass  # resolve_versions asks the interpreter
    return [(r.requested, r.version) for r in resolve_versions(versions, ctx.index)]


def fetch_releases(
    args: argparse.Namespace, ctx: Any, wanted: list[tuple[str, str | None]],
    progress: Progress | None = None, prefetch: Sequence[str] = (),
) -> list[FetchedRelease]:
    """Open every release concurrently; one failing never loses the others."""
    from tfinit_audit.sources import open_trees

    task = progress.step(f"fetching {len(wanted)} release(s)") if progress else None
    try:
        results = open_trees(args.source, [v for _, v in wanted], ctx=ctx, prefetch=prefetch)
    finally:
        if progress and task is not None:
            progress.done(task)
    out = []
    for (requested, version), res in zip(wanted, results, strict=True):
        out.append(FetchedRelease(requested, res.version or (version or ""), res.tree,
                                  res.error, res.missing))
    return out


def report_failure(f: FetchedRelease, debug: bool = False) -> None:
    """One line on stderr for a release that failed (traceback too with --debug)."""
    if debug and f.error is not None:
        traceback.print_exception(f.error, file=sys.stderr)
    print(f"{f.requested}: error: {f.error}", file=sys.stderr)


def exit_code_for(fetched: list[FetchedRelease]) -> int:
    codes = [f.error.exit_code for f in fetched if f.error is not None]
    if not codes:
        return EXIT_OK
    return EXIT_FETCH if EXIT_FETCH in codes else max(codes)


def print_fetch_summary(
    fetched: list[FetchedRelease], out: Any = None, debug: bool = False
) -> None:
    """One line per release: the distributions read and what fetching them cost."""
    out = out or sys.stdout
    for f in fetched:
        if not f.ok:
            report_failure(f, debug)
            continue
        tree = f.tree
        s = tree.refresh_stats() if hasattr(tree, "refresh_stats") else tree.stats
        wheel_bytes = sum(p.size or 0 for p in tree.packages)
        share = f" ({100 * s.bytes / wheel_bytes:.2f}% of {wheel_bytes / 1e6:.1f} MB)" if (
            wheel_bytes and s.bytes) else ""
        pkgs = ", ".join(f"{p.name} {p.version} [{p.file}]" for p in tree.packages)
        print(
            f"{f.requested} -> tensorflow {tree.release} ({tree.kind}): {pkgs}\n"
            f"    fetched {s.requests} requests, {s.bytes:,} bytes{share}, {s.seconds:.2f} s, "
            f"{s.from_cache} from cache, {s.files} files",
            file=out,
        )


def _specs(args: argparse.Namespace) -> list[Any]:
    from tfinit_audit.analysis.symbols import DEFAULT_SYMBOLS, parse_symbol

    names = getattr(args, "symbols", None)
    return [parse_symbol(n) for n in names] if names else list(DEFAULT_SYMBOLS)


def _dims(args: argparse.Namespace) -> Any:
    from tfinit_audit.analysis.model import Dims

    return Dims(units=getattr(args, "units", 64), input_dim=getattr(args, "input_dim", 32))


def _formats(text: str) -> set[str]:
    from tfinit_audit.report import FORMATS

    wanted = {f.strip().lower() for f in text.split(",") if f.strip()}
    wanted = {"md" if f in ("markdown", "md") else f for f in wanted}
    if wanted in (set(), {"none"}):
        return set()
    unknown = wanted - set(FORMATS)
    if unknown:
        raise UsageError(
            f"unknown --format {', '.join(sorted(unknown))}: use html, json, md or none"
        )
    return wanted


def _plugins(args: argparse.Namespace) -> list[str]:
    plugins = [os.path.abspath(p) for p in (args.probe_plugins or [])]
    for p in plugins:
        if not os.path.isfile(p):
            raise UsageError(f"--probe-plugin {p}: no such file")
    return plugins


def _opened(args: argparse.Namespace, fetched: list[FetchedRelease]) -> list[Any]:
    from tfinit_audit.pipeline import Opened
    from tfinit_audit.sources import parse_source

    kind = parse_source(args.source).kind
    return [Opened(f.requested, f.release, kind, f.tree, f.error) for f in fetched]


def _command_line() -> str:
    import shlex

    return " ".join(["tfinit-audit", *(shlex.quote(a) for a in sys.argv[1:])])


def _all_failed_on_input(fetched: list[FetchedRelease]) -> None:
    """Nothing to report when every release failed on bad input: say so in one line (exit 2)."""
    errors = [f.error for f in fetched]
    if errors and all(isinstance(e, UsageError) for e in errors):
        first = errors[0]
        assert first is not None
        raise first


def _finish(args: argparse.Namespace, report: Any, *, terminal: bool = True,
            fetch_code: int = EXIT_OK) -> int:
    """Print the terminal summary, write the report files, and pick the exit code."""
    from rich.console import Console

    from tfinit_audit.report import write_reports

    console = Console()
    if terminal:
        from tfinit_audit.report import render_terminal

        render_terminal(report, console)
    formats = _formats(getattr(args, "format", "html,json,md"))
    if formats:
        written = write_reports(report, Path(args.out), formats)
        for fmt_name in ("json", "md", "html"):
            if fmt_name in written:
                print(f"{fmt_name:>4}: {written[fmt_name]}")
        if "html" in written:
            print(f"report: {written['html'].resolve().as_uri()}")
    for v in report.versions:
        if v.status == "error":
            print(f"{PROG}: {v.requested}: error: {v.error}", file=sys.stderr)
    for run in report.live:
        if run.error:
            print(f"{PROG}: live {run.python}: error: {run.error}", file=sys.stderr)
    mismatches = sum(r.summary.get("disagree", 0) for r in report.live)
    if getattr(args, "fail_on_mismatch", False) and (
        mismatches or any(r.error for r in report.live)
    ):
        print(f"{PROG}: {mismatches} weight(s) disagree with the static answer"
              + ("; a live check failed" if any(r.error for r in report.live) else ""),
              file=sys.stderr)
        return EXIT_FINDINGS
    if fetch_code != EXIT_OK:
        return fetch_code
    if any(v.status == "error" for v in report.versions):
        return EXIT_FETCH
    return EXIT_OK


def run_audit(args: argparse.Namespace) -> int:
    """The main job: resolve -> fetch -> analyse -> verify live -> report."""
    from tfinit_audit import pipeline

    specs, dims = _specs(args), _dims(args)
    _formats(args.format)  # bad --format fails before any work
    with Progress() as progress:
        ctx = source_context(args, progress)
        wanted = resolve_releases(args, ctx)
        fetched = fetch_releases(args, ctx, wanted, progress)
        _all_failed_on_input(fetched)
        progress.note(f"analysing {len(fetched)} release(s), {len(specs)} symbol(s)")
        versions = pipeline.analyze_releases(_opened(args, fetched), specs, dims, ctx,
                                             progress.status)
        live: list[Any] = []
        pythons = args.pythons or ([] if args.no_live else pipeline.default_pythons())
        if pythons and not args.no_live:
            progress.note(f"verifying against {len(pythons)} interpreter(s)")
            _, live = pipeline.verify_pythons(pythons, specs, dims, ctx, args.timeout,
                                              progress.status, _plugins(args))
    if not pythons and not args.no_live:
        print(f"{PROG}: live check skipped: this interpreter has no TensorFlow "
              "(name one with --python, or pass --no-live)", file=sys.stderr)
    report = pipeline.build_report(versions, live, dims, _command_line())
    return _finish(args, report, fetch_code=exit_code_for(fetched))


def run_verify(args: argparse.Namespace) -> int:
    """Only the installed TF: static audit of each interpreter's release, then the live probe."""
    from tfinit_audit import pipeline

    specs, dims = _specs(args), _dims(args)
    _formats(args.format)
    pythons = args.pythons or [sys.executable]
    with Progress() as progress:
        ctx = source_context(args, progress)
        progress.note(f"verifying against {len(pythons)} interpreter(s)")
        versions, live = pipeline.verify_pythons(pythons, specs, dims, ctx, args.timeout,
                                                 progress.status, _plugins(args))
    report = pipeline.build_report(versions, live, dims, _command_line())
    return _finish(args, report)


def run_explain(args: argparse.Namespace) -> int:
    from rich.console import Console

    from tfinit_audit import pipeline
    from tfinit_audit.analysis.symbols import parse_symbol
    from tfinit_audit.report.explain import render_explain
    from tfinit_audit.sources import parse_source

    spec = parse_symbol(args.symbol)
    dims = _dims(args)
    if not args.explain_version and not parse_source(args.source).is_local:
        raise UsageError("explain needs the release: --version SPEC, e.g. --version 1.8")
    args.versions = [args.explain_version] if args.explain_version else None
    with Progress() as progress:
        ctx = source_context(args, progress)
        wanted = resolve_releases(args, ctx)
        if len(wanted) != 1:
            raise UsageError("explain takes exactly one release, e.g. --version 1.8")
        fetched = fetch_releases(args, ctx, wanted, progress)
        _all_failed_on_input(fetched)
        (version,) = pipeline.analyze_releases(_opened(args, fetched), [spec], dims, ctx,
                                               progress.status)
    if version.status == "error":
        print(f"{PROG}: {version.requested}: error: {version.error}", file=sys.stderr)
        return EXIT_FETCH
    render_explain(version, Console(soft_wrap=True))
    return EXIT_OK


def run_diff(args: argparse.Namespace) -> int:
    from rich.console import Console

    from tfinit_audit import pipeline
    from tfinit_audit.report import diff_versions, render_diff_terminal

    if len(args.diff_versions) < 2:
        raise UsageError("diff needs at least two releases, e.g. tfinit-audit diff 1.8 2.15")
    args.versions = args.diff_versions
    specs, dims = _specs(args), _dims(args)
    with Progress() as progress:
        ctx = source_context(args, progress)
        wanted = resolve_releases(args, ctx)
        fetched = fetch_releases(args, ctx, wanted, progress)
        versions = pipeline.analyze_releases(_opened(args, fetched), specs, dims, ctx,
                                             progress.status)
    report = pipeline.build_report(versions, [], dims, _command_line())
    render_diff_terminal(diff_versions(report), Console())
    for v in versions:
        if v.status == "error":
            print(f"{PROG}: {v.requested}: error: {v.error}", file=sys.stderr)
    return EXIT_FETCH if pipeline.fetch_failed(versions) else EXIT_OK


def run_fetch(args: argparse.Namespace) -> int:
    with Progress() as progress:
        ctx = source_context(args, progress)
        wanted = resolve_releases(args, ctx)
        prefetch = [args.show] if args.show else []
        fetched = fetch_releases(args, ctx, wanted, progress, prefetch=prefetch)
    many = len(fetched) > 1
    for f in fetched:
        if not f.ok:
            report_failure(f, args.debug)
            continue
        tree = f.tree
        if many and (args.list_prefix is not None or args.show):
            print(f"== {f.requested} -> tensorflow {tree.release}")
        if args.list_prefix is not None:
            paths = tree.list(args.list_prefix)
            if not paths and not tree.exists(args.list_prefix):
                f.error = UsageError(
                    f"tensorflow {tree.release} has nothing below {args.list_prefix!r}"
                )
                report_failure(f)
                continue
            for p in paths:
                print(p)
        if args.show:
            text = tree.read_text(args.show)
            if text is None:
                f.error = UsageError(f"tensorflow {tree.release} has no file {args.show!r}")
                report_failure(f)
                continue
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
    listing = args.list_prefix is not None or bool(args.show)
    ok = [f for f in fetched if f.ok]
    print_fetch_summary(ok, out=sys.stderr if listing else sys.stdout)
    return exit_code_for(fetched)


def run_cache(args: argparse.Namespace) -> int:
    from tfinit_audit.sources.cache import Cache

    cache = Cache(args.cache_dir)
    action = getattr(args, "cache_command", None)
    if action == "clear":
        freed = cache.clear()
        print(f"cleared {cache.root} ({freed:,} bytes freed)")
        return EXIT_OK
    if action not in (None, "info"):
        raise UsageError(f"unknown cache action {action!r}")
    info = cache.info()
    print(f"cache: {info.root}")
    print(f"entries: {info.entries} ({info.bytes:,} bytes)")
    for ns, n in info.namespaces.items():
        print(f"  {ns}: {n}")
    return EXIT_OK


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    debug = "--debug" in (sys.argv[1:] if argv is None else list(argv))
    try:
        args = parser.parse_args(argv)
        for name, default in DEFAULTS.items():
            if not hasattr(args, name):
                setattr(args, name, default)
        debug = bool(args.debug)
        if args.command == "fetch":
            return run_fetch(args)
        if args.command == "cache":
            return run_cache(args)
        if args.command == "verify":
            return run_verify(args)
        if args.command == "explain":
            return run_explain(args)
        if args.command == "diff":
            return run_diff(args)
        return run_audit(args)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except AuditError as exc:
        if debug:
            traceback.print_exc()
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # a bug: still one line unless --debug
        if debug:
            traceback.print_exc()
        print(f"{PROG}: internal error: {type(exc).__name__}: {exc} (rerun with --debug)",
              file=sys.stderr)
        return EXIT_USAGE if isinstance(exc, ValueError) else EXIT_FETCH


if __name__ == "__main__":
    raise SystemExit(main())
