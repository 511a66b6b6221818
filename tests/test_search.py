"""Search in a real headless Chromium, over http:// and from disk (file://)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import run_build, write_code

QUERIES = [
    ("487", 487),  # a code
    ("48", 480),  # a code prefix
    ("4xx", "4xx"),  # a class: its page, then its codes
    ("client error", "4xx"),  # a class by its RFC 3261 §7.2 name
    ("Client Failure", "4xx"),  # a class by a name in common use
    ("request terminated", 487),  # a phrase
    ("Busy", 486),  # a phrase word, case-insensitive
    ("Bad Identity-Info", 436),  # a former name (RFC 4474)
    ("internal server error", 500),  # a variant name
    ("Unsupported Certificate", 437),  # a former name (RFC 4474)
    ("SIP/2.0 487 Request Terminated", 487),  # a pasted status line
    ("Status: 503", 503),  # log text
    ("reason=486", 486),  # log text
    ("unauthorised", 401),  # a typo / spelling variant
    ("tempoarily unavailable", 480),  # a typo
    ("forbiden", 403),  # a typo
    ("décline", 603),  # accents do not matter
]


@pytest.fixture(params=["http", "file"])
def site_url(request: pytest.FixtureRequest, real_site: Path, real_site_url: str) -> str:
    return real_site_url if request.param == "http" else real_site.as_uri() + "/"


@pytest.fixture
def page(browser, site_url: str):
    """A fresh page that records every request leaving the machine."""
    context = browser.new_context()
    page = context.new_page()
    page.outside_requests = []
    page.console_errors = []

    def check(route) -> None:
        parts = urlsplit(route.request.url)
        if parts.scheme == "file" or parts.hostname == "127.0.0.1":
            route.continue_()
        else:
            page.outside_requests.append(route.request.url)
            route.abort()

    context.route("**/*", check)
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))
    page.site_url = site_url
    yield page
    assert page.outside_requests == []
    assert page.console_errors == []
    context.close()


def type_query(page, query: str) -> list[str]:
    """Type query into the header search box; return the result lines shown."""
    box = page.get_by_role("combobox", name="Search codes")
    box.fill(query)
    page.wait_for_function(
        "q => document.querySelector('[role=status]').textContent !== '' && "
        "document.querySelector('#q').value === q",
        arg=query,
    )
    return page.locator("[role=option]").all_inner_texts()


# What each query puts first, through the page's own engine (static/search-engine.js, loaded
# by the first keystroke), as the first result line reads: "<code> <phrase>" for a code or a
# class, the phrase for anything else (static/search.js).
FIRST_LINES = """async queries => {
    const data = location.protocol === "file:" ? window.SIP_SEARCH_INDEX
        : await (await fetch("../search.json")).json();
    const index = prepare(data.entries);
    const line = (entry) => ["code", "class"].includes(entry.kind || "code")
        ? `${entry.code} ${entry.phrase} ` : `${entry.phrase} `;
    return queries.map((q) => search(index, q).slice(0, 3).map(line));
}"""


def test_queries_find_the_right_code_first(page) -> None:
    """Every query of QUERIES in one page load; the typed checks of a prefix and of a query
    with an unknown word run in the same page."""
    page.goto(page.site_url + "codes/200.html")
    prefix = type_query(page, "48")  # the first keystroke loads the engine and the index
    firsts = page.evaluate(FIRST_LINES, [query for query, _ in QUERIES])
    wrong = [
        (query, first, results)
        for (query, first), results in zip(QUERIES, firsts, strict=True)
        if not results or not results[0].startswith(f"{first} ")
    ]
    assert not wrong, "\n".join(
        f"{query!r}: {first} is not first in {results}" for query, first, results in wrong
    )

    codes = [int(r.split()[0]) for r in prefix]
    assert codes[:10] == sorted(codes[:10]), "the prefix 48 lists its range in order"
    assert all(480 <= c <= 489 for c in codes), "the prefix 48 lists its range only"

    page.keyboard.press("Escape")  # an empty status, so type_query waits for the next one
    assert type_query(page, "busy zebra") == [], "every word must match"
    assert page.locator("[role=status]").inner_text() == "0 results", "every word must match"


def test_keyboard_navigation_opens_the_highlighted_result(page) -> None:
    page.goto(page.site_url + "classes/2xx.html")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type("48")
    page.wait_for_selector("[role=option]")
    page.keyboard.press("ArrowDown")
    box = page.locator("#q")
    assert box.get_attribute("aria-activedescendant") == "result-1"
    assert box.get_attribute("aria-expanded") == "true"
    second = page.locator("#result-1").inner_text().split()[0]
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/codes/{second}.html")


def test_enter_on_an_exact_code_jumps_to_it(page) -> None:
    page.goto(page.site_url + "index.html")
    type_query(page, "503")
    page.keyboard.press("Enter")
    page.wait_for_url("**/codes/503.html")
    assert page.locator("h1").inner_text() == "503 Service Unavailable"


def test_escape_clears(page) -> None:
    page.goto(page.site_url + "index.html")
    type_query(page, "busy")
    page.keyboard.press("Escape")
    assert page.locator("#q").input_value() == ""
    assert page.locator("#results").is_hidden()
    assert page.locator("#q").get_attribute("aria-expanded") == "false"


def test_query_in_the_url_is_applied(page) -> None:
    page.goto(page.site_url + "index.html?q=busy")
    page.wait_for_selector("[role=option]")
    assert page.locator("[role=option]").first.inner_text().startswith("486 ")


def test_non_standard_codes_are_flagged(page) -> None:
    page.goto(page.site_url + "index.html")
    results = type_query(page, "477")
    assert "(not registered)" in results[0]


def test_without_javascript_no_dead_search_box(browser, real_site: Path) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(real_site.as_uri() + "/index.html")
    assert page.locator("form[role=search]").is_hidden()
    assert page.locator("a[href='classes/4xx.html']").first.is_visible()
    context.close()


def test_hostile_content_is_shown_as_text(browser, content: Path, tmp_path: Path) -> None:
    write_code(
        content,
        487,
        "Request Terminated",
        summary='<img src=x onerror="window.pwned=1"> terminated',
    )
    out = tmp_path / "site"
    assert run_build(content, out) == 0
    context = browser.new_context()
    page = context.new_page()
    page.goto((out / "index.html").as_uri())
    type_query(page, "terminated")
    assert page.locator("[role=listbox] img").count() == 0
    assert "<img src=x" in page.locator("[role=option]").first.inner_text()
    assert page.evaluate("window.pwned") is None
    context.close()
