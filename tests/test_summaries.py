"""Module summaries: what one parse keeps, exact lines, and the content-hash disk cache."""

from __future__ import annotations

import pickle
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from tfinit_audit.analysis.engine import summaries
from tfinit_audit.analysis.engine.summaries import summarize, summarize_text
from tfinit_audit.sources.base import MemoryTree

SRC = '''"""Doc."""
import os as _os
import a.b.c
from . import sibling
from ..pkg2 import thing as other
from x.y import *

__all__ = ["Cell", "make"]
__all__ += ["extra"]


@tf_export("nn.rnn_cell.Cell", v1=["nn.rnn_cell.Cell", "old.Cell"])
@other.decorate(1)
class Cell(base.Layer, metaclass=Meta):
  """A cell."""
  default_size = 4 * 2

  def __init__(self, num_units, forget_bias=1.0, *args, name=None, **kwargs):
    self._num_units = num_units

  @property
  def state_size(self):
    return self._num_units


def make(x=[1, 2], *, y="s"):
  return x


tf_export("make")(make)
Alias = Cell
setattr(_current_module, "lazy", Loader("pkg.mod"))
_current_module.nn.rnn_cell = Loader("other")
if _os.environ.get("X"):
  from z import w
else:
  w = None
try:
  from q import r
except ImportError:
  r = None
del Alias
for _m in ["a"]:
  _forward(_m)
_sys.modules[__name__] = Wrapper(_sys.modules[__name__])
'''

PATH = "pkg/sub/mod.py"


def _summ() -> summaries.ModuleSummary:
    return summarize_text(SRC, PATH, "dist")


def test_classes_functions_params_and_exact_source() -> None:
    s = _summ()
    lines = SRC.splitlines()
    cell = s.classes["Cell"]
    assert lines[cell.line - 1].startswith("class Cell(")
    assert lines[cell.start_line - 1].startswith('@tf_export("nn.rnn_cell.Cell"')
    assert cell.bases == ["base.Layer"] and cell.keywords == {"metaclass": "Meta"}
    assert cell.attrs["default_size"][0] == "4 * 2"
    assert lines[cell.attrs["default_size"][1] - 1].strip() == "default_size = 4 * 2"
    init = cell.methods["__init__"]
    assert init.qualname == "Cell.__init__"
    assert [(p.name, p.default, p.kind) for p in init.params] == [
        ("self", None, "pos"), ("num_units", None, "pos"), ("forget_bias", "1.0", "pos"),
        ("args", None, "vararg"), ("name", "None", "kwonly"), ("kwargs", None, "kwarg"),
    ]
    # source is the exact text of lines line..end_line: line + offset indexes the file
    src_lines = init.source.splitlines()
    for off, text in enumerate(src_lines):
        assert lines[init.line - 1 + off] == text
    prop = cell.methods["state_size"]
    assert prop.decorators == ["property"]
    assert lines[prop.line - 1].strip() == "@property"
    assert lines[prop.def_line - 1].strip() == "def state_size(self):"
    make = s.functions["make"]
    assert [(p.name, p.default, p.kind) for p in make.params] == [
        ("x", "[1, 2]", "pos"), ("y", '"s"', "kwonly"),
    ]


