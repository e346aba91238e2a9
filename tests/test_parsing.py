"""engine/parsing.py helpers every analysis leans on: a text's key, and facts kept on nodes."""

from __future__ import annotations

import ast
import hashlib

from tfinit_audit.analysis.engine.parsing import node_fact, text_sha
from tfinit_audit.analysis.engine.summaries import top_level_starts


def test_text_sha_is_the_sha256_of_the_utf8_text_lone_surrogates_kept() -> None:
    text = "x = 'caf\xe9'\n# \udcff\n"  # a lone surrogate: what a non-UTF-8 byte decodes to
    want = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    assert text_sha(text) == want == text_sha(str(text))  # an equal text, the same key
    assert text_sha(text + " ") != want


def test_a_node_fact_is_computed_once_per_node_and_kept_apart_by_name() -> None:
    module = ast.parse("def f():\n    a = 1\n\ndef g():\n    pass\n")
    f, g = module.body
    calls: list[ast.AST] = []

    def count(node: ast.AST) -> int | None:
        calls.append(node)
        return None if node is g else sum(isinstance(n, ast.Assign) for n in ast.walk(node))

    assert node_fact(f, "assigns", count) == 1 and node_fact(f, "assigns", count) == 1
    assert node_fact(g, "assigns", count) is None and node_fact(g, "assigns", count) is None
    assert calls == [f, g]  # None is remembered too
    assert node_fact(f, "other", lambda n: "x") == "x"  # another name, another fact
    assert node_fact(f, "assigns", count) == 1


def test_top_level_starts_across_brackets_strings_and_decorators() -> None:
    text = ("import os\n"
            "x = [1,\n  {2: (3,\n  4)}]\n"
            "s = '([{'\n"
            "@deco(\n  1)\n"
            "def f():\n    return ')]}'\n"
            "y = 2  # ({[\n")
    starts = top_level_starts(text)
    assert starts is not None
    chunks = [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]
    assert [c.split("\n", 1)[0] for c in chunks] == [
        "import os", "x = [1,", "s = '([{'", "@deco(", "y = 2  # ({["]
    assert top_level_starts("x = (1,\n") is None and top_level_starts("f)\n(\n") is None
