"""Every parse of the analysis, one at a time in the process (see ``ast_parse``). A module
of its own, light to import: the symbol parser of the command line uses it too."""

from __future__ import annotations

import ast
import functools
import hashlib
import threading
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

_T = TypeVar("_T")

_PARSE_LOCK = threading.RLock()


def ast_parse(source: str, mode: str = "exec", **kwargs: Any) -> Any:
    """``ast.parse``, one at a time in the process. Releases are analysed on threads, and
    CPython 3.11 keeps the AST conversion's recursion depth in state all threads share: two
    conversions that interleave (a garbage collection running Python callbacks inside one lets
    another thread in) fail with a spurious ``SystemError: AST constructor recursion depth
    mismatch`` (python/cpython#106905), which a module's summary would keep as "cannot parse"
    (seen in cold ``--versions all`` runs: a few files per run, different each time). Every
    parse of the analysis goes through here (``warnings.catch_warnings`` is not thread-safe
    either)."""
    with _PARSE_LOCK:
        return ast.parse(source, mode=mode, **kwargs)


def parse(text: str) -> ast.Module:
    """CPython's parser; TF 1.x era sources that use ``async`` as a name need the 3.6 grammar."""
    with _PARSE_LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escape sequences in old docstrings etc.
        try:
            return ast.parse(text)
        except SyntaxError:
            return ast.parse(text, feature_version=(3, 6))


@functools.lru_cache(maxsize=512)
def text_sha(text: str) -> str:
    """sha256 of a source text (UTF-8, lone surrogates kept): what its parse, its summary and
    a stored answer's record of the read are keyed by. Remembered for the last texts asked
    (the tree holds them anyway): one text is asked for three or four times an analysis."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def node_fact(node: ast.AST, name: str, make: Callable[[Any], _T]) -> _T:
    """``make(node)``: a fact of the source text under ``node`` (what a walk of it finds),
    computed once and kept on the node itself, so it lives as long as the syntax tree; every
    question of a release asks it of the same trees. ``name`` keeps facts apart; the fact is
    shared, never to be changed by a caller."""
    key = "_tfa_" + name
    d = node.__dict__
    if key in d:
        return d[key]
    value = d[key] = make(node)
    return value
