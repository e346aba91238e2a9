"""A cheap, regex-level scan of a Python file's imports, mapped to files of a tree.

Why not ``ast``: this runs on every file fetched over the network, only to guess which files
the analysis will ask for next (speculative prefetch); a guess that is wrong costs a few
bytes, never an answer. The analysis parses files properly itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator

# `import a.b as c, d` and `from .x import (y, z)` at the start of a line. Only unindented
# (module-level) statements unless ``indented``: imports inside functions are usually lazy
# ones the analysis does not follow.
_IMPORT = re.compile(
    r"^(?P<ind>[ \t]*)(?:import[ \t]+(?P<mods>[^\n#;]+)"
    r"|from[ \t]+(?P<src>\.*[\w.]*)[ \t]+import[ \t]+(?P<names>\([^)]*\)|[^\n#;]+))",
    re.M,
)
_NAME = re.compile(r"[A-Za-z_][\w.]*")


def package_of_path(path: str) -> str:
    """Dotted package that relative imports in ``path`` resolve against."""
    parts = path[:-3].split("/") if path.endswith(".py") else path.split("/")
    return ".".join(parts[:-1])


def scan_imports(text: str, path: str, *, indented: bool = False) -> Iterator[tuple[str, str]]:
    """(module, imported name or "") pairs of the import statements in ``text``.

    ``from a.b import c`` gives ("a.b", "c"); ``import a.b`` gives ("a.b", ""); relative
    sources are resolved against ``path``'s package; a relative import beyond the top is
    dropped. Star imports give ("a.b", "").
    """
    for mod, name, deep in _scan(text, path):
        if indented or not deep:
            yield mod, name


def _scan(text: str, path: str) -> Iterator[tuple[str, str, bool]]:
    """scan_imports' pairs, each with whether its statement is indented."""
    pkg: list[str] | None = None
    for m in _IMPORT.finditer(text):
        deep = bool(m.group("ind"))
        mods = m.group("mods")
        if mods is not None:
            for item in mods.replace("\\", " ").split(","):
                name = _NAME.match(item.strip())
                if name:
                    yield name.group(0).rstrip("."), "", deep
            continue
        src = m.group("src") or ""
        level = len(src) - len(src.lstrip("."))
        base = src[level:]
        if level:
            if pkg is None:
                pkg = package_of_path(path).split(".") if package_of_path(path) else []
            up = level - 1
            if up > len(pkg):
                continue
            head = pkg[: len(pkg) - up]
            base = ".".join([*head, base] if base else head)
        if not base:
            continue
        names = m.group("names").strip().strip("()").replace("\\", " ")
        got = False
        for item in names.split(","):
            name = _NAME.match(item.strip())
            if name and name.group(0) != "*" and "." not in name.group(0):
                got = True
                yield base, name.group(0), deep
        if not got:
            yield base, "", deep


def module_files(dotted: str, has: Callable[[str], bool]) -> list[str]:
    """Files Python would load for ``import dotted``: each package's ``__init__.py`` on the
    way down, then ``x.py`` or ``x/__init__.py``; only those ``has`` says exist."""
    parts = dotted.split(".")
    out: list[str] = []
    for i in range(1, len(parts)):
        init = "/".join(parts[:i]) + "/__init__.py"
        if has(init):
            out.append(init)
    base = "/".join(parts)
    for cand in (f"{base}.py", f"{base}/__init__.py"):
        if has(cand):
            out.append(cand)
            break
    return out


def imported_files(text: str, path: str, has: Callable[[str], bool], *,
                   indented: bool = False) -> list[str]:
    """Tree files the imports of ``path`` load (in order of appearance, without ``path``)."""
    return _files(scan_imports(text, path, indented=indented), path, has)


def speculation_order(text: str, path: str, has: Callable[[str], bool]) -> list[str]:
    """Tree files the imports of ``path`` load: those of its unindented import statements
    first, then those only indented statements (in blocks, or lazy ones in functions) load;
    one scan of the text."""
    top: list[tuple[str, str]] = []
    deep: list[tuple[str, str]] = []
    for mod, name, indented in _scan(text, path):
        (deep if indented else top).append((mod, name))
    first = _files(top, path, has)
    seen = set(first)
    return first + [f for f in _files(deep, path, has) if f not in seen]


def _files(pairs: Iterable[tuple[str, str]], path: str, has: Callable[[str], bool]) -> list[str]:
    seen: dict[str, None] = {}
    for mod, name in pairs:
        for f in module_files(mod, has):
            seen.setdefault(f, None)
        if name:  # `from a.b import c`: c may be a submodule
            base = mod.replace(".", "/") + "/" + name
            for cand in (f"{base}.py", f"{base}/__init__.py"):
                if has(cand):
                    seen.setdefault(cand, None)
                    break
    seen.pop(path, None)
    return list(seen)
