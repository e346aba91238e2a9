"""Progress on stderr for the CLI (rich). The pipeline only sees plain callables: ``note`` for
stage lines, ``status`` for finer ones, and the object itself for download byte counts."""

from __future__ import annotations

import sys
import threading
from typing import Any

from tfinit_audit.cli.parser import PROG


class Progress:
    """Rich progress on stderr: a live status line and bars for full downloads on a terminal;
    elsewhere only the stage lines, one per line."""

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
        """Bytes of one whole-wheel download (``sources`` ProgressFn)."""
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
