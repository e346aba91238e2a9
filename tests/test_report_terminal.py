"""Terminal views: the rich summary (the matrix when it fits the width, else the answers as ranges
of releases), and the diff listing (captured, no colour codes)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from report_fixtures import all_releases_report, empty_report, realistic_report
from rich.console import Console

from tfinit_audit.analysis.model import Dims, Initializer, SymbolResult, Weight
from tfinit_audit.report import (
    Report,
    VersionReport,
    diff_versions,
    render_diff_terminal,
    render_terminal,
)

MATRIX_TITLE = "Default initializers by TensorFlow release"
BOX = set("┏┓┗┛┃━┳┻╋┡┩╇│─┼├┤┌┐└┘┬┴")


def capture(fn: Callable[..., None], *args: object, width: int = 200) -> str:
    console = Console(width=width, record=True, color_system=None, force_terminal=False)
    fn(*args, console)
    return console.export_text()


@pytest.fixture(scope="module")
def all_releases() -> Report:
    return all_releases_report()


def test_matrix_when_it_fits() -> None:
    out = capture(render_terminal, realistic_report(), width=400)
    lines = out.splitlines()
    assert lines[0] == ("Releases: 1.8 → 1.8.0 · 1.10 → 1.10.0 · 2.15 → 2.15.0 · 2.16 → 2.16.1 · "
                        "2.99 → error")
    assert lines[1].strip() == MATRIX_TITLE and "┏" in out
    for head in ("TF 1.8.0", "TF 1.10.0", "TF 2.15.0", "TF 2.16.1", "TF 2.99 ✖ error"):
        assert head in out
    assert "tf.nn.rnn_cell.LSTMCell[use_peepholes=True,num_proj=16]" in out  # not eaten as markup
    assert "bias zeros|ones|zeros" in out and "+forget_bias=1.0" in out
    assert (
        "▲ changed" in out and "∅ absent" in out and "◐ partial" in out and "⚠ unavailable" in out
    )
    assert "5 releases · 7 symbols" in out
    # next to the matrix: what each release cost
    assert "TF 2.99 (pypi): error: no TensorFlow release on PyPI matches '2.99'" in out
    assert "TF 1.8.0 (pypi): 14 requests" in out
    assert "✔ 5 agree" in out and "✖ 1 disagree" in out
    assert max(len(line) for line in out.splitlines()) <= 400


@pytest.mark.parametrize("width", [80, 200])
def test_ranges_when_the_matrix_does_not_fit(width: int) -> None:
    out = capture(render_terminal, realistic_report(), width=width)
    assert "┏" not in out and "│" not in out
    body = out.split("\n", 2)[2] if width < 90 else out.split("\n", 1)[1]  # after "Releases:"
    assert body.startswith(f"{MATRIX_TITLE} — 5 releases, 1.8.0 … 2.99")
    rows = out.split("\n\n")
    basic = next(r for r in rows if r.startswith("tf.nn.rnn_cell.BasicRNNCell\n"))
    # the twin name, where the symbol has no answer, then each weight's ranges
    assert re.search(r"\n  as +2\.15\.0, 2\.16\.1 tf\.compat\.v1\.nn\.rnn_cell\.BasicRNNCell\n",
                     basic)
    assert re.search(r"\n  ⚠ unavailable +2\.16\.1\n", basic)
    assert re.search(r"\n  ✖ error +2\.99\n", basic)
    # up to three releases are listed; a range a–b would hide that 1.9 is not in this run
    assert re.search(r"\n  kernel +1\.8\.0, 1\.10\.0, 2\.15\.0 glorot_uniform\n", basic)
    gru = next(r for r in rows if r.startswith("tf.keras.layers.GRU\n"))
    # the bias's shape changes, so each range says its shape
    assert "bias              1.8.0, 1.10.0 zeros [192] · 2.15.0 zeros [2, 192]" in gru
    assert "recurrent_kernel  1.8.0, 1.10.0, 2.15.0 orthogonal" in gru
    dense = next(r for r in rows if r.startswith("tf.layers.Dense\n"))
    assert "kernel          1.8.0, 1.10.0 glorot_uniform · 2.15.0 unresolved" in dense
    lstm = next(r for r in rows if r.startswith("tf.nn.rnn_cell.LSTMCell\n"))
    assert "bias            1.8.0, 1.10.0, 2.15.0 zeros +forget_bias=1.0" in lstm
    # fetch costs summed; the failed release said in full
    assert re.sub(r"\s+", " ", out).count("Fetched: 56 requests, ") == 1
    assert "summed over 4 releases" in re.sub(r"\s+", " ", out)
    assert "TF 2.99 (pypi): error: no TensorFlow release on PyPI matches '2.99'" in out
    assert "5 releases · 7 symbols" in out and "✔ 5 agree" in out
    assert max(len(line) for line in out.splitlines()) <= width


@pytest.mark.parametrize("width", [60, 80, 120, 200])
def test_102_real_releases_read_at_any_width(all_releases: Report, width: int) -> None:
    out = capture(render_terminal, all_releases, width=width)
    lines = out.splitlines()
    flat = re.sub(r"\s+", " ", out.replace(" · ", " "))  # wrapping aside
    assert lines[0] == "Releases: all → 102 releases, 0.12.0 … 2.21.0"  # not 102 labels
    assert flat.startswith(f"Releases: all → 102 releases, 0.12.0 … 2.21.0 {MATRIX_TITLE} — 102 "
                           "releases, 0.12.0 … 2.21.0")
    assert max(len(line) for line in lines) <= width
    assert not [ln for ln in lines if ln.endswith(" ")]
    # never a word cut: every word is one of the words of the unwrapped summary
    wide = capture(render_terminal, all_releases, width=1000)
    assert "┏" not in wide and max(len(ln) for ln in wide.splitlines()) > 200
    words = set(wide.split())
    cut = [w for w in out.split() if w not in words]  # only words wider than the room, at , . [
    assert all(len(w) > width - 6 for w in words if any(w.startswith(c) for c in cut))
    assert all(c[-1] in ",.[(/" or any(w.endswith(c) for w in words) for c in cut)
    assert not cut or width < 70
    # no line of empty table cells, no word of an answer cut by the width
    assert not [ln for ln in lines if ln.strip() and set(ln.strip()) <= BOX | {" "}]
    assert not [ln for ln in lines if re.search(r"\b(glorot|orthogon|random|zero|constan)\w*$",
                                                ln) and not re.search(
        r"\b(glorot_uniform|orthogonal|random_uniform\S*|zeros\S*|constant\S*)$", ln)]
    assert len(lines) < 300  # a page or three, not a line per release
    for key in ("tf.nn.rnn_cell.LSTMCell", "tf.keras.layers.Embedding", "tf.get_variable",
                "tf.keras.layers.BatchNormalization"):
        assert f"\n{key}\n" in out
    # real answers as ranges of releases (see tests/data/all-releases.report.json.gz)
    assert "1.4.0–1.15.5 zeros [192] (if self.use_bias) 2.0.0–2.21.0 zeros [2, 192]" in flat
    assert "1.4.0–1.10.1 random_uniform(0,1) 1.11.0–2.15.1 random_uniform(-0.05,0.05)" in flat
    assert "v 0.12.0, 0.12.1 uniform_unit_scaling 1.0.0–2.21.0 glorot_uniform" in flat
    lstm = out.split("\ntf.keras.layers.LSTM\n", 1)[1].split("\n\n", 1)[0]
    assert re.search(r"  ∅ absent +0\.12\.0–1\.3\.0\n", lstm)
    assert re.search(r"  recurrent_kernel +1\.4\.0–2\.21\.0 orthogonal\n", lstm)
    cell = out.split("\ntf.nn.rnn_cell.LSTMCell\n", 1)[1].split("\n\n", 1)[0]
    assert re.search(r"  ⚠ unavailable +2\.16\.1–2\.21\.0\n", cell)
    assert "2.0.0–2.21.0 tf.compat.v1.nn.rnn_cell.LSTMCell" in re.sub(r"\s+", " ", cell)
    assert "102 releases · 16 symbols" in out
    assert "TF 1.8.0 (pypi)" not in out  # no line per release
    if width == 80:  # answers that do not fit one line: one range a line, aligned
        assert re.search(r"\n  bias {14}1\.4\.0–1\.15\.5 zeros \[192\] \(if self\.use_bias\)\n"
                         r" {20}2\.0\.0–2\.21\.0 zeros \[2, 192\] \(if self\.use_bias\)\n", out)


def _one(symbol: SymbolResult, label: str) -> VersionReport:
    return VersionReport(label, label, "pypi", symbols=[symbol])


def test_long_names_and_answers_wrap_indented() -> None:
    """A weight name wider than the name column gets a line of its own; an answer wider than a
    line is wrapped at spaces, its further lines two deeper than the answers' column, never cut
    in a word; a word longer than the room there puts that weight's answers under its name."""
    cond = " and ".join(f"self.option_{i} is not None" for i in range(12))
    w_long = Weight("a/very/long/weight/name/that/does/not/fit", [3], "",
                    Initializer("zeros"), False)
    w_cond = Weight("kernel", [3, 4], "", Initializer("glorot_uniform"), False, condition=cond)
    versions = [_one(SymbolResult("tf.keras.layers.X", "resolved", weights=[w_long, w_cond]),
                     f"2.{i}.0") for i in range(30)]
    versions[10].symbols = [SymbolResult("tf.keras.layers.X", "absent", message="no X")]
    report = Report("tfinit-audit", "0.1.0", Dims(), versions)
    out = capture(render_terminal, report, width=72)
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 72
    i = lines.index("  a/very/long/weight/name/that/does/not/fit")
    assert lines[i + 1].strip() == "2.0.0–2.9.0 zeros · 2.11.0–2.29.0 zeros"
    start = next(i for i, ln in enumerate(lines) if ln.startswith("  kernel "))
    col = lines[start].index("2.0.0–2.9.0 glorot_uniform (if self.option_0")
    end = next(i for i, ln in enumerate(lines) if ln.startswith("30 releases"))
    block = lines[start + 1:end]
    second = next(k for k, ln in enumerate(block) if ln.strip().startswith("2.11.0–2.29.0"))
    assert second > 2 and block[second][:col] == " " * col and block[second][col] != " "
    others = block[:second] + block[second + 1:]
    assert all(ln[:col + 2] == " " * (col + 2) and ln[col + 2] != " " for ln in others)
    text = " ".join(ln.strip() for ln in lines[start:end])
    assert text.endswith("2.11.0–2.29.0 glorot_uniform (if " + cond + ")")
    assert re.search(r"  ∅ absent +2\.10\.0\n", out)
    assert not [ln for ln in lines if ln.endswith(" ")]


