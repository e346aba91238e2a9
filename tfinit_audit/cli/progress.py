"""Progress on stderr for the CLI (rich). The pipeline only sees plain callables: ``note`` for
stage lines, ``status`` for finer ones, ``step`` for each release entering a stage and
finishing (``pipeline.Step``), and the object itself for download byte counts.

On a terminal: a live line with releases done/total, a bar, what each release in flight is
doing and an estimate of the time left, plus a line for the symbol being analysed; it is gone
when the job ends. Elsewhere (a pipe, a CI log): the stage lines, and one line per release when
it is done, with the count and the estimate -- never a line per symbol or per file."""

from __future__ import annotations

import math
import sys
import threading
import time
from typing import TYPE_CHECKING, Any, TextIO

from tfinit_audit.cli.parser import PROG

if TYPE_CHECKING:
    from tfinit_audit.pipeline import Step

BAR = 20  # cells of the releases' bar on a terminal wide enough
MIN_BAR = 8  # ...and on a narrow one
STAGE_WORDS = {"resolve": "resolving", "fetch": "fetching", "analyse": "analysing",
               "verify": "verifying"}


def duration(seconds: float) -> str:
    """``45s``, ``3m 05s``, ``1h 02m``."""
    s = max(0, round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60:02d}s"
    return f"{s // 3600}h {(s % 3600) // 60:02d}m"


class Releases:
    """The count of a job's releases: done/total, errors, what each one in flight is doing, and
    the time left.

    The time left is the pace of the analyses finished so far (counted from the first analysis
    on: fetching opens every release first) applied to the releases not done, each weighed by
    the square root of the size of its package files when the job says it (``Step.size``):
    later releases are larger and take longer. Replayed on a cold ``--versions all --no-live``
    run (102 releases, 130 s, files cached) that estimate was off by a median 6 % (p90 26 %)
    against 46 % (69 %) with every release counted the same; on a warm run (5 s) it says a
    few seconds too many; on a machine whose load changes during the run, neither holds
    (benchmarks/progress_eta.py)."""

    def __init__(self, clock: Any = time.monotonic) -> None:
        self.clock = clock
        self.total = 0
        self.done = 0
        self.errors = 0
        self.stage = ""
        self.busy: dict[str, str] = {}  # release -> stage, in order of start
        self.analysing: set[str] = set()  # releases whose analysis started
        self.analysed = 0  # ...and finished
        self.started: float | None = None  # the first analysis
        self.weights: dict[str, float] = {}  # release -> weight (sqrt of its size), when known
        self.finished: set[str] = set()  # done releases
        self.analysed_weight = 0.0

    def update(self, step: Step) -> None:
        if step.total:
            self.total = step.total
        if step.stage == "done":
            self.busy.pop(step.release, None)
            self.done += 1
            self.errors += step.status == "error"
            self.finished.add(step.release)
            if step.release in self.analysing:
                self.analysed += 1
                self.analysed_weight += self.weight(step.release)
            return
        if step.stage == "queued" and step.size > 0:
            self.weights[step.release] = math.sqrt(step.size)
        if step.release and step.index >= 0:
            self.busy.pop(step.release, None)
            self.busy[step.release] = step.stage
        if step.stage == "analyse":
            self.analysing.add(step.release)
            if self.started is None:
                self.started = self.clock()
        if step.stage != "queued":
            self.stage = step.stage

    def weight(self, release: str) -> float:
        """A release's share of the work: relative to the others whose size is known."""
        if not self.weights:
            return 1.0
        w = self.weights.get(release)
        return w if w is not None else sum(self.weights.values()) / len(self.weights)

    def eta(self) -> float | None:
        """Seconds left; None until an analysis has finished (or when all are done)."""
        left = self.total - self.done
        if left <= 0 or not self.analysed or self.started is None or not self.analysed_weight:
            return None
        known = [r for r in self.weights if r not in self.finished]
        unseen = max(0, left - len(known))  # releases not opened yet: an average one each
        left_weight = sum(self.weight(r) for r in known) + unseen * self.weight("")
        return (self.clock() - self.started) / self.analysed_weight * left_weight

    def counts(self) -> str:
        text = f"[{self.done}/{self.total}]" if self.total else ""
        if self.errors:
            text += f" {self.errors} error{'s' if self.errors != 1 else ''}"
        return text

    def eta_text(self) -> str:
        eta = self.eta()
        return f"ETA {duration(eta)}" if eta is not None else ""

    def in_flight(self, limit: int = 4) -> str:
        by_stage: dict[str, list[str]] = {}
        for release, stage in self.busy.items():
            by_stage.setdefault(stage, []).append(release)
        queued = len(by_stage.pop("queued", []))
        parts = []
        order = list(STAGE_WORDS)[::-1]  # the later stage first: analysing before fetching
        for stage, releases in sorted(by_stage.items(), key=lambda kv: order.index(kv[0])
                                      if kv[0] in order else len(order)):
            shown = ", ".join(releases[:limit]) + (f" +{len(releases) - limit}"
                                                   if len(releases) > limit else "")
            parts.append(f"{STAGE_WORDS.get(stage, stage)} {shown}")
        if queued:
            parts.append(f"{queued} queued")
        if not parts and self.stage in STAGE_WORDS and not (self.total and
                                                            self.done >= self.total):
            parts.append(STAGE_WORDS[self.stage])
        return " · ".join(parts)


