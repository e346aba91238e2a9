"""HTML report rendering from report models: structure, escaping of hostile text, empty and error
states, self-containment (no URL the browser would fetch)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from report_fixtures import (
    HOSTILE,
    empty_report,
    error_only_report,
    hostile_report,
    realistic_report,
)

from tfinit_audit.errors import UsageError
from tfinit_audit.report import render_html, write_reports


class Collector(HTMLParser):
    """Every start tag with its attributes, plus the raw text of <script> and <style>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in: str | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._in = tag

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "script":
            self.scripts.append(data)
        elif self._in is None:
            self.text.append(data)


def parse(html: str) -> Collector:
    c = Collector()
    c.feed(html)
    return c


def version_block(html: str, anchor: str) -> str:
    """The <details> of one symbol in one release (up to the next release's block)."""
    rest = html.split(f'<details id="{anchor}"', 1)[1]
    return re.split(r'<details id="|</section>', rest, maxsplit=1)[0]


@pytest.fixture(scope="module")
def realistic_html() -> str:
    return render_html(realistic_report())


def test_document_basics(realistic_html: str) -> None:
    c = parse(realistic_html)
    html_tag = next(a for t, a in c.tags if t == "html")
    assert html_tag.get("lang") == "en"
    assert any(t == "meta" and a.get("name") == "viewport" for t, a in c.tags)
    csp = next(
        a["content"]
        for t, a in c.tags
        if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"
    )
    assert "default-src 'none'" in (csp or "")
    assert "@media print" in realistic_html and "@media (max-width" in realistic_html


def test_self_contained_no_fetchable_urls(realistic_html: str) -> None:
    c = parse(realistic_html)
    for tag, attrs in c.tags:
        assert tag not in ("img", "iframe", "object", "embed", "video", "audio")
        if tag == "script":
            assert "src" not in attrs
        if tag == "link":
            assert attrs.get("href", "").startswith("data:"), attrs
        for name in ("src", "srcset", "poster", "background"):
            assert name not in attrs, (tag, attrs)
    # only hyperlinks (navigation on click) may point outside; nothing in CSS does
    assert "url(" not in realistic_html
    assert "@import" not in realistic_html
    external = [a["href"] for t, a in c.tags if t == "a" and a.get("href", "").startswith("http")]
    assert external and all(h.startswith("https://github.com/") for h in external)


def test_matrix_rows_and_twin_sharing(realistic_html: str) -> None:
    c = parse(realistic_html)
    rows = [a for t, a in c.tags if t == "tr" and "data-slug" in a]
    slugs = [a["data-slug"] for a in rows]
    # 1.8's tf.nn.rnn_cell.LSTMCell and 2.15's tf.compat.v1.nn.rnn_cell.LSTMCell share one row
    assert slugs.count("tf-nn-rnn-cell-lstmcell") == 1
    assert "tf-compat-v1-nn-rnn-cell-lstmcell" not in slugs
    assert len(slugs) == 7
    # the concrete compat.v1 name is shown in the shared row's 2.15 cell
    row = realistic_html.split('data-slug="tf-nn-rnn-cell-lstmcell"', 1)[1].split("</tr>", 1)[0]
    assert "tf.compat.v1.nn.rnn_cell.LSTMCell" in row
    assert "glorot_u" in row and "+forget_bias=1.0" in row
    # headers: real table headers with scope
    assert realistic_html.count('<th scope="row" class="rowh">') == 7
    assert '<th scope="col" class="rowh">Symbol</th>' in realistic_html


def matrix_cells(html: str, slug: str) -> dict[str, str]:
    """A matrix row's cells: ``"v<i>"`` for release i's own cell, ``"g<n>"`` for the cell of
    column group n (consecutive releases with the same answers, collapsed)."""
    row = html.split(f'data-slug="{slug}"', 1)[1].split("</tr>", 1)[0]
    out = {}
    for td in row.split("<td")[1:]:
        m = re.search(r'data-(v|g)="(\d+)"', td.split(">", 1)[0])
        assert m, td[:200]
        out[m.group(1) + m.group(2)] = td
    return out


def test_changed_cells_marked_by_text_not_only_colour(realistic_html: str) -> None:
    cells = matrix_cells(realistic_html, "tf-keras-layers-gru")
    # 1.10 -> 2.15: bias shape [192] -> [2, 192] and reset_after: value change, highlighted
    assert "changed" in cells["v2"].split(">", 1)[0]
    assert "▲</span> changed" in cells["v2"]
    assert "shape: [192] → [2, 192]" in cells["v2"]  # the title says what changed
    # 1.8 -> 1.10: only the file moved: a trace change, not a value change
    assert "path changed" in cells["v1"] and "▲" not in cells["v1"]