def test_a_word_longer_than_the_room_goes_under_its_name() -> None:
    short = "tf.contrib.rnn.LSTMCell[use_peepholes=True]"
    long = "tf.compat.v1.nn.rnn_cell.LSTMCell[use_peepholes=True,num_proj=16]"
    w = Weight("recurrent_kernel", [3, 4], "", Initializer("orthogonal"), False)
    versions = [_one(SymbolResult(long, "resolved", weights=[w], twin=short), f"2.{i}.0")
                for i in range(30)]
    out = capture(render_terminal, Report("tfinit-audit", "0.1.0", Dims(), versions), width=80)
    assert "\n  recurrent_kernel  2.0.0–2.29.0 orthogonal\n" in out  # the column is kept
    # only this line goes under its name, the name wrapped as a whole
    assert f"\n  as\n    2.0.0–2.29.0\n      {long}\n" in out
    assert max(len(line) for line in out.splitlines()) <= 80


def test_narrow_console_puts_answers_under_names() -> None:
    out = capture(render_terminal, realistic_report(), width=40)
    assert max(len(line) for line in out.splitlines()) <= 40
    assert "\n  kernel\n    1.8.0, 1.10.0, 2.15.0 glorot_uniform\n" in out


def test_empty() -> None:
    out = capture(render_terminal, empty_report())
    assert "No symbols analysed." in out and "0 releases" in out


