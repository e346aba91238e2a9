"""The user-code half of ``scan``: read the files and find the calls, across modules.

Files that mention ``tensorflow``, ``keras`` or ``tf_keras`` are scanned first; then the others
that name one of the user's classes derived from a TF/Keras layer (they may construct it). Each
file's findings are cached by its content hash, so a re-scan reads only what changed.
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
from tfinit_audit.usercode.model import FileScan, FoundCall

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
    scans = [_scan(f, project, cache) for f in first]
    derived = ClassIndex(scans).derived_from_tf()
    if derived and rest:
        names = {q.rsplit(".", 1)[-1] for q in derived}
        pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, sorted(names))) + r")\b")
        scans += [_scan(f, project, cache) for f in rest if pattern.search(f.text)]
    if say:
        say(f"read {len(files)} file(s), {sum(s.lines for s in scans)} line(s) scanned")
    calls = [c for s in scans for c in s.calls] + link(scans)
    calls.sort(key=lambda c: (c.path, c.cell or 0, c.line, c.column))
    return Found(scans, calls)


def _scan(src: SourceFile, project: frozenset[str], cache: Cache | None) -> FileScan:
    if cache is None or src.error:
        return scan_source(src, project)
    h = hashlib.sha256()
    for part in (code_version(), src.path, src.module, ",".join(sorted(project)), src.text):
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    key = h.hexdigest()[:40]
    raw = cache.get(CACHE_NS, key[:2], key)
    if raw is not None:
        try:
            hit = pickle.loads(raw)
            if isinstance(hit, FileScan):
                return hit
        except (pickle.UnpicklingError, EOFError, AttributeError, TypeError, ImportError):
            pass
    out = scan_source(src, project)
    cache.put(CACHE_NS, key[:2], key, pickle.dumps(out))
    return out