def test_bindings_in_source_order() -> None:
    s = _summ()
    by = [(b.kind, b.name) for b in s.bindings if b.kind != "effect"]
    assert by[:6] == [("import", "_os"), ("import", "a"), ("from", "sibling"),
                      ("from", "other"), ("star", "*"), ("assign", "__all__")]
    imp = s.bindings[1]
    assert (imp.module, imp.alias) == ("os", True)
    a = next(b for b in s.bindings if b.name == "a")
    assert (a.module, a.alias) == ("a.b.c", False)
    sib = next(b for b in s.bindings if b.name == "sibling")
    assert (sib.module, sib.attr) == ("pkg.sub", "sibling")  # relative import made absolute
    oth = next(b for b in s.bindings if b.name == "other")
    assert (oth.module, oth.attr) == ("pkg.pkg2", "thing")
    star = next(b for b in s.bindings if b.kind == "star")
    assert star.module == "x.y"
    sa = next(b for b in s.bindings if b.kind == "setattr")
    assert (sa.name, sa.target, sa.expr) == ("lazy", "_current_module", 'Loader("pkg.mod")')
    at = next(b for b in s.bindings if b.kind == "attr")
    assert (at.name, at.target) == ("rnn_cell", "_current_module.nn")
    ws = [b for b in s.bindings if b.name == "w"]
    assert ws[0].guard == '_os.environ.get("X")' and ws[1].guard == 'not (_os.environ.get("X"))'
    rs = [b for b in s.bindings if b.name == "r"]
    assert [r.handler for r in rs] == [False, True]
    assert any(b.kind == "del" and b.name == "Alias" for b in s.bindings)
    effects = [b for b in s.bindings if b.kind == "effect"]
    loop = next(b for b in effects if b.expr and b.expr.startswith("for _m in"))
    assert SRC.splitlines()[loop.line - 1].startswith("for _m in")
    assert any(b.expr and b.expr.startswith("_sys.modules[__name__] =") for b in effects)
    for b in s.bindings:
        assert b.line >= 1


def test_all_names_and_exports() -> None:
    s = _summ()
    assert s.all_names == ["Cell", "make", "extra"]
    e1, e2 = s.exports
    assert (e1.names, e1.v1, e1.target, e1.api) == (
        ["nn.rnn_cell.Cell"], ["nn.rnn_cell.Cell", "old.Cell"], "Cell", "tf_export")
    assert SRC.splitlines()[e1.line - 1].startswith("@tf_export(")
    assert (e2.names, e2.v1, e2.target) == (["make"], None, "make")
    computed = summarize_text("__all__ = [n for n in dir() if n[0] != '_']\n", "m.py")
    assert computed.all_names is None and computed.all_computed


def test_lines_agree_with_libcst_positions() -> None:
    """An independent parser (libcst, concrete syntax tree) places every class, method,
    function and module-level statement on the same lines as the summary."""
    module = cst.parse_module(SRC)
    pos = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    s = _summ()
    seen = 0
    for stmt in module.body:
        if isinstance(stmt, cst.ClassDef):
            info = s.classes[stmt.name.value]
            assert (info.line, info.end_line) == (pos[stmt.name].start.line, pos[stmt].end.line)
            assert info.start_line == pos[stmt.decorators[0]].start.line
            for m in stmt.body.body:
                if isinstance(m, cst.FunctionDef):
                    f = info.methods[m.name.value]
                    assert (f.def_line, f.end_line) == (pos[m.name].start.line, pos[m].end.line)
                    seen += 1
        elif isinstance(stmt, cst.FunctionDef):
            f = s.functions[stmt.name.value]
            assert (f.def_line, f.end_line) == (pos[stmt.name].start.line, pos[stmt].end.line)
            seen += 1
    starts = set()
    for node, r in pos.items():
        if isinstance(node, cst.BaseSmallStatement | cst.BaseCompoundStatement):
            starts.add(r.start.line)
        if isinstance(node, cst.ClassDef | cst.FunctionDef):
            starts.add(pos[node.name].start.line)  # the `class`/`def` line, past decorators
    for b in s.bindings:
        assert b.line in starts, b  # every event sits on the first line of a statement
    assert seen == 3


def test_one_line_compound_statements_and_async_names() -> None:
    s = summarize_text("if not _flag: estimator = mods['e']\n", "m.py")
    (b,) = s.bindings
    assert (b.kind, b.name, b.expr, b.guard) == ("assign", "estimator", "mods['e']", "not _flag")
    # TF 1.x era code names a parameter ``async`` (a keyword since 3.7): 3.6 grammar fallback
    old = summarize_text("def run(fn, async=False):\n  return fn\n", "old.py")
    assert old.error is None
    assert [p.name for p in old.functions["run"].params] == ["fn", "async"]


