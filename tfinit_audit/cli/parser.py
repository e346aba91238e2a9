"""The ``tfinit-audit`` argument parser: every command, every option, each with an example.

Options every command may carry share one table of defaults (``DEFAULTS``, built from
``tfinit_audit.defaults`` like the Python API's keyword defaults); subcommand parsers SUPPRESS
them so a value given before the subcommand name survives, and ``main()`` fills in the rest.
"""

from __future__ import annotations

import argparse
from typing import Any, NoReturn

from tfinit_audit import defaults
from tfinit_audit._version import __version__
from tfinit_audit.analysis.arguments import TABLE
from tfinit_audit.errors import EXIT_USAGE
from tfinit_audit.port.model import ALIASES, TARGETS

PROG = "tfinit-audit"
Subparsers = argparse._SubParsersAction  # what add_subparsers() returns

MAIN_EPILOG = """\
The main job audits each release, verifies the TensorFlow installed for this interpreter (or
each --python) live, prints a summary (the matrix when it fits the width, else per weight the
releases with each answer, as ranges) and writes reports/index.html, report.json and report.md.
Long runs (--versions all) show their progress on stderr.

examples:
  tfinit-audit --versions 1.8 1.10 2.15
  tfinit-audit --versions '>=1.8,<1.11' '~=2.15.0'
  tfinit-audit --versions 1.8 2.15 --out site/ --format html,json
  tfinit-audit --versions 1.8 --symbols 'tf.nn.rnn_cell.LSTMCell[use_peepholes=True,num_proj=16]'
  tfinit-audit --versions 2.15 --symbols 'tf.keras.layers.*' --dim filters=16 --no-live
  tfinit-audit --versions 1.15 --symbols all --no-live --format json
  tfinit-audit --source dir:/tmp/src/1.8.0 --symbols tf.nn.rnn_cell.LSTMCell
  tfinit-audit --source installed:/opt/tf/bin/python --units 128 --input-dim 64
  tfinit-audit explain tf.nn.rnn_cell.LSTMCell --version 1.8
  tfinit-audit diff 1.8 2.15
  tfinit-audit port tf.nn.rnn_cell.LSTMCell --version 1.8 --to pytorch --convert > lstm_port.py
  tfinit-audit verify --python ~/venvs/tf215/bin/python --fail-on-mismatch
  tfinit-audit fetch --versions 2.15 --list keras/src/layers/rnn
  tfinit-audit scan model/ --from 1.15 --to 2.15
  tfinit-audit scan model/ --from 1.15 --to 2.15 --pin 1.15 --diff
  tfinit-audit cache info

exit codes: 0 ok, 1 findings you asked to fail on (--fail-on-mismatch, scan --check),
            2 usage/input error, 3 a release could not be fetched (network) or analysed,
            130 interrupted

environment: TFINIT_AUDIT_CACHE (cache dir), PIP_INDEX_URL (package index), and bounds on
hostile input, each far above any real release (a release over one fails with one line):
"""


# --------------------------------------------------------------------------------------------
# Options
# --------------------------------------------------------------------------------------------
# Defaults of the options every command may carry. Subcommand parsers SUPPRESS them (so a value
# given before the subcommand name is not overwritten by the subparser); main() fills in what
# is still missing from this same table.
DEFAULTS: dict[str, Any] = {
    "source": defaults.SOURCE, "index_url": None, "cache_dir": None, "offline": False,
    "debug": False, "versions": None, "symbols": None, "units": defaults.UNITS,
    "input_dim": defaults.INPUT_DIM, "dims": None, "out": "reports", "format": "html,json,md",
    "json_form": "compact",
    "no_live": False, "pythons": None, "fail_on_mismatch": False, "probe_plugins": None,
    "timeout": defaults.PROBE_TIMEOUT, "jobs": None,
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
        "a PEP 440 range (every final release in it: '>=1.8,<1.11', '~=2.15.0'), latest, all, "
        "installed[:PYTHON]; pre-releases only when named exactly. Optional for local sources "
        "(checked against the tree). Example: --versions 1.8 1.10 2.15 or "
        "--versions '>=1.8,<1.11'",
    )


