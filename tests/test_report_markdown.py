"""report.md: summary matrix + change list + live summary, escaped for GitHub-flavoured Markdown."""

from __future__ import annotations

from report_fixtures import (
    HOSTILE,
    all_releases_report,
    empty_report,
    hostile_report,
    realistic_report,
)

from tfinit_audit.report import render_markdown


def table_rows(md: str, header_start: str) -> list[list[str]]:
    lines = md.splitlines()
    i = next(n for n, line in enumerate(lines) if line.startswith(header_start))
    rows = []
    for line in lines[i:]:
        if not line.startswith("|"):
            break
        # split on unescaped pipes only
        cells, cur, esc = [], "", False
        for ch in line.strip()[1:-1]:
            if ch == "|" and not esc:
                cells.append(cur.strip())
                cur = ""
            else:
                cur += ch
            esc = ch == "\\" and not esc
        cells.append(cur.strip())
        rows.append(cells)
    return rows


def test_matrix_and_changes() -> None:
    md = render_markdown(realistic_report())
    rows = table_rows(md, "| Symbol |")
    assert rows[0] == [
        "Symbol",
        "TF 1.8.0",
        "TF 1.10.0",
        "TF 2.15.0",
        "TF 2.16.1",
        "TF 2.99 ✖ error",
    ]
    assert all(len(r) == 6 for r in rows)  # no cell broke the table
    body = {r[0]: r[1:] for r in rows[2:]}
    cell = body["`tf.nn.rnn_cell.LSTMCell`"]
    assert "`kernel glorot_u`" in cell[0] and "`bias zeros +forget_bias=1.0`" in cell[0]
    assert "as `tf.compat.v1.nn.rnn_cell.LSTMCell`" in cell[2]
    assert "↻ chain changed" in cell[1]
    gru = body["`tf.keras.layers.GRU`"]
    assert gru[2].startswith("**▲ changed**")
    assert "∅ absent" in body["`tf.keras.layers.GroupNormalization`"][0]
    assert "◐ partial" in body["`tf.layers.Dense`"][2]
    assert "⚠ unavailable" in body["`tf.nn.rnn_cell.BasicRNNCell`"][3]
    assert all(c == "✖ error" for c in (r[5] for r in rows[2:]))
    assert "**TF 1.10.0 → TF 2.15.0**" in md
    assert "- ▲ `tf.keras.layers.GRU` — shape `bias`: `[192]` → `[2, 192]`" in md
    assert "- ↻ `tf.nn.rnn_cell.LSTMCell` — chain `kernel`:" in md


def test_live_and_sources() -> None:
    md = render_markdown(realistic_report())
    live = table_rows(md, "| Python |")
    assert live[2][:6] == ["3.11.9", "2.15.0", "2.15.0", "5", "1", "1"]
    assert "tensorflow is not importable" in live[3][6]
    assert "- ✖ disagree TF 2.15.0 `tf.compat.v1.nn.rnn_cell.LSTMCell` `kernel`" in md
    src = table_rows(md, "| Release |")
    assert any("`tensorflow-1.8.0-cp36-cp36m-manylinux1_x86_64.whl`" in c for r in src for c in r)


def test_hostile_text_cannot_inject_html_or_break_tables() -> None:
    md = render_markdown(hostile_report())
    assert "<script>" not in md.replace("`", "\0").split("\0", 1)[0]  # header text escaped
    for line in md.splitlines():
        # outside code spans, no raw '<' survives
        outside = line.split("`")[::2]
        assert all("<" not in part.replace("<br>", "") for part in outside), line
    rows = table_rows(md, "| Symbol |")
    assert len({len(r) for r in rows}) == 1
    assert HOSTILE in md  # inside code spans, shown verbatim


def test_empty() -> None:
    md = render_markdown(empty_report())
    assert (
        "_No symbols were analysed._" in md
        and "_No differences" in md
        and "_No release was analysed._" in md
    )


def test_many_releases_get_a_column_per_run_of_equal_answers() -> None:
    """102 real releases: one column per run of consecutive releases whose answers are equal in
    every row, each run's releases listed under the table; nothing broke the table."""
    md = render_markdown(all_releases_report())
    rows = table_rows(md, "| Symbol |")
    head = rows[0]
    assert 5 < len(head) < 30 and len({len(r) for r in rows}) == 1
    assert "TF 2.0.0 – 2.15.1 (61)" in head and "TF 1.1.0" in head
    body = {r[0]: r[1:] for r in rows[2:]}
    gru = body["`tf.keras.layers.GRU`"][head.index("TF 2.0.0 – 2.15.1 (61)") - 1]
    assert "`bias zeros (if self.use_bias)`" in gru
    listed = md.split("A column _a – b (n)_", 1)[1].split("\n", 1)[0]
    assert "2.0.0 – 2.15.1: 2.0.0, 2.0.1," in listed and "2.15.0.post1, 2.15.1;" in listed
