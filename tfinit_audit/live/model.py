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
    python: str  # the interpreter as named (--python), or this interpreter's path
    python_version: str
    tensorflow: str | None
    keras: str | None
    symbols: list[LiveSymbol] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0
    # what the live values were compared with: the static answer of the release installed for
    # ``python``, audited from its installed files (source ``static_source``); ``requested``
    # whether that release is one of the report's versions, ``version_index`` that entry
    static_source: str = "installed"
    static_release: str | None = None
    requested: bool = False
    version_index: int | None = None

    @property
    def summary(self) -> dict[str, int]:
        counts = {"agree": 0, "disagree": 0, "inconclusive": 0}
        for s in self.symbols:
            for w in s.weights:
                counts[w.verdict] = counts.get(w.verdict, 0) + 1
        return counts
