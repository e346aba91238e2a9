"""Compare two report.json files on everything the analysis decides, ignoring timings.

    .venv/bin/python benchmarks/compare_reports.py BEFORE/report.json AFTER/report.json

Made for refactors that must not change a single answer: per release and symbol it compares
status, message, defined_in, every weight (name, shape, shape_expr, condition, initializer with
its numbers, fallback, every provenance hop, runtime adjustments) and every fact. Ignored: when
and how fast (``generated_at``, ``command``, ``fetch``, ``analysis_seconds``), the tool version,
and the live section (it depends on the interpreter the report was made with). Reads both
forms of report.json (``full``, and ``compact`` with its shared ``hops`` table, which is expanded
first), so a full report made before a change compares with a compact one made after. A field
one report lacks while the other has it empty (``[]``, ``{}``, ``null``) is a field added to the
contract since (report.json only ever adds fields), not a difference. Prints each difference as
``release symbol path: before -> after``; exit status 0 when there is none, 1 otherwise, 2 on
unreadable input.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from typing import Any

from tfinit_audit.report.json_report import expand

IGNORED_VERSION_KEYS = {"fetch", "analysis_seconds"}
EMPTY: tuple[Any, ...] = ([], {}, None)


def _load(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError) as exc:
        print(f"compare_reports: cannot read {path}: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    if not isinstance(data, dict) or "versions" not in data:
        print(f"compare_reports: {path} is not a tfinit-audit report.json", file=sys.stderr)
        raise SystemExit(2)
    try:
        return expand(data)
    except ValueError as exc:
        print(f"compare_reports: {path}: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def _diff(a: Any, b: Any, where: str) -> Iterator[str]:
    """Paths where ``a`` and ``b`` differ (dicts by key, lists by position)."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            if (k not in a and b[k] in EMPTY) or (k not in b and a[k] in EMPTY):
                continue  # a field added since, still empty: nothing was decided differently
            if k not in a:
                yield f"{where}.{k}: (absent) -> {_short(b[k])}"
            elif k not in b:
                yield f"{where}.{k}: {_short(a[k])} -> (absent)"
            else:
                yield from _diff(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list) and isinstance(b, list):
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            yield from _diff(x, y, f"{where}[{i}]")
        if len(a) != len(b):
            yield f"{where}: {len(a)} items -> {len(b)} items"
    elif a != b or type(a) is not type(b):
        yield f"{where}: {_short(a)} -> {_short(b)}"


def _short(v: Any) -> str:
    text = json.dumps(v, sort_keys=True)
    return text if len(text) <= 160 else text[:157] + "..."


def _versions(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out = {}
    for v in report["versions"]:
        key = str(v.get("tensorflow") or v.get("requested"))
        out[key] = {k: x for k, x in v.items() if k not in IGNORED_VERSION_KEYS}
    return out


def compare(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Every difference of decided answers; either document may be in either form."""
    before, after = expand(before), expand(after)
    diffs: list[str] = []
    diffs += list(_diff(before.get("dims"), after.get("dims"), "dims"))
    va, vb = _versions(before), _versions(after)
    for rel in sorted(set(va) | set(vb)):
        if rel not in vb:
            diffs.append(f"{rel}: release missing after")
            continue
        if rel not in va:
            diffs.append(f"{rel}: release new after")
            continue
        a, b = dict(va[rel]), dict(vb[rel])
        sa = {s["symbol"]: s for s in a.pop("symbols", [])}
        sb = {s["symbol"]: s for s in b.pop("symbols", [])}
        diffs += list(_diff(a, b, rel))
        for sym in list(sa) + [s for s in sb if s not in sa]:
            if sym not in sb:
                diffs.append(f"{rel} {sym}: symbol missing after")
            elif sym not in sa:
                diffs.append(f"{rel} {sym}: symbol new after")
            else:
                diffs += list(_diff(sa[sym], sb[sym], f"{rel} {sym}"))
    return diffs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("before", help="report.json made before the change")
    ap.add_argument("after", help="report.json made after the change")
    ap.add_argument("--limit", type=int, default=200, help="print at most N differences")
    args = ap.parse_args(argv)
    diffs = compare(_load(args.before), _load(args.after))
    for d in diffs[: args.limit]:
        print(d)
    if len(diffs) > args.limit:
        print(f"... and {len(diffs) - args.limit} more")
    n = len(_versions(_load(args.after)))
    print(f"{len(diffs)} difference(s) over {n} release(s)", file=sys.stderr)
    return 1 if diffs else 0


if __name__ == "__main__":
    raise SystemExit(main())
