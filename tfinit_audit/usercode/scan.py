"""The user-code half of ``scan``: read the files and find the calls, across modules.

Files that mention ``tensorflow``, ``keras`` or ``tf_keras`` are scanned first; then, until
none is left, the others that name one of the user's classes derived from a TF/Keras layer or a
module-level name the scanned code binds to a TF/Keras name (``tfv1`` of ``tfv1 = tf.compat.v1``
in a project's ``compat.py``): they may construct a layer through it. Each file's findings are
cached by its content hash, so a re-scan reads only what changed.
"""

from __future__ import annotations

import hashlib
import pickle
import re
from collections.abc import Callable
from dataclasses import dataclass

from tfinit_audit.sources.cache import Cache
from tfinit_audit.usercode.codeversion import code_version
from tfinit_audit.usercode.files import SourceFile
from tfinit_audit.usercode.find import scan_source
from tfinit_audit.usercode.link import ClassIndex, link
from tfinit_audit.usercode.model import FileScan, FoundCall, is_tf_name

CACHE_NS = "usercode-files"
_TF = re.compile(r"\b(?:tensorflow|keras|tf_keras)\b")


@dataclass
class Found:
    scans: list[FileScan]
    calls: list[FoundCall]


def find_calls(files: list[SourceFile], cache: Cache | None = None,
               say: Callable[[str], None] | None = None) -> Found:
    """Every TF/Keras construction in ``files`` (direct, aliased, partial, super, subclass)."""
    project = frozenset(f.module.split(".", 1)[0] for f in files if f.module)
    first = [f for f in files if f.error or _TF.search(f.text)]
    rest = [f for f in files if not (f.error or _TF.search(f.text))]
    scans = scan_files(first, project, cache)
    while rest:
        names = _names_leading_to_tf(scans)
        if not names:
            break
        pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, sorted(names))) + r")\b")
        more = [f for f in rest if pattern.search(f.text)]
        if not more:
            break
        rest = [f for f in rest if not pattern.search(f.text)]
        scans += scan_files(more, project, cache)
    if say:
        say(f"read {len(files)} file(s), {sum(s.lines for s in scans)} line(s) scanned")
    calls = [c for s in scans for c in s.calls] + link(scans)
    calls.sort(key=lambda c: (c.path, c.cell or 0, c.line, c.column))
    return Found(scans, calls)


def _names_leading_to_tf(scans: list[FileScan]) -> set[str]:
    """Short names through which other files may reach TF/Keras: the user's classes derived
    from a TF/Keras class, and module-level names bound to a TF/Keras name."""
    index = ClassIndex(scans)
    names = {q.rsplit(".", 1)[-1] for q in index.derived_from_tf()}
    for s in scans:
        names |= {bound for bound, target in s.aliases.items()
                  if is_tf_name(index.resolve(target))}
    return names


def scan_files(files: list[SourceFile], project: frozenset[str],
               cache: Cache | None) -> list[FileScan]:
    """Each file's findings, from the cache when its content was scanned before, else parsed.

    One process: worker processes would shorten a cold scan (about a third on two busy cores),
    but ``spawn`` and ``forkserver`` re-import the caller's ``__main__`` (a script without a main
    guard would run again) and ``fork`` is unsafe in a process with threads (a notebook
    kernel)."""
    done: dict[int, FileScan] = {}
    todo: list[tuple[int, SourceFile, str | None]] = []
    for i, f in enumerate(files):
        key = _key(f, project) if cache is not None and not f.error else None
        hit = _load(cache, key) if cache is not None and key else None
        if hit is not None:
            done[i] = hit
        else:
            todo.append((i, f, key))
    for i, f, key in todo:
        scan = scan_source(f, project)
        done[i] = scan
        if cache is not None and key:
            cache.put(CACHE_NS, key[:2], key, pickle.dumps(scan))
    return [done[i] for i in range(len(files))]


def _key(src: SourceFile, project: frozenset[str]) -> str:
    h = hashlib.sha256()
    for part in (code_version(), src.path, src.module, ",".join(sorted(project)), src.text):
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()[:40]


def _load(cache: Cache, key: str) -> FileScan | None:
    raw = cache.get(CACHE_NS, key[:2], key)
    if raw is None:
        return None
    try:
        hit = pickle.loads(raw)
    except (pickle.UnpicklingError, EOFError, AttributeError, TypeError, ImportError):
        return None
    return hit if isinstance(hit, FileScan) else None
