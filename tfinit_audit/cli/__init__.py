"""Command line: ``tfinit-audit`` (main job) and its commands verify, explain, diff, port, scan,
fetch, cache.

Each command parses its arguments (``cli/parser.py``), calls the same function of the Python API
(``pipeline.py``: ``audit``, ``verify``, ``explain``, ``diff``, ``port``, ``scan``;
``open_releases`` for ``fetch``) and prints; the stages themselves are wired in the pipeline,
not here.

Exit codes: 0 ok, 1 findings the user asked to fail on, 2 usage/input error, 3 fetch/network
error, 130 interrupted. Errors are one line on stderr; ``--debug`` adds the traceback.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from tfinit_audit.cli.parser import DEFAULTS, PROG, build_parser
from tfinit_audit.cli.progress import Progress
from tfinit_audit.errors import (
    EXIT_FETCH,
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_USAGE,
    AuditError,
    ReleaseError,
    UsageError,
)
from tfinit_audit.startup import start_workers_early

if TYPE_CHECKING:
    from tfinit_audit.report.model import Report, VersionReport

EXIT_INTERRUPTED = 130

__all__ = ["EXIT_INTERRUPTED", "Progress", "build_parser", "main"]


# --------------------------------------------------------------------------------------------
# Commands: parse -> call the pipeline -> print
# --------------------------------------------------------------------------------------------
def _source_options(args: argparse.Namespace) -> dict[str, Any]:
    return {"source": args.source, "index_url": args.index_url, "cache_dir": args.cache_dir,
            "offline": args.offline}


def run_audit(args: argparse.Namespace) -> int:
    """The main job: resolve -> fetch -> analyse -> verify live -> report."""
    start_workers_early(args.versions, args.source, args.cache_dir, args.jobs)
    from tfinit_audit import pipeline

    specs = pipeline.symbol_specs(args.symbols)
    pipeline.make_dims(args.units, args.input_dim, args.dims)  # bad --dim fails before any work
    _formats(args.format)  # bad --format fails before any work
    pythons = [] if args.no_live else (args.pythons or pipeline.default_pythons())
    with Progress() as progress:
        report = pipeline.audit(
            args.versions, symbols=specs if args.symbols else None, **_source_options(args),
            units=args.units, input_dim=args.input_dim, dims=args.dims, python=pythons,
            timeout=args.timeout,
            probe_plugins=args.probe_plugins or (), progress=progress.note,
            detail=progress.status, download=progress, steps=progress.step,
            command=_command_line(args), jobs=args.jobs,
        )
    if not pythons and not args.no_live:
        print(f"{PROG}: live check skipped: this interpreter has no TensorFlow "
              "(name one with --python, or pass --no-live)", file=sys.stderr)
    return _finish(args, report, release_code=exit_code_for(report.versions))


def run_verify(args: argparse.Namespace) -> int:
    """Only the installed TF: static audit of each interpreter's release, then the live probe."""
    from tfinit_audit import pipeline

    specs = pipeline.symbol_specs(args.symbols)
    pipeline.make_dims(args.units, args.input_dim, args.dims)
    _formats(args.format)
    with Progress() as progress:
        report = pipeline.verify(
            args.pythons, symbols=specs if args.symbols else None, cache_dir=args.cache_dir,
            units=args.units, input_dim=args.input_dim, dims=args.dims, timeout=args.timeout,
            probe_plugins=args.probe_plugins or (), progress=progress.note,
            detail=progress.status, command=_command_line(args),
        )
    return _finish(args, report)


def run_explain(args: argparse.Namespace) -> int:
    from rich.console import Console

    from tfinit_audit import pipeline
    from tfinit_audit.report.explain import render_explain

    try:
        with Progress() as progress:
            result = pipeline.explain(
                args.symbol, args.explain_version, **_source_options(args), units=args.units,
                input_dim=args.input_dim, dims=args.dims, ports=args.ports,
                detail=progress.status,
                download=progress,
            )
    except ReleaseError as exc:
        print(f"{PROG}: {exc.requested}: error: {exc.reason}", file=sys.stderr)
        return EXIT_FETCH
    render_explain(result.release, Console(soft_wrap=True), dims=result.dims,
                   ports=result.ports)
    return EXIT_OK


