"""Errors that the CLI turns into one line on stderr and a documented exit code."""

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
