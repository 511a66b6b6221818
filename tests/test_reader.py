"""The reader's experience in a real Chromium: pages that do not move while they load, search
results that are links, headings named by their text, and a copy that is announced."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_search import type_query

PAGES = ["index.html", "classes/4xx.html", "codes/487.html", "q850.html", "rfcs.html", "404.html"]
SCREENS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}

# Every layout shift since navigation, as Lighthouse counts it (none caused by input), read
# once the page has settled: loaded (page.goto waits for that), its fonts ready, and two frames
# drawn after, so that a shift of the last frame is reported too.
LAYOUT_SHIFT = """() => new Promise((resolve) => {
  let total = 0;
  const moved = [];
  const count = (entries) => {
    for (const entry of entries) {
      if (entry.hadRecentInput) continue;
      total += entry.value;
      moved.push(...entry.sources.map((s) => s.node && s.node.nodeName));
    }
  };
  const observer = new PerformanceObserver((list) => count(list.getEntries()));
  observer.observe({ type: "layout-shift", buffered: true });
  const frame = () => new Promise((next) => requestAnimationFrame(() => next()));
  document.fonts.ready.then(frame).then(frame).then(() => {
    count(observer.takeRecords());
    observer.disconnect();
    resolve([total, moved]);
  });
})"""

# Without scripts, styles have settled once every stylesheet and font has loaded.
STYLES_SETTLED = """() => document.readyState === "complete" && document.fonts.status === "loaded"
    && [...document.querySelectorAll("link[rel=stylesheet]")].every((link) => link.sheet)"""


@pytest.fixture(params=["http", "file"])
def site_url(request: pytest.FixtureRequest, real_site: Path, real_site_url: str) -> str:
    return real_site_url if request.param == "http" else real_site.as_uri() + "/"


@pytest.mark.parametrize("scripts", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("screen", SCREENS)
def test_no_page_moves_while_it_loads(browser, site_url: str, screen: str, scripts: bool) -> None:
    """Also, in the same load of codes/487.html over http on a phone: the title starts in the
    top third of the screen."""
    context = browser.new_context(viewport=SCREENS[screen], java_script_enabled=scripts)
    page = context.new_page()
    for path in PAGES:
        page.goto(site_url + path, wait_until="load")
        if (path, screen, scripts) == ("codes/487.html", "phone", True) and site_url.startswith(
            "http:"
        ):
            title = page.locator("h1").bounding_box()["y"]
            height = SCREENS["phone"]["height"]
            assert title < height / 3, f"the title starts at {title} px of a {height} px phone"
        if scripts:
            shift, moved = page.evaluate(LAYOUT_SHIFT)
        else:  # no script can measure: compare where the title is before and after styles settle
            first = page.locator("h1").bounding_box()
            page.wait_for_function(STYLES_SETTLED)
            shift, moved = abs(page.locator("h1").bounding_box()["y"] - first["y"]), "h1"
        assert shift < 0.01, f"{path} on a {screen}: layout shift {shift} ({moved})"
    context.close()


def test_results_are_links_that_open_in_a_new_tab_or_on_enter(browser, site_url: str) -> None:
    """One page of results, opened in every way: a middle-click and a Ctrl-click open a new tab
    and leave the results in place, then Enter opens the active result."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(site_url + "index.html")
    type_query(page, "busy")
    first = page.locator("[role=option]").first
    assert first.evaluate("e => e.tagName") == "A"
    assert first.get_attribute("href") == "codes/486.html"

    for how, click in (
        ("middle-click", {"button": "middle"}),
        ("ctrl-click", {"modifiers": ["ControlOrMeta"]}),
    ):
        with context.expect_page() as opened:
            first.click(**click)
        tab = opened.value
        tab.wait_for_load_state()
        assert tab.url.endswith("/codes/486.html"), how
        assert page.url.endswith("/index.html"), how
        tab.close()

    page.locator("#q").focus()  # a click may have moved the focus to the result
    page.keyboard.press("ArrowDown")
    active = page.locator("[role=option][aria-selected=true]").get_attribute("href")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/" + active), "Enter opens the active result"
    context.close()


def test_headings_are_named_by_their_text_and_copying_a_link_is_announced(
    browser, site_url: str
) -> None:
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(site_url + "codes/487.html")
    assert page.get_by_role("heading", name="Typical causes", exact=True).count() == 1
    assert page.get_by_role("region", name="Typical causes", exact=True).count() == 1
    link = page.locator("a[href='#causes']")
    assert link.get_attribute("aria-label") == "Link to this section"
    assert page.get_by_role("link", name="Link to this section", exact=True).count() > 5

    page.locator("button[data-copy='#causes']").click()
    page.wait_for_function("document.getElementById('announce').textContent !== ''")
    expected = site_url + "codes/487.html#causes"
    assert page.locator("#announce").text_content() == f"Link copied: {expected}"
    assert page.evaluate("navigator.clipboard.readText()") == expected
    context.close()