def run_port(args: argparse.Namespace) -> int:
    """Write the port module to stdout (or --out); notes on stderr."""
    from tfinit_audit import pipeline

    try:
        with Progress() as progress:
            result = pipeline.port(
                args.symbol, args.port_version, to=args.to, convert=args.convert,
                **_source_options(args), units=args.units, input_dim=args.input_dim,
                dims=args.dims, detail=progress.status, download=progress,
                command=_command_line(args),
            )
    except ReleaseError as exc:
        print(f"{PROG}: {exc.requested}: error: {exc.reason}", file=sys.stderr)
        return EXIT_FETCH
    for note in result.notes:
        print(f"{PROG}: note: {note}", file=sys.stderr)
    if args.port_out:
        path = Path(args.port_out)
        try:
            path.write_text(result.code, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--out {path}: {exc.strerror or exc}") from None
        print(f"wrote {path}: build(seed) -> {result.builds}", file=sys.stderr)
    else:
        sys.stdout.write(result.code)
    return EXIT_OK


def run_diff(args: argparse.Namespace) -> int:
    start_workers_early(args.diff_versions, args.source, args.cache_dir, args.jobs)
    from rich.console import Console

    from tfinit_audit import pipeline
    from tfinit_audit.report import render_diff_terminal

    with Progress() as progress:
        result = pipeline.diff(
            *args.diff_versions, symbols=args.symbols, **_source_options(args), units=args.units,
            input_dim=args.input_dim, dims=args.dims, detail=progress.status, download=progress,
            steps=progress.step, command=_command_line(args), jobs=args.jobs,
        )
    render_diff_terminal(result.changes, Console())
    for v in result.report.versions:
        if v.status == "error":
            print(f"{PROG}: {v.requested}: error: {v.error}", file=sys.stderr)
    for line in result.report.unknown_symbols:
        print(f"{PROG}: error: {line}", file=sys.stderr)
    if any(v.status == "error" for v in result.report.versions):
        return EXIT_FETCH
    return EXIT_USAGE if result.report.unknown_symbols else EXIT_OK


def run_scan(args: argparse.Namespace) -> int:
    """Your code: find the layer calls, compare two releases, optionally pin."""
    from rich.console import Console

    from tfinit_audit import pipeline
    from tfinit_audit.report import write_reports
    from tfinit_audit.report.usercode import render_scan_json, render_scan_terminal

    if args.diff and not args.pin:
        raise UsageError("--diff shows the patch of --pin: give --pin RELEASE too")
    with Progress() as progress:
        result = pipeline.scan(
            args.paths, from_version=args.scan_from, to_version=args.scan_to, pin=args.pin,
            write=bool(args.pin) and not args.diff, **_source_options(args), units=args.units,
            input_dim=args.input_dim, progress=progress.note, detail=progress.status,
            download=progress, command=_command_line(args),
        )
    for path, why in result.skipped:
        print(f"{PROG}: {path}: skipped: {why}", file=sys.stderr)
    if args.scan_format == "json":
        sys.stdout.write(render_scan_json(result))
    else:
        render_scan_terminal(result, Console(), show_all=args.show_all)
    for pinned in result.pinned:  # with --format json the diffs are in the document
        if args.diff and args.scan_format == "text":
            sys.stdout.write(pinned.diff)
        elif not args.diff:
            print(f"pinned {pinned.pinned} call(s) in {pinned.path}"
                  + (f" (added {'; '.join(pinned.imports)})" if pinned.imports else ""),
                  file=sys.stderr if args.scan_format == "json" else sys.stdout)
    if args.scan_out:
        out = Path(args.scan_out)
        written = write_reports(result.report, out, {"html"})
        (out / "scan.json").write_text(render_scan_json(result), encoding="utf-8")
        print(f"report: {written['html'].resolve().as_uri()}", file=sys.stderr)
    if args.check and result.relying:
        print(f"{PROG}: {len(result.relying)} call(s) rely on defaults that change from "
              f"{result.from_release} to {result.to_release}", file=sys.stderr)
        return EXIT_FINDINGS
    return EXIT_OK


def run_fetch(args: argparse.Namespace) -> int:
    from tfinit_audit import pipeline

    with Progress() as progress:
        records = pipeline.open_releases(
            args.versions, **_source_options(args), prefetch=[args.show] if args.show else [],
            detail=progress.status, download=progress,
        )
    many = len(records) > 1
    for rec in records:
        if rec.tree is None:
            report_failure(rec, args.debug)
            continue
        if many and (args.list_prefix is not None or args.show):
            print(f"== {rec.requested} -> tensorflow {rec.tree.release}")
        if args.list_prefix is not None and not _print_listing(rec, args.list_prefix):
            continue
        if args.show and not _print_file(rec, args.show):
            continue
    listing = args.list_prefix is not None or bool(args.show)
    ok = [r for r in records if r.status == "ok"]
    print_fetch_summary(ok, out=sys.stderr if listing else sys.stdout)
    return exit_code_for(records)


def _print_listing(rec: VersionReport, prefix: str) -> bool:
    assert rec.tree is not None
    paths = rec.tree.list(prefix)
    if not paths and not rec.tree.exists(prefix):
        rec.fail(UsageError(f"tensorflow {rec.tree.release} has nothing below {prefix!r}"))
        report_failure(rec)
        return False
    for p in paths:
        print(p)
    return True


def _print_file(rec: VersionReport, path: str) -> bool:
    assert rec.tree is not None
    text = rec.tree.read_text(path)
    if text is None:
        why = [p for p in getattr(rec.tree, "problems", []) if p.startswith(f"{path}:")]
        rec.fail(UsageError(why[0] if why else
                            f"tensorflow {rec.tree.release} has no file {path!r}"))
        report_failure(rec)
        return False
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return True


def run_cache(args: argparse.Namespace) -> int:
    from tfinit_audit.report.fmt import human_bytes
    from tfinit_audit.sources.cache import KINDS, Cache

    cache = Cache(args.cache_dir)
    action = getattr(args, "cache_command", None)
    if action == "clear":
        what = _cache_kinds(getattr(args, "what", None))
        before = cache.info().kinds
        freed = cache.clear(what)
        cleared = what or [k.name for k in KINDS if k.tool_data]
        print(f"cleared {', '.join(cleared)} in {cache.root} ({freed:,} bytes freed)")
        for k in KINDS:
            if k.name not in cleared and before[k.name][0]:
                print(f"kept {k.name}: {k.what} ({human_bytes(before[k.name][1])}); "
                      f"--what {k.name} removes them")
        return EXIT_OK
    if action == "prune":
        return _run_prune(args, cache)
    if action not in (None, "info"):
        raise UsageError(f"unknown cache action {action!r}")
    info = cache.info()
    print(f"cache: {info.root}")
    print(f"entries: {info.entries} ({info.bytes:,} bytes; {info.disk:,} bytes on disk)")
    for k in KINDS:
        files, size = info.kinds[k.name]
        print(f"  {k.name:<11} {files:>7} files {human_bytes(size):>10}  {k.what}")
    if info.namespaces:
        print("  blob entries by namespace: "
              + " · ".join(f"{ns}: {n}" for ns, n in info.namespaces.items()))
    return EXIT_OK


def _run_prune(args: argparse.Namespace, cache: Any) -> int:
    from tfinit_audit.report.fmt import human_bytes
    from tfinit_audit.sources.cache import parse_age, parse_size

    try:
        max_size = parse_size(args.max_size) if args.max_size is not None else None
        older = parse_age(args.older_than) if args.older_than is not None else None
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if max_size is None and older is None:
        raise UsageError("cache prune: say what to remove: --max-size SIZE and/or "
                         "--older-than AGE (e.g. --max-size 500MB --older-than 30d)")
    what = _cache_kinds(getattr(args, "what", None))
    res = cache.prune(max_size=max_size, older_than=older, what=what, dry_run=args.dry_run)
    verb = "would remove" if args.dry_run else "removed"
    kinds = ", ".join(f"{k} {n:,} ({human_bytes(b)})" for k, (n, b) in res.removed.items())
    print(f"{verb} {res.files:,} entries ({res.bytes:,} bytes) from {cache.root}"
          + (f": {kinds}" if kinds else ""))
    print(f"left {res.kept[0]:,} entries ({res.kept[1]:,} bytes)")
    return EXIT_OK


def _cache_kinds(text: str | None) -> list[str] | None:
    """``--what members,index`` -> the kinds (``files``, ``analysis`` name several); ``all``
    -> every kind; None -> the default."""
    from tfinit_audit.sources.cache import KIND_GROUPS, KIND_NAMES, expand_kinds

    if not text:
        return None
    wanted = [w.strip().lower() for w in text.split(",") if w.strip()]
    try:
        if not wanted:
            raise ValueError(text)
        return expand_kinds(wanted)
    except ValueError:
        unknown = [w for w in wanted if w not in KIND_NAMES and w not in KIND_GROUPS
                   and w != "all"]
        raise UsageError(f"unknown --what {', '.join(unknown) or text!r}: use "
                         f"{', '.join(KIND_NAMES)}, {', '.join(KIND_GROUPS)} or all") from None


# --------------------------------------------------------------------------------------------
# Printing and exit codes
# --------------------------------------------------------------------------------------------
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


def _command_line(args: argparse.Namespace) -> str:
    """The command as the user gave it (the argv handed to main, else sys.argv)."""
    import shlex

    given = getattr(args, "argv", None)
    words = sys.argv[1:] if given is None else given
    return " ".join(["tfinit-audit", *(shlex.quote(a) for a in words)])


def _finish(args: argparse.Namespace, report: Report, *, release_code: int = EXIT_OK) -> int:
    """Print the terminal summary, write the report files, and pick the exit code."""
    from rich.console import Console

    from tfinit_audit.report import build_view, render_terminal, write_reports

    formats = _formats(getattr(args, "format", "html,json,md"))
    view = build_view(report, sections_wanted="html" in formats)  # one for every renderer
    render_terminal(report, Console(), view)
    if formats:
        written = write_reports(report, Path(args.out), formats,
                                json_form=getattr(args, "json_form", "compact"), view=view)
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
    for line in report.unknown_symbols:
        print(f"{PROG}: error: {line}", file=sys.stderr)
    for line in _unused_dims(report):
        print(f"{PROG}: note: {line}", file=sys.stderr)
    mismatches = sum(r.summary.get("disagree", 0) for r in report.live)
    if getattr(args, "fail_on_mismatch", False) and (
        mismatches or any(r.error for r in report.live)
    ):
        print(f"{PROG}: {mismatches} weight(s) disagree with the static answer"
              + ("; a live check failed" if any(r.error for r in report.live) else ""),
              file=sys.stderr)
        return EXIT_FINDINGS
    if release_code != EXIT_OK:
        return release_code
    if any(v.status == "error" for v in report.versions):
        return EXIT_FETCH
    return EXIT_USAGE if report.unknown_symbols else EXIT_OK


def _unused_dims(report: Report) -> list[str]:
    """A ``--dim`` entry the table does not have and no symbol was built with: most likely a
    misspelt name (said, not an error: ``--dim`` may add parameters for any layer)."""
    import difflib

    from tfinit_audit.analysis.arguments import BY_NAME

    def names(arguments: Sequence[Any]) -> set[str]:
        out: set[str] = set()
        for a in arguments:
            if a.source == "--dim":
                out.add(a.name)
            if isinstance(a.value, dict):  # an inner layer and what it was built with
                out |= {str(x.get("name")) for x in a.value.get("arguments") or ()
                        if isinstance(x, dict) and x.get("source") == "--dim"}
        return out

    used = {n for v in report.versions for s in v.symbols for n in names(s.arguments)}
    lines = []
    for name in report.dims.given:
        if name in BY_NAME or name in used:
            continue
        close = difflib.get_close_matches(name, list(BY_NAME), n=1)
        lines.append(f"--dim {name}: no symbol built here has a required parameter {name!r}"
                     + (f" (did you mean {close[0]!r}?)" if close else ""))
    return lines


def report_failure(rec: VersionReport, debug: bool = False) -> None:
    """One line on stderr for a release that failed (traceback too with --debug)."""
    if debug and rec.exception is not None:
        traceback.print_exception(rec.exception, file=sys.stderr)
    print(f"{rec.requested}: error: {rec.exception or rec.error}", file=sys.stderr)


def exit_code_for(records: Sequence[VersionReport]) -> int:
    """The exit code the releases' errors call for: 3 if any fetch failed, else the highest."""
    codes = [r.exception.exit_code for r in records if r.exception is not None]
    if not codes:
        return EXIT_OK
    return EXIT_FETCH if EXIT_FETCH in codes else max(codes)


def print_fetch_summary(
    records: Sequence[VersionReport], out: TextIO | None = None, debug: bool = False
) -> None:
    """One line per release: the distributions read and what fetching them cost."""
    out = out or sys.stdout
    for rec in records:
        tree = rec.tree
        if tree is None:
            report_failure(rec, debug)
            continue
        s = tree.refresh_stats() if hasattr(tree, "refresh_stats") else tree.stats
        wheel_bytes = sum(p.size or 0 for p in tree.packages)
        share = f" ({100 * s.bytes / wheel_bytes:.2f}% of {wheel_bytes / 1e6:.1f} MB)" if (
            wheel_bytes and s.bytes) else ""
        pkgs = ", ".join(f"{p.name} {p.version} [{p.file}]" for p in tree.packages)
        print(
            f"{rec.requested} -> tensorflow {tree.release} ({tree.kind}): {pkgs}\n"
            f"    fetched {s.requests} requests, {s.bytes:,} bytes{share}, {s.seconds:.2f} s, "
            f"{s.from_cache} from cache, {s.files} files",
            file=out,
        )


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    debug = "--debug" in (sys.argv[1:] if argv is None else list(argv))
    try:
        args = parser.parse_args(argv)
        args.argv = list(sys.argv[1:] if argv is None else argv)
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
        if args.command == "port":
            return run_port(args)
        if args.command == "scan":
            return run_scan(args)
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
