"""Shared helpers of the rule fixture tests: a tiny fake library in a ``MemoryTree``, an
``Interpreter`` over it, and expressions evaluated in abstract mode at module level of one of
its modules (as the rules see library code).

Every snippet in tests/rules is written for these tests; none is copied from TensorFlow or
Keras. Each mimics one convention of those libraries, named in the fixture's docstring.
"""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Iterable, Sequence

from tfinit_audit.analysis.engine.hooks import Rule
from tfinit_audit.analysis.engine.interp import Interpreter
from tfinit_audit.analysis.engine.values import Value
from tfinit_audit.analysis.model import Hop
from tfinit_audit.analysis.rules import ENGINE_RULES
from tfinit_audit.sources.base import MemoryTree


def make_tree(files: dict[str, str]) -> MemoryTree:
    """A tree of dedented snippets; every package directory on the way gets an empty
    ``__init__.py`` unless the fixture gives one. Each snippet must parse: a fixture with a
    syntax error would only make the engine answer ``Unknown``."""
    out = {path: textwrap.dedent(text) for path, text in files.items()}
    for path, text in out.items():
        ast.parse(text, path)
    for path in list(out):
        parts = path.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            out.setdefault("/".join(parts[:i]) + "/__init__.py", "")
    return MemoryTree(out)


def interp(tree: MemoryTree, rules: Sequence[Rule] | None = None) -> Interpreter:
    """An interpreter over ``tree`` with the engine's rules (or only ``rules``)."""
    return Interpreter(tree, ENGINE_RULES if rules is None else list(rules))


def evaluate(it: Interpreter, path: str, expr: str) -> Value:
    """``expr`` evaluated in abstract mode at module level of the fixture module ``path``."""
    src = it.module_source(path)
    assert src is not None, path
    node = ast.parse(expr, mode="eval").body
    return it.eval(node, it.frame(src))


def line_of(tree: MemoryTree, path: str, text: str) -> int:
    """The 1-based number of the one line of ``path`` whose stripped text is ``text``."""
    source = tree.read_text(path)
    assert source is not None, path
    found = [i for i, line in enumerate(source.splitlines(), 1) if line.strip() == text]
    assert len(found) == 1, (path, text, found)
    return found[0]


def assert_real_lines(tree: MemoryTree, hops: Iterable[Hop]) -> None:
    """Each hop's ``code`` is the real (stripped) line of the fixture file it names."""
    for h in hops:
        source = tree.read_text(h.path)
        assert source is not None, h
        assert source.splitlines()[h.line - 1].strip() == h.code, h


def at(tree: MemoryTree, path: str, code: str) -> tuple[str, int, str]:
    """The hop a test expects at the one line ``code`` of ``path``, as ``where`` gives it."""
    return (path, line_of(tree, path, code), code)


def where(hops: Iterable[Hop]) -> list[tuple[str, int, str]]:
    """Hops as ``(path, line, code)``: what a test compares."""
    return [(h.path, h.line, h.code) for h in hops]
