"""The one exception family of the tool, and the exit codes the CLI maps it to.

Everything the Python API (``tfinit_audit.audit`` ...) raises on bad input or a failed fetch is an
``AuditError``; the CLI prints it as one line on stderr and exits with its ``exit_code``.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1  # findings the user asked to fail on (e.g. --fail-on-mismatch)
EXIT_USAGE = 2  # bad arguments or input
EXIT_FETCH = 3  # network / package index / download problem


class AuditError(Exception):
    """Base class: a problem to report in one line, with the exit code it maps to."""

    exit_code = EXIT_USAGE


class UsageError(AuditError):
    """Bad input from the user (unknown version, bad symbol spec, missing path)."""

    exit_code = EXIT_USAGE


class FetchError(AuditError):
    """The index or a file host failed, or the cache lacks something in --offline mode."""

    exit_code = EXIT_FETCH


class AnalysisError(AuditError):
    """One release could not be analysed: an internal error of the analysis, or the worker
    process analysing it died. That release fails (exit code 3, as one that could not be
    fetched); the others are analysed and reported."""

    exit_code = EXIT_FETCH


class ReleaseError(FetchError):
    """The one release a job needs (``explain``) could not be fetched or analysed."""

    def __init__(self, requested: str, reason: str) -> None:
        super().__init__(f"{requested}: {reason}")
        self.requested = requested  # the spec as asked, e.g. "1.8"
        self.reason = reason  # the one-line error of that release


def one_line(exc: BaseException | None) -> str:
    """The first line of an error's message (its class name when the message is empty)."""
    if exc is None:
        return "unknown error"
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
