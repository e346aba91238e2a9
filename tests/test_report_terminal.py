"""Terminal views: the rich summary table and the diff listing (captured, no colour codes)."""

from __future__ import annotations

from collections.abc import Callable

from report_fixtures import empty_report, realistic_report
from rich.console import Console

from tfinit_audit.report import diff_versions, render_diff_terminal, render_terminal


def capture(fn: Callable[..., None], *args: object, width: int = 200) -> str:
    console = Console(width=width, record=True, color_system=None, force_terminal=False)
    fn(*args, console)
    return console.export_text()


def test_summary_table() -> None:
    out = capture(render_terminal, realistic_report())
    assert "Default initializers by TensorFlow release" in out
    for head in ("TF 1.8.0", "TF 1.10.0", "TF 2.15.0", "TF 2.16.1", "TF 2.99 ✖ error"):
        assert head in out
    wide = capture(render_terminal, realistic_report(), width=400)
    assert "tf.nn.rnn_cell.LSTMCell[use_peepholes=True,num_proj=16]" in wide  # not eaten as markup
    assert "bias zeros|ones|zeros" in out and "+forget_bias=1.0" in out
    assert (
        "▲ changed" in out and "∅ absent" in out and "◐ partial" in out and "⚠ unavailable" in out
    )
    assert "5 releases · 7 symbols" in out
    assert "TF 2.99 (pypi): error: no TensorFlow release on PyPI matches '2.99'" in out
    assert "✔ 5 agree" in out and "✖ 1 disagree" in out


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
