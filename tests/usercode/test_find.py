"""The finder on fixtures written for every import style: each expected call site is marked on
its line with ``# expect: SYMBOL VIA`` (several separated by ``;``), and the finder must report
exactly those -- no more, no fewer."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tfinit_audit.usercode.files import collect, read
from tfinit_audit.usercode.find import scan_source
from tfinit_audit.usercode.scan import find_calls

FIXTURES = Path(__file__).parent / "fixtures"
STYLES = sorted(p.name for p in (FIXTURES / "styles").iterdir() if p.name != "broken.py")


def expected(path: Path) -> set[tuple[int | None, int, str, str]]:
    """(cell, line, symbol, via) of every ``# expect:`` marker in a file or notebook."""
    src = read(path)
    out = set()
    for i, line in enumerate(src.text.split("\n"), start=1):
        m = re.search(r"#\s*expect:\s*(.+)$", line)
        if not m:
            continue
        cell, at = src.locate(i)
        for item in m.group(1).split(";"):
            symbol, via = item.split()
            out.add((cell, at, symbol, via))
    return out


def found(calls: list) -> set[tuple[int | None, int, str, str]]:
    return {(c.cell, c.line, c.symbol, c.via) for c in calls}


@pytest.mark.parametrize("name", STYLES)
def test_each_import_style_finds_exactly_the_marked_calls(name: str) -> None:
    path = FIXTURES / "styles" / name
    result = find_calls(collect([str(path)]))
    assert result.scans[0].error is None
    want = expected(path)
    assert want, f"{name} marks no call"
    assert found(result.calls) == want


def test_positions_are_the_call_start_with_1_based_columns() -> None:
    path = FIXTURES / "styles" / "from_keras_layers.py"
    scan = scan_source(read(path))
    lines = path.read_text().splitlines()
    for c in scan.calls:
        text = lines[c.line - 1]
        assert text[c.column - 1:].startswith(c.written), (c.line, c.column, c.written)


def test_libcst_positions_agree_with_the_ast_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    from tfinit_audit.usercode import find

    path = FIXTURES / "styles" / "partials.py"
    fast = [(c.line, c.column, c.call_index) for c in scan_source(read(path)).calls]
    monkeypatch.setattr(find, "_ast_positions", lambda *a, **k: None)
    slow = [(c.line, c.column, c.call_index) for c in scan_source(read(path)).calls]
    assert fast == slow and fast


def test_arguments_literals_evaluated_other_text_kept() -> None:
    path = FIXTURES / "styles" / "import_tf_as.py"
    calls = {c.symbol: c for c in scan_source(read(path)).calls}
    cell = calls["tf.nn.rnn_cell.LSTMCell"]
    assert [(a.keyword, a.text, a.literal, a.value) for a in cell.args] == [
        (None, "units", False, None), ("use_peepholes", "True", True, True)]
    dense = calls["tf.layers.dense"]
    assert [(a.keyword, a.literal) for a in dense.args] == [
        (None, False), (None, True), ("activation", False)]
    assert dense.args[2].text == "tf.nn.relu"


def test_partial_arguments_come_first_and_the_pin_goes_to_the_partial() -> None:
    path = FIXTURES / "styles" / "partials.py"
    scan = scan_source(read(path))
    b = next(c for c in scan.calls if c.code.startswith("SmallGRU(return_sequences"))
    assert [(a.keyword, a.text) for a in b.args] == [
        (None, "16"), ("reset_after", "False"), ("return_sequences", "True")]
    a = next(c for c in scan.calls if c.code == "SmallGRU()")
    assert a.pin_index == b.pin_index < a.call_index < b.call_index  # the partial(...) call
    wide = next(c for c in scan.calls if c.code.startswith("Wide("))
    assert [a.text for a in wide.args] == ["512", "False", '"relu"']


def test_package_across_modules_and_a_file_without_tensorflow() -> None:
    root = FIXTURES / "pkg"
    result = find_calls(collect([str(root)]))
    want = set()
    for p in sorted(root.rglob("*.py")):
        rel = str(p.relative_to(Path.cwd())) if p.is_relative_to(Path.cwd()) else str(p)
        want |= {(rel, *x[1:]) for x in expected(p)}
    got = {(c.path, c.line, c.symbol, c.via) for c in result.calls}
    assert got == want
    assert any(c.path.endswith("plain.py") for c in result.calls)  # no tf import there
    assert all(not s.path.endswith("unrelated.py") for s in result.scans)  # never parsed


def test_a_compat_module_picks_the_api_other_modules_use() -> None:
    """tensorpack's pattern: ``compat.py`` binds ``tfv1 = tf.compat.v1`` in if/try branches
    (``tfv1 = tf`` only in the ``except``), model code does ``from ..compat import tfv1 as tf``
    and calls ``tf.layers.Conv2D``: followed through the alias as a module prefix. A name the
    branches bind differently (``Cell``) is not followed; a plain rebinding is the last one;
    ``try: import tensorflow.compat.v1 as tf1 / except ImportError: import tensorflow as tf1``
    is the try's import. A module that never names TensorFlow but imports the alias is read."""
    root = FIXTURES / "compatpkg"
    result = find_calls(collect([str(root)]))
    want = set()
    for p in sorted(root.rglob("*.py")):
        rel = str(p.relative_to(Path.cwd())) if p.is_relative_to(Path.cwd()) else str(p)
        want |= {(rel, *x[1:]) for x in expected(p)}
    got = {(c.path, c.line, c.symbol, c.via) for c in result.calls}
    assert got == want
    assert len(want) == 7


def test_notebook_cells_positions_and_magics() -> None:
    path = FIXTURES / "styles" / "notebook.ipynb"
    calls = find_calls(collect([str(path)])).calls
    assert {(c.cell, c.line) for c in calls} == {(2, 2), (2, 3)}
    assert all(c.where.endswith(f"cell 2:{c.line}:{c.column}") for c in calls)


def test_a_file_that_does_not_parse_is_skipped_with_one_line(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "styles" / "broken.py", tmp_path / "broken.py")
    shutil.copy(FIXTURES / "styles" / "aliases.py", tmp_path / "ok.py")
    result = find_calls(collect([str(tmp_path)]))
    errors = {Path(s.path).name: s.error for s in result.scans if s.error}
    assert list(errors) == ["broken.py"]
    assert errors["broken.py"].startswith("syntax error at line 3") and "\n" not in errors[
        "broken.py"]
    assert result.calls and all(c.path.endswith("ok.py") for c in result.calls)


def test_bad_notebook_and_bad_encoding_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "x.ipynb").write_text("{not json")
    (tmp_path / "y.py").write_bytes(b"import tensorflow as tf\nx = '\xff'\n")
    scans = find_calls(collect([str(tmp_path)])).scans
    assert {Path(s.path).name: (s.error or "").split(":")[0] for s in scans} == {
        "x.ipynb": "not a notebook", "y.py": "not UTF-8"}


def test_ignore_comment_marks_the_call() -> None:
    src = read(FIXTURES / "styles" / "aliases.py")
    src.text = src.text.replace("a = GRU(n)", "a = GRU(n)  # tfinit-audit: ignore")
    calls = scan_source(src).calls
    assert [c.ignored for c in calls if c.code == "GRU(n)"] == [True]
    assert not any(c.ignored for c in calls if c.code != "GRU(n)")
