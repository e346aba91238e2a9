"""Task functions for tests/test_workers.py: module level, so a worker process can import them
by name (as it imports the pipeline's own task)."""

from __future__ import annotations

import gc
import os
import signal
import time


def record(item: int, die_on: tuple[int, ...] = (), fail_on: tuple[int, ...] = ()) -> tuple:
    """(item, worker pid, start, end); a worker given an item of ``die_on`` is killed (as the
    kernel's out-of-memory killer would), one of ``fail_on`` raises."""
    start = time.monotonic()
    if item in die_on:
        os.kill(os.getpid(), signal.SIGKILL)
    if item in fail_on:
        raise ValueError(f"task {item} failed")
    time.sleep(0.05)
    return item, os.getpid(), start, time.monotonic()


def env_value(name: str) -> str | None:
    return os.environ.get(name)


def collector_on() -> tuple[int, bool]:
    """(worker pid, is the cyclic garbage collector on in it)."""
    return os.getpid(), gc.isenabled()


def tls_contexts() -> int:
    """How many TLS contexts this worker has made (or inherited) before any request."""
    from tfinit_audit.sources import transport

    return len(transport._TLS_CONTEXTS)