def test_diff_listing() -> None:
    r = realistic_report()
    out = capture(render_diff_terminal, diff_versions(r))
    assert "TF 1.10.0 → TF 2.15.0" in out and "TF 2.15.0 → TF 2.16.1" in out
    # value changes come first, in full; code-path-only changes after them, one line each
    assert "tf.keras.layers.GRU  bias: shape: [192] → [2, 192]" in out
    first_pair = out.split("TF 1.10.0 → TF 2.15.0")[1].split("\nTF ")[0]
    assert first_pair.index("change(s) of starting values") < (
        first_pair.index("bias: shape: [192] → [2, 192]"))
    if "code path only" in first_pair:
        assert first_pair.index("bias: shape") < first_pair.index("code path only")
    assert "No differences" in capture(render_diff_terminal, [])


def test_ranges_say_why_a_release_shows_no_weight() -> None:
    from report_fixtures import pattern_report

    report = pattern_report()
    out = capture(render_terminal, report, width=40)  # too narrow for the matrix
    lam = next(r for r in out.split("\n\n") if r.startswith("tf.keras.layers.Lambda\n"))
    assert "2.15.0 not built: needs function" in " ".join(lam.split())
    sym = report.versions[0].symbols[3]
    sym.status, sym.message, sym.missing_arguments = "partial", "nothing seen", []
    out = capture(render_terminal, report, width=40)
    lam = next(r for r in out.split("\n\n") if r.startswith("tf.keras.layers.Lambda\n"))
    assert "2.15.0 partial: nothing seen" in " ".join(lam.split())
