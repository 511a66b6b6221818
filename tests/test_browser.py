"""The tests' Chromium is launched as tests/browser.py says: Playwright's own switches kept,
and the address bar's popup, which no test looks at, turned off."""

from __future__ import annotations

from browser import UNUSED_FEATURES, disabled_features


def test_the_browser_keeps_playwrights_switches_and_opens_no_popup_page(browser) -> None:
    disabled = disabled_features(browser)
    # Chromium obeys the last --disable-features only: it must hold both lists.
    assert {"HttpsUpgrades", "PaintHolding", *UNUSED_FEATURES} <= set(disabled[-1])
    context = browser.new_context()  # a window, as each test's context opens one
    context.new_page().goto("about:blank")
    session = browser.new_browser_cdp_session()
    targets = session.send("Target.getTargets")["targetInfos"]
    context.close()
    assert [t["url"] for t in targets if "omnibox" in t["url"]] == []