def test_matrix_column_groups(realistic_html: str) -> None:
    """1.8.0 and 1.10.0 give every row the same answer: one column for both (the cells of
    1.8.0), and a column per release, hidden until the group is expanded."""
    cells = matrix_cells(realistic_html, "tf-keras-layers-gru")
    assert set(cells) == {"g0", "v0", "v1", "v2", "v3", "v4"}
    assert "grp s0" in cells["g0"] and "mem m0" in cells["v0"] and "mem m0" in cells["v1"]
    assert 'href="#tf-keras-layers-gru--v0"' in cells["g0"]
    # the collapsed cell says that the code path moves inside the group (1.10.0)
    assert "path moves within" in cells["g0"] and "TF 1.10.0" in cells["g0"]
    head = realistic_html.split("<thead>", 1)[1].split("</thead>", 1)[0]
    assert '<span class="tfv">TF 1.8.0 – 1.10.0</span>' in head
    assert "2 releases, same answers" in head
    assert head.count('class="mem m0"') == 2 and head.count('data-g="0"') == 2  # two toggles
    assert "#matrix.x0 .m0 { display: table-cell; }" in realistic_html
    # releases whose answers differ in some row stay apart
    assert 'class="grp s1"' not in realistic_html


def test_status_badges(realistic_html: str) -> None:
    for status, label in (
        ("partial", "partial"),
        ("unavailable", "unavailable"),
        ("absent", "absent"),
        ("error", "error"),
    ):
        assert f'class="badge b-{status}"' in realistic_html
        assert f"</span> {label}</span>" in realistic_html


def test_symbol_section_weights_and_provenance(realistic_html: str) -> None:
    sec = version_block(realistic_html, "tf-nn-rnn-cell-lstmcell--v0")
    assert '<table class="weights">' in sec
    for col in (
        "Weight",
        "Shape",
        "Initializer",
        "Limit / σ",
        "Default?",
        "Runtime adjustments",
        "Condition",
    ):
        assert f'<th scope="col">{col}</th>' in sec
    assert "[96, 256]" in sec and "±0.1306" in sec  # sqrt(6 / (96 + 256))
    assert "fallback" in sec and "forget_bias=1.0 added to forget gate pre-activation" in sec
    # every hop, with the exact line on GitHub at the release tag
    assert (
        'href="https://github.com/tensorflow/tensorflow/blob/v1.8.0/tensorflow/python/ops/rnn_cell_impl.py#L762"'
        in sec
    )
    assert (
        'href="https://github.com/tensorflow/tensorflow/blob/v1.8.0/tensorflow/python/ops/variable_scope.py#L828"'
        in sec
    )
    assert "initializer = init_ops.glorot_uniform_initializer()" in sec
    assert "gate order" in sec and "i, j, f, o" in sec


def test_keras_links_and_generated_files(realistic_html: str) -> None:
    sec = version_block(realistic_html, "tf-nn-rnn-cell-lstmcell--v2")
    assert (
        'href="https://github.com/keras-team/keras/blob/v2.15.0/keras/src/layers/rnn/legacy_cells.py#L1090"'
        in sec
    )
    # the generated compat.v1 API module exists only in the wheel: no link, said so
    assert "tensorflow/_api/v2/compat/v1/__init__.py:58</span>" in sec
    assert "generated at build time" in sec
    # keras 3.0.x wheels put the repo's keras/ under keras/src/
    k3 = version_block(realistic_html, "tf-keras-layers-lstm--v3")
    assert "https://github.com/keras-team/keras/blob/v3.0.5/keras/layers/rnn/lstm.py#L" in k3


def test_composite_partial_and_unresolved(realistic_html: str) -> None:
    lstm = version_block(realistic_html, "tf-keras-layers-lstm--v2")
    assert "composite: [0:64] zeros + [64:128] ones + [128:256] zeros" in lstm
    dense = version_block(realistic_html, "tf-layers-dense--v2")
    assert "unresolved: <code>initializer or scope.initializer</code>" in dense
    assert "keras/src/legacy_tf_layers/base.py:463" in dense


def test_diff_section(realistic_html: str) -> None:
    sec = realistic_html.split('id="changes"', 1)[1].split("</section>", 1)[0]
    assert 'TF 1.10.0 <span aria-hidden="true">→</span>' in sec
    assert "[192]" in sec and "[2, 192]" in sec
    assert "availability" in sec and "absent" in sec
    assert "TF 2.99" not in sec  # the error release is skipped, not compared


def test_live_section_with_svg_charts(realistic_html: str) -> None:
    sec = realistic_html.split('id="live"', 1)[1].split('id="symbols"', 1)[0]
    assert sec.count("<svg ") == 7  # one per sampled weight
    assert 'role="img"' in sec and "<title id=" in sec and "<desc id=" in sec
    assert "predicted: uniform ±0.1443" in sec  # glorot limit for [32, 256]
    assert "75% at 0.0, 25% at 1.0" in sec  # composite zeros|ones|zeros bias
    assert "b-disagree" in sec and "b-inconclusive" in sec and "b-agree" in sec
    assert "KS p=0.61" in sec  # evidence checks are shown
    assert "tensorflow is not importable" in sec  # the failed interpreter, not dropped
    ids = re.findall(r'<svg[^>]*aria-labelledby="([^"]+)"', sec)
    assert len(set(ids)) == len(ids)


