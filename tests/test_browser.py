"""The generated HTML report in a real browser: headless Chromium (Debian package) via Playwright.

Opens the file from disk, checks the matrix and a provenance link are visible, that the page logs
no console errors and requests nothing but itself, that the keyboard reaches the filter and the
links, and saves screenshots to test-artifacts/ (desktop and phone widths)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from report_fixtures import hostile_report, realistic_report

from tfinit_audit.report import write_reports

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
    page.locator('a.cl[href="#tf-nn-rnn-cell-lstmcell--v0"]').click()
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
