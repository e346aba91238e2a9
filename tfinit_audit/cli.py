"""Command line: ``tfinit-audit`` (main job), ``tfinit-audit fetch``, ``tfinit-audit cache``.

Exit codes: 0 ok, 1 findings the user asked to fail on, 2 usage/input error, 3 fetch/network
error, 130 interrupted. Errors are one line on stderr; ``--debug`` adds the traceback.
"""

from __future__ import annotations

import argparse
import sys
import threading
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tfinit_audit import __version__
from tfinit_audit.errors import EXIT_FETCH, EXIT_OK, EXIT_USAGE, AuditError, UsageError

EXIT_INTERRUPTED = 130
PROG = "tfinit-audit"

MAIN_EPILOG = """\
examples:
  tfinit-audit --versions 1.8 1.10 2.15
  tfinit-audit --versions 2.x latest --out report --format html,json
  tfinit-audit --source dir:/tmp/src/1.8.0 --symbols tf.nn.rnn_cell.LSTMCell
  tfinit-audit --source installed:/opt/tf/bin/python --units 128 --input-dim 64
  tfinit-audit fetch --versions 2.15 --list keras/src/layers/rnn
  tfinit-audit cache info

exit codes: 0 ok, 1 findings you asked to fail on, 2 usage/input error,
            3 fetch/network error, 130 interrupted
"""


# --------------------------------------------------------------------------------------------
# Options
# --------------------------------------------------------------------------------------------
def _add_common(p: argparse.ArgumentParser, *, sub: bool) -> None:
    """Options every command takes; in subcommands defaults are SUPPRESSed so a value given
    before the subcommand name is not overwritten by the subparser's default."""
    d = (lambda v: argparse.SUPPRESS) if sub else (lambda v: v)
    g = p.add_argument_group("source options")
    g.add_argument(
        "--source", default=d("pypi"), metavar="SOURCE",
        help="where release files come from: pypi (wheels on the package index, default), "
        "github (release tag v<version>), dir:PATH (unpacked site-packages or checkout), "
        "wheel:PATH (a local wheel), installed[:PYTHON] (TensorFlow installed for this or "
        "that interpreter). Example: --source dir:/tmp/src/1.8.0",
    )
    g.add_argument(
        "--index-url", default=d(None), metavar="URL",
        help="package index (PEP 691 JSON or PEP 503 HTML simple API); default $PIP_INDEX_URL "
        "or https://pypi.org/simple/. Example: --index-url https://mirror.example/simple/",
    )
    g.add_argument(
        "--cache-dir", default=d(None), metavar="DIR",
        help="on-disk cache of fetched files; default $TFINIT_AUDIT_CACHE or the user cache "
        "dir. Example: --cache-dir /tmp/tfa-cache",
    )
    g.add_argument(
        "--offline", action="store_true", default=d(False),
        help="use only the cache, no network; names what is missing. Example: --offline",
    )
    g.add_argument(
        "--debug", action="store_true", default=d(False),
        help="show the traceback of an error. Example: --debug",
    )


def _add_versions(p: argparse.ArgumentParser, *, sub: bool) -> None:
    p.add_argument(
        "--versions", nargs="+", metavar="SPEC",
        default=argparse.SUPPRESS if sub else None,
        help="TensorFlow releases: 1.8 (newest 1.8.*), 1.8.0 (exact), 2 or 2.x (newest 2.*), "
        "latest, all, installed[:PYTHON]; pre-releases only when named exactly. Optional for "
        "local sources (checked against the tree). Example: --versions 1.8 1.10 2.15",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
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
    g = parser.add_argument_group("audit options")
    g.add_argument(
        "--symbols", nargs="+", metavar="SYMBOL", default=None,
        help="public layer names to audit, with optional constructor args; default: the built-in "
        "set. Example: --symbols tf.keras.layers.LSTM 'tf.nn.rnn_cell.LSTMCell[num_proj=16]'",
    )
    g.add_argument(
        "--units", type=_positive_int, default=64, metavar="N",
        help="units for the concrete shapes and bounds (default 64). Example: --units 128",
    )
    g.add_argument(
        "--input-dim", type=_positive_int, default=32, metavar="N",
        help="input feature size for the concrete shapes (default 32). Example: --input-dim 16",
    )
    g.add_argument(
        "--no-live", action="store_true",
        help="skip the check against installed TensorFlow. Example: --no-live",
    )
    g.add_argument(
        "--out", default=None, metavar="PATH",
        help="directory (or file stem) to write reports to; default: terminal only. "
        "Example: --out reports/run1",
    )
    g.add_argument(
        "--format", default="terminal", metavar="FMT[,FMT]",
        help="report formats, comma-separated: terminal, json, html, markdown (default "
        "terminal). Example: --format json,html",
    )

    subs = parser.add_subparsers(dest="command", metavar="COMMAND")
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

    cache = subs.add_parser(
        "cache",
        help="show or clear the on-disk cache",
        description="Inspect or empty the cache of fetched files and index answers.",
        epilog="examples:\n  tfinit-audit cache info\n  tfinit-audit cache clear\n"
        "  tfinit-audit cache info --cache-dir /tmp/tfa-cache",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cache_subs = cache.add_subparsers(dest="cache_command", metavar="ACTION")
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
    from tfinit_audit.versions import resolve_versions

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


def run_audit(args: argparse.Namespace) -> int:
    """The main job: resolve -> fetch -> (analysis -> live -> report, wired in by later issues)."""
    with Progress() as progress:
        ctx = source_context(args, progress)
        wanted = resolve_releases(args, ctx)
        fetched = fetch_releases(args, ctx, wanted, progress)
    # Stage 2, analysis (issue 3): for f in fetched if f.ok -> analyse f.tree for
    #   args.symbols with dims (args.units, args.input_dim).
    # Stage 3, live verification (issue 4): unless args.no_live.
    # Stage 4, report model + renderers (issue 5): args.format, args.out; findings -> exit 1.
    print_fetch_summary(fetched, debug=args.debug)
    return exit_code_for(fetched)


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
        for name, default in (("source", "pypi"), ("index_url", None), ("cache_dir", None),
                              ("offline", False), ("debug", False), ("versions", None)):
            if not hasattr(args, name):
                setattr(args, name, default)
        debug = bool(args.debug)
        if args.command == "fetch":
            return run_fetch(args)
        if args.command == "cache":
            return run_cache(args)
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
