"""Screenshot a report page with headless Chromium (Debian package) via Playwright.

usage: python scripts/screenshot.py reports/example/index.html docs/report-screenshot.png
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def main(page_path: str, png_path: str) -> int:
    chromium = shutil.which("chromium")
    if not chromium:
        print("screenshot: Debian's chromium is not installed (apt-get install chromium)",
              file=sys.stderr)
        return 2
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(Path(page_path).resolve().as_uri())
        page.screenshot(path=png_path)
        browser.close()
    print(f"wrote {png_path}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        raise SystemExit(2)
    raise SystemExit(main(sys.argv[1], sys.argv[2]))