def _add_jobs(p: argparse.ArgumentParser, *, sub: bool) -> None:
    p.add_argument(
        "--jobs", type=_positive_int, default=_default(sub, "jobs"), metavar="N",
        help="worker processes analysing releases side by side (default: the CPUs, at most 4, "
        "one more when the files are fetched over the network, or $TFINIT_AUDIT_JOBS; 1: all "
        "in this process). A release whose files on the "
        "resolution path equal an analysed one's takes its answer without any. "
        "Example: --jobs 2",
    )


def _add_audit(p: argparse.ArgumentParser, *, sub: bool) -> None:
    """What to audit and where the reports go (main job and verify)."""
    g = p.add_argument_group("audit options")
    g.add_argument(
        "--symbols", nargs="+", metavar="SYMBOL", default=_default(sub, "symbols"),
        help="public layer names to audit, with optional constructor args; 'NAMESPACE.*' for "
        "every layer, cell and variable-creating function a namespace of the release exposes "
        "(* and ? match names), 'all' for every one reachable from tf; default: the built-in "
        "set (TF1 cells, tf.layers.Dense, get_variable, Keras layers). "
        "Example: --symbols tf.keras.layers.LSTM 'tf.nn.rnn_cell.LSTMCell[num_proj=16]' "
        "'tf.contrib.rnn.*'",
    )
    g.add_argument(
        "--units", type=_positive_int, default=_default(sub, "units"), metavar="N",
        help=f"units for the concrete shapes and bounds (default {defaults.UNITS}). "
        "Example: --units 128",
    )
    g.add_argument(
        "--input-dim", type=_positive_int, default=_default(sub, "input_dim"), metavar="N",
        help=f"the input's feature/channel size for every layer family (default "
        f"{defaults.INPUT_DIM}; the same as --dim features=N). Example: --input-dim 16",
    )
    _add_dim(g, sub)
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
    g.add_argument(
        "--json-form", choices=("compact", "full"), default=_default(sub, "json_form"),
        help="form of report.json: compact (default; each distinct provenance hop once, in a "
        "'hops' table the chains refer to by index) or full (every hop inline; indented). "
        "Both validate against docs/report.schema.json. Example: --json-form full",
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
        help=f"time limit for each interpreter's probe (default {defaults.PROBE_TIMEOUT:g}). "
        "Example: --timeout 120",
    )


def _add_dim(g: Any, sub: bool) -> None:
    g.add_argument(
        "--dim", action="append", dest="dims", metavar="NAME=VALUE",
        default=_default(sub, "dims"),
        help="set an entry of the argument table layers are built with (a required "
        "constructor parameter of that name, an inner layer of a wrapper, or an input size: "
        f"{', '.join(a.name for a in TABLE)}; README 'The argument table'), or add one; VALUE is a "
        "Python literal, or a public name for layer/cell/cells; repeatable. "
        "Example: --dim filters=16 --dim kernel_size=5 --dim layer=GRU",
    )


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a usage error in one line (exit 2), pointing at --help."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _bounds_help() -> str:
    from tfinit_audit.sources import limits

    return "".join(f"  {b.env}={b.text(b.default)}: {b.what}\n" for b in limits.ALL)


def build_parser() -> argparse.ArgumentParser:
    """The main job's options, then one subparser per command."""
    parser = OneLineParser(
        prog=PROG,
        description="What initializer does each weight of a TensorFlow/Keras layer really get "
        "when you pass none - per release, with file:line evidence, checked against live "
        "TensorFlow.",
        epilog=MAIN_EPILOG + _bounds_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version", action="version", version=f"{PROG} {__version__}",
        help="print the tool's version and exit. Example: tfinit-audit --version",
    )
    _add_versions(parser, sub=False)
    _add_common(parser, sub=False)
    _add_audit(parser, sub=False)
    _add_jobs(parser, sub=False)
    _add_live(parser, sub=False, verify_only=False)

    subs = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
    for add in (_add_fetch_command, _add_verify_command, _add_explain_command,
                _add_diff_command, _add_port_command, _add_scan_command,
                _add_cache_command):
        add(subs)
    return parser


def _add_fetch_command(subs: Subparsers) -> None:
    """``tfinit-audit fetch``: list or print what the fetcher sees."""
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


def _add_verify_command(subs: Subparsers) -> None:
    """``tfinit-audit verify``: only the installed TensorFlow, live."""
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
        "  tfinit-audit verify --symbols tf.keras.layers.LSTM --out reports/verify\n"
        "  tfinit-audit verify --symbols 'tf.keras.layers.*' --dim units=16",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_audit(verify, sub=True)
    _add_live(verify, sub=True, verify_only=True)
    _add_common(verify, sub=True)