class Progress:
    """Rich progress on stderr: a live release line, a status line and bars for full downloads
    on a terminal; elsewhere only the stage lines and one line per finished release."""

    def __init__(self, enabled: bool = True, file: TextIO | None = None,
                 terminal: bool | None = None, clock: Any = time.monotonic) -> None:
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
        from rich.spinner import Spinner
        from rich.table import Column

        self.file = file
        self.console = Console(stderr=file is None, file=file, force_terminal=terminal)
        self.enabled = enabled and self.console.is_terminal
        self._rich = RichProgress(
            SpinnerColumn(), TextColumn("{task.description}", markup=False), BarColumn(),
            DownloadColumn(),
            console=self.console, transient=True, disable=not self.enabled,
        )
        self._status_line = RichProgress(
            SpinnerColumn(), TextColumn("{task.description}", markup=False, table_column=Column(
                no_wrap=True, overflow="ellipsis", ratio=1)),
            console=self.console, transient=True, disable=not self.enabled,
        )
        self._tasks: dict[str, Any] = {}
        self._status: Any = None
        self._spinner = Spinner("dots", style="progress.spinner")
        self._lock = threading.Lock()
        self.releases = Releases(clock)
        self.clock = clock
        self._live: Any = None

    def __enter__(self) -> Progress:
        if self.enabled:
            from rich.console import Group
            from rich.live import Live

            # one live display for the release line and the status/download lines
            self._live = Live(Group(_Renderable(self._release_line), self._status_line,
                                    self._rich),
                              console=self.console,
                              transient=True, refresh_per_second=8)
            self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.__exit__(None, None, None)
            self._live = None

    def refresh(self) -> None:
        """Draw the live lines now (they are also redrawn 8 times a second)."""
        if self._live is not None:
            self._live.refresh()

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
                self._status = self._status_line.add_task(text, total=None)
        self._status_line.update(self._status, description=text)

    def note(self, text: str) -> None:
        """A stage line: on a terminal it becomes the status line, elsewhere one stderr line."""
        if self.enabled:
            self.status(text)
        else:
            self._print(f"{PROG}: {text}")

    def step(self, step: Step) -> None:
        """A release entering a stage or finishing (``pipeline.Step``)."""
        with self._lock:
            r = self.releases
            first_fetch = step.stage == "fetch" and r.stage != "fetch" and not r.busy
            r.update(step)
            if self.enabled:
                return  # the live line reads the counts when it is drawn
            if r.total <= 1:  # the job's own lines say everything about one release
                return
            if first_fetch:
                self._print(f"{PROG}: fetching {r.total} releases")
            if step.stage == "done":
                what = "failed" if step.status == "error" else "analysed"  # said at the end
                bits = [b for b in (r.eta_text(),) if b]
                self._print(f"{PROG}: [{r.done}/{r.total}] {step.release} {what}"
                            + (f" · {' · '.join(bits)}" if bits else ""))

    def _release_line(self, width: int) -> Any:
        """The live release line, fitted to ``width``: spinner, counts, bar and time left whole
        (the bar narrower on a narrow terminal), then what is in flight -- as many releases
        named as fit, the rest cut with an ellipsis."""
        from rich.text import Text

        with self._lock:
            r = self.releases
            if not r.total and not r.stage:
                return Text("")
            counts, eta = r.counts(), r.eta_text()
            fixed = 2 + len(counts) + 1 + len(eta) + 2  # spinner, counts, time left, spaces
            for limit in (4, 3, 2, 1):
                busy = r.in_flight(limit)
                if fixed + MIN_BAR + len(busy) <= width:
                    break
            frac = r.done / r.total if r.total else 0.0
        line = Text()
        frame = self._spinner.render(self.clock())
        line.append_text(frame if isinstance(frame, Text) else Text(str(frame)))
        line.append(f" {counts} " if counts else " ")
        bar = max(MIN_BAR, min(BAR, width - fixed - len(busy)))
        filled = round(bar * frac)
        line.append("━" * filled, style="bar.complete" if frac < 1 else "bar.finished")
        line.append("─" * (bar - filled), style="bar.back")  # told apart without colour too
        if eta:
            line.append(f" {eta}", style="progress.remaining")
        if busy:
            line.append(f" {busy}")
        line.truncate(width, overflow="ellipsis")
        return line

    def _print(self, line: str) -> None:
        print(line, file=self.file or sys.stderr, flush=True)


class _Renderable:
    """A rich renderable drawn by a function of the width, each time the live display draws."""

    def __init__(self, draw: Any) -> None:
        self.draw = draw

    def __rich_console__(self, console: Any, options: Any) -> Any:
        yield self.draw(options.max_width)
