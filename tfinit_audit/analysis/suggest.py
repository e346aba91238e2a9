"""Front end for typos: the public names of a release closest to one it does not have.

``tf.keras.layers.LTSM`` is absent: the longest prefix the release has (``tf.keras.layers``) is
a module, its public names are read from the release itself (the names its module binds, its
classes and functions, its ``__all__``, its subpackages), the closest to ``LTSM`` are taken
(``difflib``, case-insensitive) and each candidate is resolved like any public name before it is
offered, so a suggestion always exists in that release. No list of names is built in.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from tfinit_audit.analysis.names import Resolver
from tfinit_audit.sources.base import SourceTree

CUTOFF = 0.5  # difflib ratio below which a name is not offered


def suggest(tree: SourceTree, public_name: str, *, n: int = 3,
            cache_dir: Path | None = None) -> list[str]:
    """Up to ``n`` public names of ``tree`` close to ``public_name`` (which it lacks)."""
    resolver = Resolver(tree, cache_dir=cache_dir)
    parts = public_name.split(".")
    k = _first_missing(resolver, parts)
    if k is None or k == 0:
        return []
    prefix, wrong, rest = parts[:k], parts[k], parts[k + 1 :]
    names = _public_names(resolver, tree, ".".join(prefix))
    out: list[str] = []
    for match in _close(wrong, names):
        cand = ".".join([*prefix, match, *rest])
        if cand != public_name and resolver.resolve_public(cand).status == "found":
            out.append(cand)
        if len(out) >= n:
            break
    return out


def _first_missing(resolver: Resolver, parts: list[str]) -> int | None:
    """Index of the first part the release lacks (``None``: it has them all)."""
    for k in range(1, len(parts) + 1):
        if resolver.resolve_public(".".join(parts[:k])).status != "found":
            return k - 1 if k > 1 else 0
    return None


def _public_names(resolver: Resolver, tree: SourceTree, dotted: str) -> list[str]:
    """Names a public module offers: what its module binds, defines or lists in ``__all__``,
    and its subpackages and submodules; private (``_x``) names left out."""
    res = resolver.resolve_public(dotted)
    d = res.definition
    if d is None or d.kind != "module":
        return []
    names: set[str] = set()
    summary = resolver.module(d.module)
    if summary is not None:
        names.update(b.name for b in summary.bindings)
        names.update(summary.classes)
        names.update(summary.functions)
        names.update(summary.all_names or [])
    path = d.location.path if d.location else None
    if path and path.endswith("/__init__.py"):
        base = path[: -len("__init__.py")]
        for p in tree.list(base.rstrip("/")):
            child = p[len(base):].split("/", 1)[0]
            names.add(child[:-3] if child.endswith(".py") else child)
    return sorted(x for x in names if x and not x.startswith("_") and x.isidentifier())


def _close(word: str, names: list[str]) -> list[str]:
    """``names`` closest to ``word``, best first; case is ignored for the comparison."""
    lower: dict[str, list[str]] = {}
    for name in names:
        lower.setdefault(name.lower(), []).append(name)
    hits = difflib.get_close_matches(word.lower(), list(lower), n=8, cutoff=CUTOFF)
    return [name for h in hits for name in lower[h]]
