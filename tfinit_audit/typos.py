"""Names no release has (typos): the symbols asked for that every release that analysed fine
lacks, each with one line naming the closest public names (``analysis.suggest``); a run where
every symbol is one is a usage error. Part of the service layer (``pipeline.audit``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tfinit_audit.analysis.model import SymbolResult
from tfinit_audit.analysis.symbols import SymbolSpec
from tfinit_audit.errors import UsageError
from tfinit_audit.report.model import VersionReport
from tfinit_audit.sources import SourceContext
from tfinit_audit.stages import analysis_cache_dir, version_key


@dataclass(frozen=True)
class UnknownSymbol:
    spec: SymbolSpec
    line: str  # "tf.keras.layers.LTSM: no such public name in TensorFlow 2.15.1 (...); did ..."


def unknown_symbols(
    records: Sequence[VersionReport], specs: Sequence[SymbolSpec], ctx: SourceContext
) -> list[UnknownSymbol]:
    """The symbols absent in every release that analysed fine, each with one line naming the
    closest public names of those releases (``analysis.suggest``); the absent results'
    messages get the same suggestion."""
    from tfinit_audit.analysis.suggest import suggest  # the name resolver: only for typos

    ok = [r for r in records if r.status == "ok"]
    ok.sort(key=lambda r: version_key(r.label), reverse=True)  # suggest from the newest
    out: list[UnknownSymbol] = []
    for spec in specs:
        if spec.is_pattern:  # a pattern that lists nothing says so in its listing
            continue
        found = [_result_of(r, spec) for r in ok]
        results = [s for s in found if s is not None]
        if not results or len(results) != len(found) or any(
                s.status != "absent" for s in results):
            continue
        near: list[str] = []
        for r in ok:
            if r.tree is not None:
                near = suggest(r.tree, spec.name, cache_dir=analysis_cache_dir(ctx))
            if near:
                break
        hint = f"; did you mean {' or '.join(near)}?" if near else ""
        for s in results:
            s.message = (s.message or "absent") + hint
        labels = ", ".join(sorted({r.label for r in ok}, key=version_key))
        out.append(UnknownSymbol(spec, f"{spec.display()}: no such public name in TensorFlow "
                                       f"{labels}{_why_absent(ok, results, hint)}{hint}"))
    return out


def _why_absent(records: Sequence[VersionReport], results: Sequence[SymbolResult],
                hint: str) -> str:
    """`` (reason)`` when every release gives the same one, else each reason with the
    releases that give it (1.0 names where it has the class instead; 2.16 does not)."""
    by_reason: dict[str, list[str]] = {}
    for r, s in zip(records, results, strict=True):
        if s.message:
            by_reason.setdefault(s.message.removesuffix(hint), []).append(r.label)
    if len(by_reason) <= 1:
        return f" ({next(iter(by_reason))})" if by_reason else ""
    return " (" + " · ".join(
        f"{', '.join(sorted(labels, key=version_key))}: {why}"
        for why, labels in sorted(by_reason.items(), key=lambda kv: version_key(kv[1][-1]))
    ) + ")"


def _result_of(record: VersionReport, spec: SymbolSpec) -> SymbolResult | None:
    """The result a release has for one named spec (asked for under its name or a twin)."""
    names = {spec.display(n) for n in (spec.name, *spec.alternatives)}
    return next((s for s in record.symbols if s.symbol in names), None)


def raise_if_nothing_known(unknown: Sequence[UnknownSymbol], specs: Sequence[SymbolSpec],
                           records: Sequence[VersionReport] = ()) -> None:
    """Every symbol asked for is unknown in every release: a usage error (exit 2), one line.
    Not when a release failed: it was not audited, and its error is the report's news."""
    if unknown and len(unknown) == len(specs) and all(r.status == "ok" for r in records):
        raise UsageError("; ".join(u.line for u in unknown))
