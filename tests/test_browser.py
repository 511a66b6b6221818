"""The tests' Chromium is launched as tests/browser.py says: Playwright's own switches kept,
and the address bar's popup, which no test looks at, turned off."""

from __future__ import annotations

from browser import DISABLE_FEATURES, UNUSED_FEATURES


def test_the_browser_keeps_playwrights_switches_and_opens_no_popup_page(browser) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto("chrome://version")
    switches = page.locator("#command_line").inner_text().split()
    disabled = [
        s.removeprefix(DISABLE_FEATURES).split(",")
        for s in switches
        if s.startswith(DISABLE_FEATURES)
    ]
    # Chromium obeys the last --disable-features only: it must hold both lists.
    assert {"HttpsUpgrades", "PaintHolding", *UNUSED_FEATURES} <= set(disabled[-1])
    session = browser.new_browser_cdp_session()
    targets = session.send("Target.getTargets")["targetInfos"]
    assert [t["url"] for t in targets if "omnibox" in t["url"]] == []
    context.close()
