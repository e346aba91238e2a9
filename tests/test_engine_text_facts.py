"""Facts of a file's text the engine derives once per tree (``SourceModule``), and the answers
they shortcut: the same as the long way."""

from __future__ import annotations

import ast

from tfinit_audit.analysis.engine.calls import is_generator
from tfinit_audit.analysis.engine.imports import effect_bindings
from tfinit_audit.analysis.engine.interp import Interpreter
from tfinit_audit.analysis.engine.source import Sources
from tfinit_audit.analysis.rules import ENGINE_RULES
from tfinit_audit.sources.base import MemoryTree

GEN = '''\
def plain(x):
    def inner():
        yield x
    return inner


def gen(x):
    y = x
    yield y


def lam():
    return (lambda: 1)
'''


def _defs(text: str) -> dict[str, ast.FunctionDef]:
    return {n.name: n for n in ast.walk(ast.parse(text)) if isinstance(n, ast.FunctionDef)}


def test_is_generator_by_the_lines_agrees_with_the_walk() -> None:
    src = Sources(MemoryTree({"m.py": GEN})).module("m.py")
    assert src is not None and src.parser_lines is not None
    for name, want in {"plain": False, "inner": True, "gen": True, "lam": False}.items():
        assert is_generator(_defs(GEN)[name], src.parser_lines) is want, name
        assert is_generator(_defs(GEN)[name]) is want, name  # the walk alone


def test_a_form_feed_leaves_the_lines_out() -> None:
    # str.splitlines breaks at a form feed, the parser does not: the lines would be off by one
    text = "def gen(x):\n    y = x\x0c\n    yield y\n"
    src = Sources(MemoryTree({"m.py": text})).module("m.py")
    assert src is not None and src.parser_lines is None
    node = _defs(text)["gen"]
    assert node.body[-1].lineno == 3 and "yield" not in src.lines[2]  # what would go wrong
    assert is_generator(node, src.parser_lines) is True


def test_effect_bindings_are_the_ones_import_runs() -> None:
    text = (
        "import sys\n"
        "import other\n"
        "def helper():\n"
        "    sys.modules['x'] = 1\n"
        "def own():\n"
        "    pass\n"
        "own.attr = 1\n"            # an attribute of its own function: not an effect
        "other.patched = 2\n"       # a patch of another module
        "print('hi')\n"             # an effect that touches no import state
        "helper()\n"                # calls a helper that writes sys.modules
        "sys.modules['y'] = other\n"
    )
    tree = MemoryTree({"m.py": text, "other.py": "x = 1\n"})
    sources = Sources(tree)
    src = sources.module("m.py")
    assert src is not None
    got = [(b.kind, b.line) for b in effect_bindings(src)]
    assert got == [("attr", 8), ("effect", 10), ("effect", 11)]
    assert effect_bindings(src) is effect_bindings(src)  # once per file
    it = Interpreter(tree, ENGINE_RULES, sources=sources)
    it.import_module("m")
    assert [p[0] for p in it.imports.patches.get("other", [])] == ["patched"]


def test_mentions() -> None:
    src = Sources(MemoryTree({"m.py": "x = remove_undocumented\n"})).module("m.py")
    assert src is not None
    assert src.mentions("remove_undocumented") and not src.mentions("@@")
