"""What the command line can start before it imports the tool proper (~0.15 s of imports):
the worker processes' server, when the run will surely hand its analyses to workers.

The server (``workers.prepare``) imports the analysis (~0.25 s) in a process of its own; the
first worker forks from it once that is done. Started from ``pipeline.audit``, it is asked for
~0.2 s into a run; started here, once the arguments are parsed (~0.12 s in), it imports while
this process imports the rest and asks the index: the first task of a cold 3-release run
started ~0.53 s in rather than ~0.60 s (the wall time gained is smaller, the 2 CPUs being busy
either way: ~0.04 s of 1.85 s with every file cached). Only when it will be used: the version
specs may name several releases, the source is not local, more than one job, and the cache
holds no stored analysis at all (on a warm cache, whether any release needs analysing is known
only later: ``stages.start_workers`` asks then, as it always does).

Light on purpose: the standard library and platformdirs. The few facts it needs that other
modules know too (the default cache directory, which sources are local, which version specs
may name several releases) are defined here and imported there.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import platformdirs

APP = "tfinit-audit"
ENV_CACHE = "TFINIT_AUDIT_CACHE"
LOCAL_KINDS = ("dir", "wheel", "installed")  # sources read from this machine
_OPERATORS = ("<", ">", "=", "!", "~")  # a version spec starting with one is a specifier set


def default_cache_dir() -> Path:
    """``$TFINIT_AUDIT_CACHE``, else the user cache directory."""
    env = os.environ.get(ENV_CACHE)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_cache_dir(APP, appauthor=False))


def may_name_several(specs: Sequence[str]) -> bool:
    """Whether version ``specs`` can stand for more than one release (known before the index is
    asked): more than one spec, ``all``, or a PEP 440 specifier set."""
    if len(specs) > 1:
        return True
    return any(s.strip().lower() == "all" or s.strip()[:1] in _OPERATORS or "," in s
               for s in specs)


def is_local_source(source: str) -> bool:
    """Whether ``--source`` text names files on this machine (``dir:``, ``wheel:``,
    ``installed``)."""
    return source.partition(":")[0].strip().lower() in LOCAL_KINDS


def anything_stored(cache_dir: str | os.PathLike[str] | None) -> bool:
    """Whether the cache holds any stored analysis (of any specs, sizes or code version)."""
    root = Path(cache_dir).expanduser() if cache_dir else default_cache_dir()
    try:
        families = [e.path for e in os.scandir(root / "analysis" / "results") if e.is_dir()]
    except OSError:  # no such directory: a cold cache
        return False
    for family in families:
        try:
            if any(name.endswith(".pkl") for name in os.listdir(family)):
                return True
        except OSError:
            continue
    return False


def start_workers_early(versions: Sequence[str] | None, source: str,
                        cache_dir: str | os.PathLike[str] | None, jobs: int | None) -> bool:
    """Start the worker processes' server now if the run will surely use it (module
    docstring); True when it was asked to start. Never fails: a server that cannot start is
    found out (and done without) when the first task is handed over."""
    from tfinit_audit import workers

    if not versions or not may_name_several(versions) or is_local_source(source):
        return False
    if (jobs or workers.default_jobs()) <= 1 or anything_stored(cache_dir):
        return False
    try:
        workers.prepare()
    except (OSError, ImportError, ValueError):
        return False
    return True
