"""``SourceModule.may_bind``: the one generic pattern (the name marked in the line) answers as
the pattern compiled for the name does, on lines built to probe every alternative's edges."""

from __future__ import annotations

import itertools
import random

from tfinit_audit.analysis.engine.source import SourceModule, Sources
from tfinit_audit.sources.base import MemoryTree

NAMES = ["x", "imp", "Dense", "layer_1", "a", "aa", "ort", "_", "as_", "Model", "as", "for",
         "ꙮ", "dél"]
PIECES = ["{n}", "{n}", " ", "=", "==", ":=", ",", "(", ")", "[", "]", ".", "'", '"', ":",
          "+=", "import ", "from ", " as ", "del ", "for ", "def ", "class ", "async ", "x",
          "{n}x", "x{n}", "i{n}", "{n}.y", "ꙮ", "é", "\t", "#", "1", "->"]


def old_answer(sources: Sources, text: str, name: str) -> bool:
    """The answer before: the name's own pattern searched line by line over the whole text."""
    if not name.isidentifier():
        return False
    pat = sources.binding_pattern(name)
    pos = text.find(name)
    while pos >= 0:
        ls = text.rfind("\n", 0, pos) + 1
        le = text.find("\n", pos)
        le = len(text) if le < 0 else le
        if pat.search(text, ls, le):
            return True
        pos = text.find(name, le)
    return False


def test_generic_pattern_answers_as_the_names_own() -> None:
    rng = random.Random(7)
    lines = []
    for n in NAMES:
        for _ in range(400):
            k = rng.randint(1, 7)
            lines.append("".join(rng.choice(PIECES) for _ in range(k)).replace("{n}", n))
    lines += [f"{a}{b}" for a, b in itertools.product(["import ", "from m import ", "del ",
                                                         "for ", "    ", "f(", "a, "],
                                                        ["imp", "imp as y", "x.imp = 1"])]
    tree = MemoryTree({})
    sources = Sources(tree)
    checked = yes = 0
    for i in range(0, len(lines), 5):
        text = "\n".join(lines[i:i + 5]) + "\n"
        mod = SourceModule(sources, f"m{i}.py", text, "p")
        for name in NAMES:
            want = old_answer(sources, text, name)
            assert mod._may_bind(0, len(text), name) == want, (name, text)
            checked += 1
            yes += want
    assert checked > 1000 and 0 < yes < checked  # both answers were exercised
