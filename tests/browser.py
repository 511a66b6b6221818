"""Helpers for tests in a real headless Chromium (Debian's chromium, driven by Playwright)."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Playwright

# Flags as this machine needs them: no sandbox as root, and no background connections that a
# closed network would refuse (they would count as requests leaving the machine).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--allow-file-access-from-files",
]


# Features of the browser's own window that no test looks at and that cost seconds a run: new
# headless Chromium opens a window for every browser context, and each loads the address
# bar's popup, a web page of its own, in a renderer of its own.
UNUSED_FEATURES = ["WebUIOmniboxPopup", "WebUIOmniboxAimPopup"]
DISABLE_FEATURES = "--disable-features="


def launch(playwright: Playwright) -> Browser:
    """Launch Chromium headless with CHROMIUM_ARGS and UNUSED_FEATURES turned off.

    Chromium obeys only the last --disable-features it is given, and Playwright passes a list
    of its own (features that would make runs flaky or reach the network), so a first launch
    reads Playwright's list from chrome://version and the browser is launched again with
    both lists."""
    first = playwright.chromium.launch(
        executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True
    )
    try:
        playwrights = disabled_features(first)
    finally:
        first.close()
    if len(playwrights) != 1:
        raise RuntimeError(
            f"expected one {DISABLE_FEATURES} in Chromium's command line, found {playwrights}"
        )
    features = ",".join([*playwrights[0], *UNUSED_FEATURES])
    return playwright.chromium.launch(
        executable_path=chromium_path(),
        args=[*CHROMIUM_ARGS, DISABLE_FEATURES + features],
        headless=True,
    )


def disabled_features(browser: Browser) -> list[list[str]]:
    """Return the features of each --disable-features on browser's command line, in order."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto("chrome://version")
        switches = page.locator("#command_line").inner_text().split()
    finally:
        context.close()
    return [
        s.removeprefix(DISABLE_FEATURES).split(",")
        for s in switches
        if s.startswith(DISABLE_FEATURES)
    ]


def chromium_path() -> str:
    """Return the Chromium executable; a missing browser is a failure, never a skip."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    raise RuntimeError(
        "Chromium not found: `make test` installs Debian's chromium package; "
        "run it, or install chromium yourself"
    )


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves a folder without logging every request to the test output."""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve folder on a free loopback port; yield its base URL."""
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
