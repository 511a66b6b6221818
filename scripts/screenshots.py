"""Take the README's screenshots of a code page, light and dark, in the tests' Chromium.

Run by `make screenshots`: builds the real site into a temporary folder and writes
docs/code-page-light.png and docs/code-page-dark.png (desktop) and docs/code-page-phone.png.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(PROJECT), str(PROJECT / "tests")]

from browser import launch  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

import build  # noqa: E402

SHOTS = {  # file name: (viewport, colour scheme)
    "code-page-light.png": ({"width": 1000, "height": 760}, "light"),
    "code-page-dark.png": ({"width": 1000, "height": 760}, "dark"),
    "code-page-phone.png": ({"width": 390, "height": 844}, "light"),
}


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        site = Path(folder) / "site"
        if build.main(["--out", str(site)]) != 0:
            return 1
        page_url = (site / "codes" / "487.html").as_uri()
        with sync_playwright() as playwright:
            browser = launch(playwright)
            for name, (viewport, scheme) in SHOTS.items():
                context = browser.new_context(viewport=viewport, color_scheme=scheme)
                page = context.new_page()
                page.goto(page_url)
                page.screenshot(path=str(PROJECT / "docs" / name))
                context.close()
            browser.close()
    print(f"docs/: {', '.join(SHOTS)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