def _add_explain_command(subs: Subparsers) -> None:
    """``tfinit-audit explain``: one symbol in one release."""
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
        "  tfinit-audit explain tf.keras.layers.LSTM --version 2.15\n"
        "  tfinit-audit explain tf.keras.layers.Bidirectional --version 2.15 --dim layer=GRU",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    explain.add_argument("symbol", metavar="SYMBOL",
                         help="public name, optionally with args. Example: tf.keras.layers.GRU")
    explain.add_argument(
        "--version", dest="explain_version", metavar="SPEC", default=None,
        help="the TensorFlow release (any --versions spec; optional with a local --source). "
        "Example: --version 1.8",
    )
    _add_dims(explain)
    explain.add_argument(
        "--port", dest="ports", default="all", metavar="TARGET[,TARGET]",
        help="port snippets to show after the facts: all (default), none, or targets from "
        f"{', '.join(TARGETS)}. Example: --port pytorch,jax")
    _add_common(explain, sub=True)


def _add_dims(p: argparse.ArgumentParser) -> None:
    p.add_argument("--units", type=_positive_int, default=argparse.SUPPRESS, metavar="N",
                   help=f"units for the concrete shapes (default {defaults.UNITS}). "
                   "Example: --units 128")
    p.add_argument("--input-dim", type=_positive_int, default=argparse.SUPPRESS, metavar="N",
                   help=f"the input's feature/channel size (default {defaults.INPUT_DIM}; "
                   "--dim features=N). Example: --input-dim 16")
    _add_dim(p, sub=True)


def _add_port_command(subs: Subparsers) -> None:
    """``tfinit-audit port``: a runnable module reproducing the initialization elsewhere."""
    port = subs.add_parser(
        "port",
        help="write a Python module that reproduces one symbol's initialization in PyTorch, "
        "JAX, Keras or NumPy (and converts TF weights)",
        description="Write a runnable Python module (to stdout, or --out FILE) whose "
        "build(seed) returns the target object initialized as the release initializes SYMBOL: "
        "each weight drawn with TF's distribution for TF's shape (limits and stddevs from TF's "
        "fans), laid out for the target (transposes, gate order), with runtime adjustments such "
        "as a TF 1.x cell's forget_bias folded in where the target has no place for them, the "
        "activations to use, and each step commented with its TF provenance. Targets: pytorch "
        "(torch.nn modules), jax (Flax linen modules; plain jax.random arrays when none is "
        "equivalent), keras (a TF 1.x cell's weights -> tf.keras 2 / Keras 3 cells, or the same "
        "Keras layer), numpy (arrays in TF's own layout and names, with a forward step). A "
        "symbol the target has no equivalent for gets a note on stderr and the TF-layout "
        "recipe. Notes go to stderr, the code to stdout.",
        epilog="examples:\n"
        "  tfinit-audit port tf.nn.rnn_cell.LSTMCell --version 1.8 --to pytorch "
        "--units 64 --input-dim 32\n"
        "  tfinit-audit port tf.keras.layers.GRU --version 2.15 --to jax\n"
        "  tfinit-audit port tf.keras.layers.LSTM --version 2.15 --to numpy\n"
        "  tfinit-audit port tf.nn.rnn_cell.LSTMCell --version 1.15 --to keras --convert"
        "   # TF1 checkpoint -> tf.keras\n"
        "  tfinit-audit port tf.nn.rnn_cell.LSTMCell --version 1.8 --to pytorch --convert "
        "--out lstm_port.py",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    port.add_argument("symbol", metavar="SYMBOL",
                      help="public name, optionally with args (a TF 1.x name is also looked "
                      "up as its tf.compat.v1 twin). Example: 'tf.nn.rnn_cell.LSTMCell"
                      "[num_proj=16]'")
    port.add_argument(
        "--version", dest="port_version", metavar="SPEC", default=None,
        help="the TensorFlow release (any --versions spec; optional with a local --source). "
        "Example: --version 1.8")
    port.add_argument("--to", dest="to", required=True, type=_target, choices=TARGETS,
                      metavar="TARGET",
                      help=f"the target: {', '.join(TARGETS)} (also torch, flax, np). "
                      "Example: --to pytorch")
    port.add_argument("--convert", action="store_true", default=False,
                      help="also write convert(arrays): a TF checkpoint's arrays (TF's names, "
                      "with or without scopes and ':0') onto the target's parameters. "
                      "Example: --convert")
    port.add_argument("--out", dest="port_out", metavar="FILE", default=None,
                      help="write the module to FILE instead of stdout. "
                      "Example: --out lstm_port.py")
    _add_dims(port)
    _add_common(port, sub=True)


def _add_diff_command(subs: Subparsers) -> None:
    """``tfinit-audit diff``: changes between releases."""
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
                      help="symbols to compare (default: the built-in set); patterns as for "
                      "the main job. Example: --symbols tf.keras.layers.LSTM")
    _add_dim(diff, sub=True)
    _add_jobs(diff, sub=True)
    _add_common(diff, sub=True)