def test_multiline_expression_text_stays_evaluable() -> None:
    import ast

    s = summarize_text("x = (a +\n     b)\ny = f(1,\n      2)\n", "m.py")
    exprs = [b.expr for b in s.bindings]
    assert exprs == ["(a +\n     b)", "f(1,\n      2)"]
    for e in exprs:
        ast.parse(e or "", mode="eval")


def test_unparsable_module_gives_empty_summary() -> None:
    s = summarize_text("print 'python 2'\n", "old.py")
    assert s.error and not s.classes and not s.bindings


def test_disk_cache_by_content_hash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree = MemoryTree({PATH: SRC, "pkg/__init__.py": ""})
    first = summarize(tree, PATH, tmp_path)
    assert first is not None and list((tmp_path / "summaries").rglob("*.pkl"))

    def boom(*a: object, **k: object) -> None:
        raise AssertionError("warm run must not parse")

    monkeypatch.setattr(summaries, "parse", boom)
    warm = summarize(tree, PATH, tmp_path)
    assert warm == first
    # changed content -> different hash -> parsed again (and here: the patched parser fires)
    tree.files[PATH] = SRC + "\nx = 1\n"
    changed = summarize(tree, PATH, tmp_path)
    assert changed is not None and "must not parse" in (changed.error or "")
    assert summarize(tree, "missing.py", tmp_path) is None


def test_top_level_starts_match_the_parser() -> None:
    # statement starts found without a parse agree with ast on the tricky cases: column-0 text
    # inside strings and brackets, decorators, else/except clauses, backslash continuations
    import ast

    from tfinit_audit.analysis.engine.summaries import top_level_starts

    src = (
        'X = """\ndef not_a_def():\nclass Nope: pass\n"""\n'
        "@deco(1,\n2)\n@other\ndef f(a=(\n1)):\n    s = '(' \n    return a\n"
        "# comment at column 0\n"
        "if X:\n    y = 1\nelse:\n    y = 2\n"
        "try:\n    import foo\nexcept ImportError:\n    foo = None\nfinally:\n    pass\n"
        "z = 1 + \\\n2\n"
        "d = {\n'a': 1,\n}\n"
        "class C(object):\n    '''doc\nclass D: pass\n'''\n"
    )
    starts = top_level_starts(src)
    assert starts is not None
    got = [src.count("\n", 0, s) + 1 for s in starts]
    want = [
        min([st.lineno, *(d.lineno for d in getattr(st, "decorator_list", []))])
        for st in ast.parse(src).body
    ]
    assert got == want
    assert top_level_starts("x = (1,\n") is None  # unbalanced: callers parse the whole module


def test_a_summary_cached_by_other_builder_code_is_built_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the disk cache is keyed by the builder's own source (builder_key): a summary an older
    # SummaryBuilder made -- one that read some statement differently -- is not read back
    tree = MemoryTree({PATH: SRC, "pkg/__init__.py": ""})
    first = summarize(tree, PATH, tmp_path)
    assert first is not None
    assert summaries.builder_key() != summaries.SCHEMA
    for cached in (tmp_path / "summaries").rglob("*.pkl"):  # what other code would have made
        stale = summarize_text("", PATH, "dist")
        cached.write_bytes(pickle.dumps(stale))
    assert summarize(tree, PATH, tmp_path) != first  # same builder: the cached entry is read
    summaries.builder_key.cache_clear()
    with monkeypatch.context() as m:
        m.setattr(summaries, "__file__", str(tmp_path / "other_builder.py"))
        (tmp_path / "other_builder.py").write_text("# another SummaryBuilder\n")
        assert summarize(tree, PATH, tmp_path) == first  # not the entry of the other code
    summaries.builder_key.cache_clear()
