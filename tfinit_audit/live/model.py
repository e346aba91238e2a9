"""Typed results of live verification (DESIGN.md §4 ``live``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class LiveWeight:
    name: str
    shape: list[int] | None
    verdict: str  # agree | disagree | inconclusive
    evidence: dict[str, Any] = field(default_factory=dict)
    # optional samples kept for charts in the HTML report (a few hundred values at most)
    samples: list[float] | None = None


@dataclass
class LiveSymbol:
    symbol: str
    status: str  # ok | unavailable | error | absent | skipped (needs-args: not built)
    message: str | None = None
    runtime_file: str | None = None  # relative to site-packages
    static_file: str | None = None
    file_agrees: bool | None = None
    weights: list[LiveWeight] = field(default_factory=list)


@dataclass
class LiveRun:
    python: str  # interpreter path
    python_version: str
    tensorflow: str | None
    keras: str | None
    symbols: list[LiveSymbol] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0

    @property
    def summary(self) -> dict[str, int]:
        counts = {"agree": 0, "disagree": 0, "inconclusive": 0}
        for s in self.symbols:
            for w in s.weights:
                counts[w.verdict] = counts.get(w.verdict, 0) + 1
        return counts
