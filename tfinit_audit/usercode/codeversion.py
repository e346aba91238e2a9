"""The hash of the code whose answers the user-code caches hold (they die with that code)."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """Hash of the analysis and user-code sources: cached entries die with the code."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for sub in ("analysis", "usercode"):
        for path in sorted((root / sub).rglob("*.py")):
            h.update(path.relative_to(root).as_posix().encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:32]