def test_header_has_run_facts(realistic_html: str) -> None:
    head = realistic_html.split("<main", 1)[0]
    assert "tfinit-audit 0.1.0" in head and "2025-01-15T10:42:07Z" in head
    assert "--versions 1.8 1.10 2.15 2.16 2.99 --live" in head
    src = realistic_html.split('id="sources"', 1)[1]
    assert "tensorflow-1.8.0-cp36-cp36m-manylinux1_x86_64.whl" in src
    assert re.search(r"sha256 <code>[0-9a-f]{64}</code>", src)
    assert "14 requests" in src and "from cache" in src


def test_ids_unique(realistic_html: str) -> None:
    ids = [a["id"] for _, a in parse(realistic_html).tags if a.get("id")]
    assert len(ids) == len(set(ids))
    for href in re.findall(r'href="#([^"]+)"', realistic_html):
        assert href in ids, href


def test_hostile_text_is_escaped_everywhere() -> None:
    html = render_html(hostile_report())
    c = parse(html)
    # the only script is ours, and it carries no report text
    assert len(c.scripts) == 1 and "alert" not in c.scripts[0]
    assert sum(1 for t, _ in c.tags if t == "script") == 1
    for tag, attrs in c.tags:
        assert tag not in ("img", "b", "i"), (tag, attrs)
        assert not any(k.startswith("on") for k in attrs), (tag, attrs)
        if tag == "svg":
            assert set(attrs) <= {
                "class",
                "viewbox",
                "width",
                "height",
                "role",
                "aria-labelledby",
                "xmlns",
            }
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # quotes cannot break out of attributes (title="..." of a changed cell, aria-label, ...)
    assert '"><svg onload' not in html and "&#34;&gt;&lt;svg onload=alert(3)&gt;" in html
    # the text survives, readable
    text = "".join(c.text)
    assert HOSTILE in text and "<svg onload=alert(4)>" in text


def test_empty_report_renders() -> None:
    html = render_html(empty_report())
    assert "No symbols were analysed" in html
    assert "No live verification was run" in html
    assert "Fewer than two releases" in html
    assert "<table" not in html


def test_error_only_report_renders() -> None:
    html = render_html(error_only_report())
    assert "files.pythonhosted.org unreachable" in html
    assert 'class="badge b-error"' in html


def test_write_reports_atomic_and_formats(tmp_path: Path) -> None:
    out = tmp_path / "nested" / "site"
    written = write_reports(realistic_report(), out, {"html", "md"})
    assert set(written) == {"html", "md"}
    assert written["html"] == out / "index.html" and written["md"] == out / "report.md"
    assert not (out / "report.json").exists()
    assert sorted(p.name for p in out.iterdir()) == [
        "index.html",
        "report.md",
    ]  # no temp files left
    written = write_reports(realistic_report(), out, {"json"})
    assert written == {"json": out / "report.json"}


def test_write_reports_rejects_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown report format"):
        write_reports(realistic_report(), tmp_path, {"html", "pdf"})
    assert list(tmp_path.iterdir()) == []


def test_port_snippets_per_symbol_and_release(realistic_html: str) -> None:
    sec = version_block(realistic_html, "tf-nn-rnn-cell-lstmcell--v0")
    assert '<details class="ports">' in sec
    assert "Port snippets: PyTorch, JAX (Flax linen), Keras, NumPy" in sec
    for target in ("pytorch", "jax", "keras", "numpy"):
        anchor = f"tf-nn-rnn-cell-lstmcell--v0-port-{target}"
        assert f'<pre class="code port-code" id="{anchor}">' in sec
        assert f'<button type="button" class="copy js-only" data-copy="{anchor}" hidden>' in sec
    assert "→ <code>torch.nn.LSTMCell</code>" in sec
    # the code is escaped text: the snippet's quotes and brackets survive as entities
    assert "bias[..., 128:192] += 1.0" in sec
    assert "w[&#34;kernel&#34;][:32]" in sec
    assert "tfinit-audit port tf.nn.rnn_cell.LSTMCell --version 1.8.0 --to TARGET" in sec
    # a partial symbol has no port, said once for every target
    doc = parse(realistic_html)
    copies = [a["data-copy"] for t, a in doc.tags if t == "button" and "data-copy" in a]
    ids = {a.get("id") for _, a in doc.tags}
    assert copies and all(c in ids for c in copies)
    assert "No port: TF 2.15.0: " in realistic_html and "is unresolved" in realistic_html
