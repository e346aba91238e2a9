"""The user's files: which ones a scan reads, their module names, and notebooks as modules.

A directory is walked recursively for ``*.py`` and ``*.ipynb`` (hidden directories,
``__pycache__`` and virtual environments are skipped). A notebook's code cells become one
module -- each cell after a marker comment line, IPython magics (``%...``, ``!...``) commented
out -- so names imported in one cell resolve in the next; positions map back to (cell, line),
and a pinned module is split back into the cells it came from.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tfinit_audit.errors import UsageError

CELL_MARK = "# <tfinit-audit: code cell {n}>"
MAGIC = "#<tfinit-audit magic>"
SKIP_DIRS = {"__pycache__", "node_modules", "site-packages"}


@dataclass
class SourceFile:
    """One file as the finder reads it: ``text`` is Python source (a notebook's code cells
    joined); ``cells`` maps module lines back to notebook cells."""

    path: str  # as shown to the user
    abspath: Path
    text: str
    module: str
    notebook: dict[str, Any] | None = None
    cells: list[tuple[int, int, int]] = field(default_factory=list)  # (first line, lines, cell)
    error: str | None = None

    def locate(self, line: int) -> tuple[int | None, int]:
        """(code cell number, line in that cell) of a module line; (None, line) for .py files."""
        for first, count, cell in self.cells:
            if first <= line < first + count:
                return cell, line - first + 1
        return None, line


def collect(paths: list[str]) -> list[SourceFile]:
    """Every file to scan below ``paths``, in a stable order. A path that does not exist is a
    usage error; a file that cannot be read is returned with its ``error``."""
    if not paths:
        raise UsageError("scan needs at least one file or directory, e.g. tfinit-audit scan model/")
    out: list[SourceFile] = []
    seen: set[Path] = set()
    for p in paths:
        base = Path(p)
        if not base.exists():
            raise UsageError(f"{p}: no such file or directory")
        for f in _walk(base):
            real = f.resolve()
            if real not in seen:
                seen.add(real)
                out.append(read(f))
    return out


def _walk(base: Path) -> list[Path]:
    if base.is_file():
        return [base]
    found: list[Path] = []
    for root, dirs, files in os.walk(base):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIP_DIRS
                         and not (Path(root) / d / "pyvenv.cfg").exists())
        found.extend(Path(root) / n for n in sorted(files) if n.endswith((".py", ".ipynb")))
    return found


def read(path: Path) -> SourceFile:
    """Read one file; problems become ``error`` (one line), never an exception."""
    shown = _shown(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return SourceFile(shown, path, "", "", error=f"cannot read: {exc.strerror or exc}")
    if path.suffix == ".ipynb":
        return _notebook(shown, path, raw)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return SourceFile(shown, path, "", "", error=f"not UTF-8: {exc.reason} at byte "
                                                     f"{exc.start}")
    return SourceFile(shown, path, text, module_name(path))


def _shown(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return str(path)


def module_name(path: Path) -> str:
    """Dotted module name from the enclosing packages (directories with ``__init__.py``)."""
    parts = [] if path.stem == "__init__" else [path.stem]
    d = path.resolve().parent
    while (d / "__init__.py").exists() and d.parent != d:
        parts.insert(0, d.name)
        d = d.parent
    return ".".join(parts) or path.stem


# --------------------------------------------------------------------------------------------
# Notebooks
# --------------------------------------------------------------------------------------------
def _notebook(shown: str, path: Path, raw: bytes) -> SourceFile:
    try:
        nb = json.loads(raw.decode("utf-8"))
        cells = nb["cells"] if isinstance(nb, dict) else None
        if not isinstance(cells, list):
            raise ValueError("no 'cells' list")
    except (UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        return SourceFile(shown, path, "", "", error=f"not a notebook: {exc}")
    lines: list[str] = []
    spans: list[tuple[int, int, int]] = []
    n = 0
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        n += 1
        body = _cell_lines(cell.get("source", ""))
        lines.append(CELL_MARK.format(n=n))
        spans.append((len(lines) + 1, len(body), n))
        lines.extend(body)
    text = "\n".join(lines) + "\n" if lines else ""
    return SourceFile(shown, path, text, path.stem, notebook=nb, cells=spans)


def _cell_lines(source: Any) -> list[str]:
    text = "".join(source) if isinstance(source, list) else str(source or "")
    body = text.split("\n")
    if body and body[-1] == "":
        body.pop()
    cell_magic = bool(body) and body[0].lstrip().startswith("%%")
    out = []
    for line in body:
        stripped = line.lstrip()
        if cell_magic or stripped.startswith(("%", "!")) or stripped.endswith("?") and \
                stripped[:1].isidentifier():
            out.append(MAGIC + line)
        else:
            out.append(line)
    return out


def notebook_with(src: SourceFile, text: str) -> str:
    """The notebook JSON with the code cells that ``text`` (the module after a rewrite) changed
    replaced; every other cell is kept as it was, byte for byte."""
    assert src.notebook is not None
    before, after = _chunks(src.text), _chunks(text)
    nb = json.loads(json.dumps(src.notebook))
    n = 0
    for cell in nb["cells"]:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        n += 1
        body = after.get(n, [])
        if body == before.get(n, []):
            continue
        while len(body) > 1 and body[-1] == "":
            body.pop()
        old = cell.get("source", "")
        old_text = "".join(old) if isinstance(old, list) else str(old or "")
        new_text = "\n".join(body) + ("\n" if old_text.endswith("\n") else "")
        cell["source"] = new_text.splitlines(keepends=True) if isinstance(old, list) \
            else new_text
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def _chunks(text: str) -> dict[int, list[str]]:
    """Module text -> {code cell number: its lines}, magics restored."""
    chunks: dict[int, list[str]] = {}
    current: list[str] | None = None
    for line in text.split("\n"):
        mark = _cell_number(line)
        if mark is not None:
            current = chunks.setdefault(mark, [])
        elif current is not None:
            current.append(line[len(MAGIC):] if line.startswith(MAGIC) else line)
    return chunks


def _cell_number(line: str) -> int | None:
    head, _, rest = line.partition("<tfinit-audit: code cell ")
    if head != "# " or not rest.endswith(">"):
        return None
    try:
        return int(rest[:-1])
    except ValueError:
        return None