SCAN_EPILOG = """\
Only what a call leaves to a default counts: a change decided by an argument the call passes
(a literal is analysed with its value; anything else is the user's choice) is not reported.
Mark a call's line with "# tfinit-audit: ignore" to keep it out of --check.

examples:
  tfinit-audit scan model/ --from 1.15 --to 2.15
  tfinit-audit scan model/ nb.ipynb --from 1.15 --to 2.15 --pin 1.15 --diff   # show the patch
  tfinit-audit scan model/ --from 1.15 --to 2.15 --pin 1.15                   # write it
  tfinit-audit scan model/ --from 1.15 --to 2.15 --check                      # CI: exit 1
  tfinit-audit scan model/ --from 2.15 --to 2.21 --format json > scan.json
  tfinit-audit scan model/ --from 1.15 --to 2.15 --out reports/scan   # index.html + scan.json

exit codes: 0 ok, 1 with --check when a call relies on a default that changes,
            2 usage/input error, 3 fetch/network error
"""


def _add_scan_command(subs: Subparsers) -> None:
    """``tfinit-audit scan``: the layers in the user's code and what their defaults become."""
    scan = subs.add_parser(
        "scan",
        help="find the layers in your code and what their defaults become between releases "
        "(--pin makes them explicit)",
        description="Find every TensorFlow/Keras layer, cell and variable-creating call in "
        "Python files and notebooks (however it was imported: aliases, re-bound names, "
        "functools.partial, subclasses calling super().__init__), analyse each in both "
        "releases with the arguments it passes, and report per call what it leaves to a "
        "default that changes: weights' initializers and shapes, porting facts (activations, "
        "recurrent_activation, reset_after, unit_forget_bias, forget_bias, gate order), and "
        "availability.",
        epilog=SCAN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    scan.add_argument("paths", nargs="+", metavar="PATH",
                      help="files or directories (*.py, *.ipynb; recursive). Example: model/")
    scan.add_argument("--from", dest="scan_from", metavar="SPEC", required=True,
                      help="the release the code was written for (any --versions spec). "
                      "Example: --from 1.15")
    scan.add_argument("--to", dest="scan_to", metavar="SPEC", required=True,
                      help="the release it is moving to. Example: --to 2.15")
    scan.add_argument(
        "--pin", metavar="RELEASE", default=None,
        help="rewrite each call that relies on a changing default so that it passes the "
        "arguments keeping RELEASE's behaviour in the other release (RELEASE is the --from "
        "or --to spec); formatting and comments are kept, imports added only when needed; "
        "what cannot be pinned is listed with the reason. Example: --pin 1.15",
    )
    scan.add_argument("--diff", action="store_true", default=False,
                      help="with --pin: print the unified diff and write nothing. "
                      "Example: --pin 1.15 --diff")
    scan.add_argument("--check", action="store_true", default=False,
                      help="exit 1 when any call relies on a default that changes (for CI "
                      "and pre-commit). Example: --check")
    scan.add_argument("--format", dest="scan_format", choices=("text", "json"),
                      default="text",
                      help="what to print: text (grouped by file, default) or json (the "
                      "document of docs/scan-json.md). Example: --format json")
    scan.add_argument("--out", dest="scan_out", metavar="DIR", default=None,
                      help="also write DIR/index.html (with a 'Your code' section) and "
                      "DIR/scan.json. Example: --out reports/scan")
    scan.add_argument("--all", dest="show_all", action="store_true", default=False,
                      help="text output: list every call found, not only those with changes. "
                      "Example: --all")
    scan.add_argument("--units", type=_positive_int, default=argparse.SUPPRESS, metavar="N",
                      help=f"units for shapes where the call gives none (default "
                      f"{defaults.UNITS}). Example: --units 128")
    scan.add_argument("--input-dim", type=_positive_int, default=argparse.SUPPRESS,
                      metavar="N", help=f"input feature size for the shapes (default "
                      f"{defaults.INPUT_DIM}). Example: --input-dim 16")
    _add_common(scan, sub=True)


def _add_cache_command(subs: Subparsers) -> None:
    """``tfinit-audit cache info|clear|prune``."""
    kinds = ("members, directories, index, plans, summaries, results, scratch, venvs; "
             "files = members,directories,plans; analysis = summaries,results; all")
    cache = subs.add_parser(
        "cache",
        help="show, prune or clear the on-disk cache",
        description="Inspect, prune or empty the cache of fetched files, index answers and "
        "analysis results.",
        epilog="examples:\n  tfinit-audit cache info\n  tfinit-audit cache prune --max-size 500MB"
        "\n  tfinit-audit cache clear\n  tfinit-audit cache info --cache-dir /tmp/tfa-cache",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cache_subs = cache.add_subparsers(dest="cache_command", metavar="ACTION",
                                      parser_class=OneLineParser)
    info = cache_subs.add_parser(
        "info", help="where the cache is, how many files and bytes of each kind",
        description="Print the cache location, and the files and bytes of each kind it holds: "
        "members (files read from wheels, stored compressed as fetched), directories (zip "
        "directories), index (package-index answers), plans (what each release read, to "
        "prefetch the next of its family), summaries (module summaries), results (analysis and "
        "scan results), scratch (downloads in progress, locks), venvs (test virtualenvs).",
        epilog="example:\n  tfinit-audit cache info --cache-dir /tmp/tfa-cache",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    clear = cache_subs.add_parser(
        "clear", help="delete what the tool stored (files, index answers, analysis results)",
        description="Delete everything the tool stored in the cache: files read from wheels "
        "(members), zip directories (directories), package-index answers (index), read plans "
        "(plans), module summaries (summaries), analysis results (results), downloads in "
        "progress and locks (scratch). The test virtualenvs of scripts/setup-test-envs.sh "
        "(venvs) are kept unless named.",
        epilog="examples:\n  tfinit-audit cache clear\n  tfinit-audit cache clear --what analysis"
        "\n  tfinit-audit cache clear --what all        # the test virtualenvs too",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    clear.add_argument(
        "--what", metavar="KIND[,KIND]", default=None,
        help=f"only these kinds: {kinds} (default: all but venvs). Example: --what analysis,index",
    )
    prune = cache_subs.add_parser(
        "prune", help="remove entries not used for a while, or the least recently used ones "
        "until the cache fits a size",
        description="Remove cache entries by age and size: first every entry not used for "
        "--older-than, then the least recently used entries until what is left fits "
        "--max-size. Last use is the file's access time where the filesystem keeps it, else "
        "the time it was written. Pruning only costs time: a removed entry is fetched or "
        "computed again when a run needs it. The test virtualenvs and the locks are never "
        "pruned; a download in progress (scratch) only when older than a day.",
        epilog="examples:\n  tfinit-audit cache prune --max-size 500MB\n"
        "  tfinit-audit cache prune --older-than 30d\n"
        "  tfinit-audit cache prune --max-size 1G --what members --dry-run",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    prune.add_argument(
        "--max-size", metavar="SIZE", default=None,
        help="remove the least recently used entries until the kinds pruned hold at most SIZE "
        "(K, M, G, T: powers of 1024, as cache info shows sizes; a bare number is bytes). "
        "Example: --max-size 500MB",
    )
    prune.add_argument(
        "--older-than", metavar="AGE", default=None,
        help="remove entries not used for AGE (s, m, h, d, w). Example: --older-than 30d",
    )
    prune.add_argument(
        "--what", metavar="KIND[,KIND]", default=None,
        help=f"only these kinds: {kinds} (default: all the tool stores). Example: --what "
        "members",
    )
    prune.add_argument("--dry-run", action="store_true",
                       help="only say what would be removed. Example: --dry-run")
    for p in (cache, info, clear, prune):
        _add_common(p, sub=True)


def _target(text: str) -> str:
    """A target name, aliases mapped (torch -> pytorch); unknown names fail the choices."""
    key = text.strip().lower()
    return ALIASES.get(key, key)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be > 0")
    return value
