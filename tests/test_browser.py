"""The generated HTML report in a real browser: headless Chromium (Debian package) via Playwright.

Opens the file from disk, checks the matrix and a provenance link are visible, that the page logs
no console errors and requests nothing but itself, that the keyboard reaches the filter and the
links, and saves screenshots to test-artifacts/ (desktop and phone widths)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from report_fixtures import all_releases_report, hostile_report, realistic_report

from tfinit_audit.report import view, write_reports

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    exe = shutil.which("chromium")
    assert exe, "Debian package 'chromium' is not installed (apt-get install -y chromium)"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


class Watched:
    def __init__(self, page: Any) -> None:
        self.page = page
        self.requests: list[str] = []
        self.console: list[tuple[str, str]] = []
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("console", lambda m: self.console.append((m.type, m.text)))
        page.on("pageerror", lambda e: self.console.append(("pageerror", str(e))))


def open_report(browser: Any, report: Any, out: Path, width: int = 1280) -> Watched:
    written = write_reports(report, out, {"html"})
    page = browser.new_page(viewport={"width": width, "height": 900})
    w = Watched(page)
    page.goto(written["html"].as_uri())
    page.wait_for_load_state("load")
    return w


def test_report_in_chromium(browser: Any, tmp_path: Path) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    w = open_report(browser, realistic_report(), tmp_path / "site")
    page = w.page
    uri = (tmp_path / "site" / "index.html").as_uri()

    matrix = page.locator("#matrix")
    assert matrix.is_visible()
    assert page.locator("#matrix tbody tr").count() == 7
    assert page.get_by_role("columnheader", name="TF 2.15.0").first.is_visible()
    page.screenshot(path=str(ARTIFACTS / "report-desktop.png"))

    # a matrix cell opens its release's section; the provenance link to GitHub is visible there
    # (1.8.0 and 1.10.0 answer alike everywhere: their column is one until expanded)
    page.locator('td.grp a.cl[href="#tf-nn-rnn-cell-lstmcell--v0"]').click()
    details = page.locator("#tf-nn-rnn-cell-lstmcell--v0")
    assert details.get_attribute("open") is not None
    link = details.locator(
        'a.src[href="https://github.com/tensorflow/tensorflow/blob/v1.8.0/'
        'tensorflow/python/ops/variable_scope.py#L828"]'
    ).first
    link.scroll_into_view_if_needed()
    assert link.is_visible()
    page.screenshot(path=str(ARTIFACTS / "report-provenance.png"))

    # the filter works and is announced
    page.fill("#filter", "GRU")
    assert page.locator("#matrix tbody tr:visible").count() == 1
    assert "1 of 7" in page.locator("#filter-count").inner_text()
    page.fill("#filter", "")
    page.check("#only-changed")
    assert 0 < page.locator("#matrix tbody tr:visible").count() < 7
    page.uncheck("#only-changed")

    # a port snippet is one click from the provenance, and its Copy button copies the code
    ports = details.locator("details.ports")
    ports.locator("summary").click()
    copy = ports.locator('button.copy[data-copy="tf-nn-rnn-cell-lstmcell--v0-port-pytorch"]')
    assert copy.is_visible()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    copy.click()
    for _ in range(40):  # the clipboard answers asynchronously
        if copy.inner_text() != "Copy":
            break
        page.wait_for_timeout(50)
    assert copy.inner_text() in ("Copied", "Selected: press Ctrl+C")
    if copy.inner_text() == "Copied":
        pasted = page.evaluate("navigator.clipboard.readText()")
        assert pasted.startswith("# tf.nn.rnn_cell.LSTMCell (TF 1.8.0) -> torch.nn.LSTMCell")
        assert "def build(seed):" in pasted
    page.screenshot(path=str(ARTIFACTS / "report-port.png"))

    # live charts are drawn
    page.locator("#live").scroll_into_view_if_needed()
    assert page.locator("#live svg.chart").first.is_visible()
    page.screenshot(path=str(ARTIFACTS / "report-live.png"))

    # nothing but the page itself was requested; no console errors (CSP violations would be)
    assert w.requests == [uri], w.requests
    assert [m for m in w.console if m[0] in ("error", "pageerror", "warning")] == []


def test_keyboard_reaches_filter_and_links(browser: Any, tmp_path: Path) -> None:
    w = open_report(browser, realistic_report(), tmp_path / "kb")
    page = w.page
    seen: list[dict[str, str]] = []
    for _ in range(40):
        page.keyboard.press("Tab")
        seen.append(
            page.evaluate(
                "() => { const a = document.activeElement; return {tag: a.tagName, id: a.id || '',"
                " href: a.getAttribute('href') || '', outline: getComputedStyle(a).outlineStyle}; }"
            )
        )
        if any(s["id"] == "filter" for s in seen) and any(
            s["href"].startswith("#tf-") for s in seen
        ):
            break
    assert seen[0]["href"] == "#main"  # skip link first
    assert any(s["id"] == "filter" for s in seen), seen
    assert any(s["tag"] == "A" and s["href"].startswith("#tf-") for s in seen), seen
    # focus is visible (an outline, not colour alone) on everything the keyboard reached
    assert all(s["outline"] not in ("none", "") for s in seen if s["tag"] in ("A", "INPUT")), seen
    # Enter on a focused cell link opens the release details
    page.focus('a.cl[href="#tf-keras-layers-gru--v2"]')
    page.keyboard.press("Enter")
    # the page opens the details from its hashchange handler: wait for it (up to 5 s)
    page.wait_for_function(
        "() => document.getElementById('tf-keras-layers-gru--v2').hasAttribute('open')",
        timeout=5000,
    )
    assert page.locator("#tf-keras-layers-gru--v2").get_attribute("open") is not None


def test_phone_width_and_print(browser: Any, tmp_path: Path) -> None:
    w = open_report(browser, realistic_report(), tmp_path / "phone", width=390)
    page = w.page
    # the page itself does not scroll sideways; the matrix scrolls inside its region
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390 + 1
    assert page.locator("#matrix").is_visible()
    page.screenshot(path=str(ARTIFACTS / "report-phone.png"))
    page.emulate_media(media="print")
    assert page.locator(".toolbar").is_hidden()
    pdf = page.pdf(format="A4")
    assert pdf[:4] == b"%PDF" and len(pdf) > 20_000


def test_hostile_report_runs_no_injected_script(browser: Any, tmp_path: Path) -> None:
    w = open_report(browser, hostile_report(), tmp_path / "hostile")
    page = w.page
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
    page.wait_for_timeout(200)
    assert dialogs == []
    assert page.locator("img").count() == 0
    assert "<script>alert(1)</script>" in page.locator("body").inner_text()
    assert len(w.requests) == 1


def test_102_real_releases_collapse_expand_and_filter(browser: Any, tmp_path: Path) -> None:
    """The report of every release (real analysis results): one matrix column per run of
    releases with the same answers, expanded on demand; the filter; per-symbol spans and
    details rendered when opened, also when reached by a link."""
    w = open_report(browser, all_releases_report(), tmp_path / "all")
    page = w.page
    heads = page.locator("#matrix thead th")
    groups = page.locator("#matrix thead th.grp")
    n_groups = groups.count()
    assert 5 < n_groups < 30
    visible = [h for h in heads.all() if h.is_visible()]
    assert 1 + n_groups <= len(visible) < 40  # not 103 columns
    assert page.locator("#matrix tbody tr").count() == 16
    page.screenshot(path=str(ARTIFACTS / "report-all-releases.png"))
    # the header names the releases in brief, the list on demand; the matrix is on screen
    rels = page.locator(".meta details.rels")
    assert rels.locator("summary").inner_text() == "all → 102 releases, 0.12.0 … 2.21.0"
    assert rels.evaluate("d => !d.open") and "2.15.0.post1" in rels.text_content()
    assert page.locator("#matrix").bounding_box()["y"] < 900
    cap = page.locator("#matrix-caption").bounding_box()
    assert cap["x"] + cap["width"] <= 1280  # wrapped in the page, not as wide as the table
    # a porting-fact change is a row of the change table like any other (its class is no
    # other element's)
    fact = page.locator("table.changes tr.cat-facts").first
    assert fact.locator("td.after").evaluate("e => getComputedStyle(e).display") == "table-cell"

    # expand the column of 2.0.0 – 2.15.1 into one column per release, then collapse it again
    group = page.locator("#matrix thead th.grp", has_text="TF 2.0.0 – 2.15.1")
    number = group.get_attribute("class").split("s")[-1]  # "grp s<n>"
    members = page.locator(f"#matrix thead th.m{number}")
    assert members.count() > 20 and not members.first.is_visible()
    group.get_by_role("button", name=re.compile("Show each")).click()
    assert members.first.is_visible() and members.last.is_visible()
    assert page.get_by_role("columnheader", name=re.compile(r"^TF 2\.9\.1\b")).is_visible()
    assert not group.is_visible()
    collapse = members.first.get_by_role("button", name=re.compile("Collapse"))
    assert collapse.get_attribute("aria-expanded") == "true"
    assert page.evaluate("() => document.activeElement.getAttribute('aria-expanded')") == "true"
    row = page.locator('#matrix tbody tr[data-slug="tf-keras-layers-gru"]')
    assert "zeros" in row.locator("td[data-v]").nth(60).inner_text()
    collapse.click()
    assert group.is_visible() and not members.first.is_visible()

    # the filter: rows and their sections
    page.fill("#filter", "GRU")
    assert page.locator("#matrix tbody tr:visible").count() == 3
    assert "3 of 16" in page.locator("#filter-count").inner_text()
    assert page.locator("section.sym:visible").count() == 3
    page.fill("#filter", "")
    assert page.locator("#matrix tbody tr:visible").count() == 16

    # per symbol: spans of equal answers; a variant's details are drawn when it opens
    sec = page.locator("#sym-tf-keras-layers-gru")
    span = sec.locator("details.span", has_text="TF 2.0.0 – 2.21.0")
    span.locator("summary").first.click()
    variant = span.locator("details.ver").first
    assert variant.locator(".det[data-pending]").count() == 1
    variant.locator("summary").first.click()
    body = variant.locator(".det")
    body.locator("table.weights").wait_for()
    assert "[2, 192]" in body.inner_text() and "reset_after" in body.inner_text()
    assert body.locator('a.src[href^="https://github.com/"]').count() > 3
    body.locator("details.ports > summary").click()
    copy = body.locator("button.copy").first
    assert copy.is_visible()  # buttons of a body drawn later are shown and work
    copy.click()
    page.wait_for_function("() => [...document.querySelectorAll('button.copy')]"
                           ".some(b => b.textContent !== 'Copy')", timeout=5000)
    # a link to a release inside a merged variant opens that variant, drawn
    target = page.locator('[id="tf-keras-layers-lstm--v95"]')
    assert target.count() == 1
    page.evaluate("() => { location.hash = 'tf-keras-layers-lstm--v95'; }")
    page.wait_for_function(
        "() => { const d = document.getElementById('tf-keras-layers-lstm--v95')"
        ".closest('details.ver'); return d.open && !d.querySelector('.det[data-pending]'); }",
        timeout=5000,
    )
    opened = page.locator("details.ver[open]", has=target)
    assert "orthogonal" in opened.inner_text()
    page.screenshot(path=str(ARTIFACTS / "report-all-releases-details.png"))

    assert w.requests == [(tmp_path / "all" / "index.html").as_uri()], w.requests
    assert [m for m in w.console if m[0] in ("error", "pageerror", "warning")] == []


def test_hostile_text_in_details_drawn_later_runs_nothing(
    browser: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(view, "LAZY_DETAILS", 0)  # every detail body drawn when opened
    w = open_report(browser, hostile_report(), tmp_path / "hostile-lazy")
    page = w.page
    assert page.locator("details.ver[data-lazy]").count() >= 2
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.click("#expand-all")
    page.wait_for_function("() => !document.querySelector('.det[data-pending]')", timeout=5000)
    page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
    page.wait_for_timeout(200)
    assert dialogs == []
    assert page.locator("img").count() == 0 and page.locator("main script").count() == 0
    assert "<script>alert(1)</script>" in page.locator("#symbols").inner_text()
    assert len(w.requests) == 1


OPEN_JS = """() => new Promise(resolve => {
  const done = () => requestAnimationFrame(() => { document.body.offsetHeight;
                                                   resolve(performance.now()); });
  if (document.readyState === "complete") { done(); } else { addEventListener("load", done); }
})"""
FILTER_JS = """(q) => new Promise(resolve => {
  const f = document.getElementById("filter");
  const t0 = performance.now();
  f.value = q;
  f.dispatchEvent(new Event("input"));
  document.body.offsetHeight;
  requestAnimationFrame(() => resolve(performance.now() - t0));
})"""


def test_102_real_releases_open_and_filter_well_under_two_seconds(
    browser: Any, tmp_path: Path
) -> None:
    """Issue 10's bar for the report of every release: it opens and filters in well under 2 s.
    Timed inside the page (navigation start to the first frame after the load event; typing
    a query until the page has laid out the result), the median of three opens. The margins
    are measured by benchmarks/reports.py (about 0.7 s to open, 0.02 s to filter)."""
    written = write_reports(all_releases_report(), tmp_path / "all", {"html"})
    opened, filtered = [], []
    for _ in range(3):
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(written["html"].as_uri(), wait_until="commit")
        opened.append(page.evaluate(OPEN_JS) / 1000)
        filtered.append(page.evaluate(FILTER_JS, "LSTM") / 1000)
        assert page.locator("#matrix tbody tr:visible").count() == 5
        page.close()
    open_s, filter_s = sorted(opened)[1], sorted(filtered)[1]
    assert open_s + filter_s < 2.0, (opened, filtered)
