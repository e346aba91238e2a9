"""Answers as ranges of releases: per matrix row and weight, the consecutive releases of the
report that give that weight the same answer (``1.2.0–1.15.5 glorot_uniform · 2.0.0–2.15.1
zeros``), and the releases where the symbol has no answer (absent, unavailable, error). The
terminal summary uses this when the matrix does not fit the width; it reads the same view as
every other renderer (``view.Row``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tfinit_audit.analysis.model import Weight
from tfinit_audit.report import fmt
from tfinit_audit.report.view import Cell, Row


@dataclass
class Segment:
    """Releases ``first``..``last`` (indexes into the report's releases) with one answer."""

    first: int
    last: int
    text: str
    status: str = "resolved"  # of the symbol, for styling: resolved | partial | absent | ...
    key: Any = None

    def label(self, labels: list[str]) -> str:
        """``1.8.0``; up to three releases listed, ``1.8.0, 1.10.1``; more as ``a–b``."""
        members = labels[self.first:self.last + 1]
        return ", ".join(members) if len(members) <= 3 else f"{members[0]}–{members[-1]}"


@dataclass
class WeightRanges:
    name: str  # weight name; "" for a row whose symbol never has a weight
    segments: list[Segment] = field(default_factory=list)


@dataclass
class RowRanges:
    key: str
    names: list[Segment]  # the public name asked for (text), where it is not the row key
    statuses: list[tuple[str, list[Segment]]]  # absent / unavailable / error / missing: where
    weights: list[WeightRanges]  # each weight where the symbol has it


def init_text(w: Weight, with_shape: bool) -> str:
    """A weight's answer in words: ``glorot_uniform``, ``zeros +forget_bias=1.0``,
    ``random_uniform(-0.05,0.05) [100, 16]`` (shape when ``with_shape``), ``(if cond)``."""
    out = fmt.init_short(w.initializer, long=True)
    for a in w.runtime_adjustments:
        out += " " + fmt.adjustment_short(a)
    if with_shape:
        out += " " + (fmt.shape_text(w.shape) if w.shape is not None else "(shape unknown)")
    if w.condition:
        out += f" (if {w.condition})"
    return out


NO_ANSWER = ("absent", "unavailable", "error", "missing")


def row_ranges(row: Row) -> RowRanges:
    """The row's answers as ranges: where the symbol has no answer (by status), the name it was
    asked by, and per weight (in order of first appearance) the ranges of equal answers over
    the releases that create it. A weight's shape is shown when it is not the same everywhere."""
    names: list[str] = []
    shapes: dict[str, set[Any]] = {}
    for cell in row.cells:
        if cell.symbol is not None and cell.status not in NO_ANSWER:
            for w in cell.symbol.weights:
                if w.name not in names:
                    names.append(w.name)
                shapes.setdefault(w.name, set()).add(None if w.shape is None else tuple(w.shape))
    weights = [WeightRanges(n) for n in names]
    for line in weights:
        varies = len(shapes.get(line.name, ())) > 1
        for cell in row.cells:
            made = _weight(cell, line.name)
            if made is not None:
                text = init_text(made, varies)
                key = (text, fmt.init_signature(made.initializer), made.shape, made.condition,
                       tuple(fmt.adjustment_long(a) for a in made.runtime_adjustments))
                _extend(line.segments, cell.version_index, text, cell.status, key)
    statuses: dict[str, list[Segment]] = {}
    nameless: list[Segment] = []
    concrete: list[Segment] = []
    for cell in row.cells:
        i = cell.version_index
        if cell.status in NO_ANSWER:
            _extend(statuses.setdefault(cell.status, []), i, cell.status, cell.status)
        elif not cell.symbol or not cell.symbol.weights:
            _extend(nameless, i, _no_weight_text(cell), cell.status)
        if cell.concrete_name:
            _extend(concrete, i, cell.concrete_name)
    if nameless:
        weights.append(WeightRanges("", nameless))
    return RowRanges(row.key, concrete, list(statuses.items()), weights)


def _no_weight_text(cell: Cell) -> str:
    """Why a release shows no weight: not built (the arguments it needs), or none found."""
    s = cell.symbol
    if s is not None and cell.status == "needs-args":
        return "not built: needs " + (", ".join(s.missing_arguments) or "arguments")
    if s is not None and cell.status == "partial" and s.message:
        return f"partial: {s.message}"
    return "no weights"


def _weight(cell: Cell, name: str) -> Weight | None:
    if cell.symbol is None or cell.status in NO_ANSWER:
        return None
    return next((w for w in cell.symbol.weights if w.name == name), None)


def _extend(segs: list[Segment], i: int, text: str, status: str = "resolved",
            key: Any = None) -> None:
    """Add release ``i`` to the last segment when it continues it with the same answer."""
    key = key if key is not None else text
    if segs and segs[-1].key == key and segs[-1].last == i - 1:
        segs[-1].last = i
    else:
        segs.append(Segment(i, i, text, status, key))
