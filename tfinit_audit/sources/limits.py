"""Resource bounds on everything that comes from outside: index answers, wheels, local trees.

Each bound sits far above what any real TensorFlow release needs (measured on the releases
1.8-2.21: the largest Python source in a wheel is 0.75 MB, the largest wheel directory 22,494
members / ~3 MB, the largest index answer ~2 MB, a whole audit of one release 2-10 MB and a few
hundred files), so a real run never meets one, while a hostile or broken input (a zip bomb, a
server that answers slowly or without end, a directory that claims gigabytes) fails the release
it belongs to with one line naming the bound, instead of filling memory, disk or time.

Every bound can be changed with an environment variable (bytes, files or seconds; read where
it is used; a value that is not a number > 0 is a usage error). ``tfinit-audit --help`` lists
them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from tfinit_audit.errors import UsageError

MiB = 1024 * 1024


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0 or value == float("inf"):
        raise UsageError(f"{name}={raw!r}: a bound must be a number > 0")
    return value


@dataclass(frozen=True)
class Bound:
    """One bound: its value, the environment variable that changes it, what it limits."""

    name: str
    env: str
    default: float
    unit: str  # "bytes" | "files" | "seconds" | "redirects" | "members"
    what: str

    @property
    def value(self) -> float:
        return _env_number(self.env, self.default)

    def text(self, value: float | None = None) -> str:
        """``16 MiB`` / ``60 s`` / ``10000 files``: the bound as a message shows it."""
        v = self.value if value is None else value
        if self.unit == "bytes":
            return human(int(v))
        if self.unit == "seconds":
            return f"{v:g} s"
        return f"{int(v)} {self.unit}"


def human(n: int) -> str:
    """Bytes as the messages and docs show them: ``16 MiB``, ``1.5 GiB``, ``700 bytes``."""
    for unit, size in (("GiB", 1024**3), ("MiB", MiB), ("KiB", 1024)):
        if n >= size:
            v = n / size
            return f"{v:.0f} {unit}" if v == int(v) else f"{v:.1f} {unit}"
    return f"{n} bytes"


MEMBER = Bound("member", "TFINIT_AUDIT_MAX_MEMBER", 16 * MiB, "bytes",
               "one file read from a wheel or a local tree (declared and inflated size)")
DIRECTORY = Bound("directory", "TFINIT_AUDIT_MAX_DIRECTORY", 32 * MiB, "bytes",
                  "a wheel's zip central directory")
MEMBERS = Bound("members", "TFINIT_AUDIT_MAX_MEMBERS", 200_000, "members",
                "entries in a wheel's zip directory")
ANSWER = Bound("answer", "TFINIT_AUDIT_MAX_ANSWER", 64 * MiB, "bytes",
               "one answer of the package index (or GitHub)")
DEADLINE = Bound("deadline", "TFINIT_AUDIT_READ_DEADLINE", 120.0, "seconds",
                 "one request, from sending it to the last byte of the answer (slow servers)")
REDIRECTS = Bound("redirects", "TFINIT_AUDIT_MAX_REDIRECTS", 5, "redirects",
                  "redirects followed for one request")
RELEASE_BYTES = Bound("release bytes", "TFINIT_AUDIT_MAX_RELEASE_BYTES", 256 * MiB, "bytes",
                      "bytes read by range requests for one release (all its wheels)")
FILES = Bound("files", "TFINIT_AUDIT_MAX_FILES", 10_000, "files",
              "distinct files read for one release")
TREE_FILES = Bound("tree files", "TFINIT_AUDIT_MAX_TREE_FILES", 500_000, "files",
                   "files listed below the packages of a dir: tree")
DOWNLOAD = Bound("download", "TFINIT_AUDIT_MAX_DOWNLOAD", 2 * 1024 * MiB, "bytes",
                 "a whole-wheel download (only when a server ignores Range requests)")

ALL = (MEMBER, DIRECTORY, MEMBERS, ANSWER, DEADLINE, REDIRECTS, RELEASE_BYTES, FILES,
       TREE_FILES, DOWNLOAD)
# A whole-wheel download may take longer than one read: the deadline plus this rate.
DOWNLOAD_MIN_RATE = 256 * 1024  # bytes per second


def check_environment() -> None:
    """UsageError for any bound variable that is set to something that is not a number > 0
    (checked when a job starts, not when a bound is first met)."""
    for b in ALL:
        _ = b.value
