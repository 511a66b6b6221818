"""The reader's experience in a real Chromium: pages that do not move while they load, search
results that are links, headings named by their text, and a copy that is announced."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_search import type_query

PAGES = ["index.html", "classes/4xx.html", "codes/487.html", "q850.html", "rfcs.html",
         "404.html"]
SCREENS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}

# Every layout shift since navigation, as Lighthouse counts it (none caused by input).
LAYOUT_SHIFT = """() => new Promise((resolve) => {
  let total = 0;
  const moved = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.hadRecentInput) continue;
      total += entry.value;
      moved.push(...entry.sources.map((s) => s.node && s.node.nodeName));
    }
  }).observe({ type: "layout-shift", buffered: true });
  setTimeout(() => resolve([total, moved]), 400);
})"""


@pytest.fixture(params=["http", "file"])
def site_url(request: pytest.FixtureRequest, real_site: Path, real_site_url: str) -> str:
    return real_site_url if request.param == "http" else real_site.as_uri() + "/"


@pytest.mark.parametrize("scripts", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("screen", SCREENS)
def test_no_page_moves_while_it_loads(browser, site_url: str, screen: str,
                                      scripts: bool) -> None:
    context = browser.new_context(viewport=SCREENS[screen], java_script_enabled=scripts)
    page = context.new_page()
    for path in PAGES:
        page.goto(site_url + path, wait_until="load")
        if scripts:
            shift, moved = page.evaluate(LAYOUT_SHIFT)
        else:  # no script can measure: compare where the title is before and after styles settle
            first = page.locator("h1").bounding_box()
            page.wait_for_timeout(300)
            shift, moved = abs(page.locator("h1").bounding_box()["y"] - first["y"]), "h1"
        assert shift < 0.01, f"{path} on a {screen}: layout shift {shift} ({moved})"
    context.close()


def test_the_title_starts_in_the_top_third_of_a_phone(browser, real_site_url: str) -> None:
    context = browser.new_context(viewport=SCREENS["phone"])
    page = context.new_page()
    page.goto(real_site_url + "codes/487.html")
    assert page.locator("h1").bounding_box()["y"] < 844 / 3
    context.close()


@pytest.fixture
def results(browser, site_url: str):
    context = browser.new_context()
    page = context.new_page()
    page.goto(site_url + "index.html")
    type_query(page, "busy")
    yield context, page
    context.close()


def test_results_are_links(results) -> None:
    _, page = results
    first = page.locator("[role=option]").first
    assert first.evaluate("e => e.tagName") == "A"
    assert first.get_attribute("href") == "codes/486.html"


@pytest.mark.parametrize("how", [{"button": "middle"}, {"modifiers": ["ControlOrMeta"]}],
                         ids=["middle-click", "ctrl-click"])
def test_a_result_opens_in_a_new_tab(results, how: dict) -> None:
    context, page = results
    with context.expect_page() as opened:
        page.locator("[role=option]").first.click(**how)
    tab = opened.value
    tab.wait_for_load_state()
    assert tab.url.endswith("/codes/486.html")
    assert page.url.endswith("/index.html")


def test_enter_opens_the_active_result(results) -> None:
    _, page = results
    page.keyboard.press("ArrowDown")
    active = page.locator("[role=option][aria-selected=true]").get_attribute("href")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/" + active)


def test_headings_are_named_by_their_text_alone(browser, site_url: str) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(site_url + "codes/487.html")
    assert page.get_by_role("heading", name="Typical causes", exact=True).count() == 1
    assert page.get_by_role("region", name="Typical causes", exact=True).count() == 1
    link = page.locator("a[href='#causes']")
    assert link.get_attribute("aria-label") == "Link to this section"
    assert page.get_by_role("link", name="Link to this section", exact=True).count() > 5
    context.close()


def test_copying_a_link_is_announced(browser, site_url: str) -> None:
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(site_url + "codes/487.html")
    page.locator("button[data-copy='#causes']").click()
    page.wait_for_function("document.getElementById('announce').textContent !== ''")
    expected = site_url + "codes/487.html#causes"
    assert page.locator("#announce").text_content() == f"Link copied: {expected}"
    assert page.evaluate("navigator.clipboard.readText()") == expected
    context.close()
