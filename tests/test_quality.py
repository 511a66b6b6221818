"""Trustworthy output: the Nu HTML Checker and axe-core on the real, fully built site."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import PROJECT

TOOLS = PROJECT / "tools" / "node_modules"
VNU = TOOLS / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE = TOOLS / "axe-core" / "axe.min.js"


def require(path: Path) -> Path:
    """A missing checker is a failure: `make test` installs it from tools/package-lock.json."""
    assert path.is_file(), f"{path} is missing: run `make test` (it runs npm ci in tools/)"
    return path


def test_every_page_passes_the_nu_html_checker(real_site: Path) -> None:
    java = shutil.which("java")
    assert java, "Java is missing: `make test` installs default-jre-headless"
    files = sorted(p for p in real_site.rglob("*") if p.suffix in (".html", ".css", ".svg"))
    assert {p.suffix for p in files} == {".html", ".css", ".svg"}
    result = subprocess.run(
        [
            java,
            # The checker's run is short: the quick compiler alone does it in half the CPU time
            # of the default two, and needs a deeper stack than the default to do it.
            "-XX:TieredStopAtLevel=1",
            "-Xss8m",
            "-jar",
            str(require(VNU)),
            "--errors-only",
            "--also-check-css",
            "--also-check-svg",
            "--format",
            "json",
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    try:
        messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    except json.JSONDecodeError:
        pytest.fail(f"the checker gave no report (exit {result.returncode}): {result.stderr[:800]}")
    assert [f"{m.get('url')}:{m.get('lastLine')}: {m['message']}" for m in messages] == []


AXE_PAGES = [
    "index.html",
    "classes/4xx.html",
    "codes/487.html",
    "codes/503.html",
    "codes/202.html",
    "codes/477.html",
    "codes/180.html",
    "codes/401.html",
    "codes/481.html",
    "q850.html",
    "rfcs.html",
    "freeswitch.html",
    "asterisk.html",
    "warning.html",
    "reason.html",
    "guides/index.html",
    "guides/declining.html",
    "guides/authentication.html",
    "guides/overload.html",
    "guides/media.html",
    "guides/timeouts.html",
    "guides/routing.html",
    "404.html",
]


# axe's rules whose outcome depends on the colours of the page.
COLOUR_RULES = "{runOnly: {type: 'rule', values: ['color-contrast', 'link-in-text-block']}}"
# Every declaration the dark scheme's rules make that is not a colour custom property.
DARK_SETS_ONLY_COLOURS = """[...document.styleSheets].flatMap(sheet => [...sheet.cssRules])
  .filter(rule => rule.media && rule.media.mediaText.includes("prefers-color-scheme: dark"))
  .flatMap(rule => [...rule.cssRules]).flatMap(rule => [...rule.style])
  .filter(name => !name.startsWith("--"))"""


@pytest.fixture(scope="module")
def axe_page(browser):
    """One tab for every page axe checks: each test loads its page into it."""
    page = browser.new_page()
    yield page
    page.close()


@pytest.mark.parametrize("path", AXE_PAGES)
def test_axe_finds_no_violation(axe_page, real_site_url: str, path: str) -> None:
    """One page load per page; axe runs in the light scheme, then again after the page is
    switched to the dark one in place."""
    page = axe_page
    page.emulate_media(color_scheme="light")
    page.goto(real_site_url + path)
    page.evaluate(require(AXE).read_text(encoding="utf-8"))
    if path != "404.html":  # open the search results too, so their markup is checked
        page.locator("#q").fill("48")
        page.wait_for_selector("[role=option]")
    # The dark scheme sets colours and nothing else, so in it only the rules about colour
    # can find anything the light run did not.
    assert page.evaluate(DARK_SETS_ONLY_COLOURS) == []
    violations = {}
    for scheme, rules in (("light", "{}"), ("dark", COLOUR_RULES)):
        page.emulate_media(color_scheme=scheme)
        assert page.evaluate(f"matchMedia('(prefers-color-scheme: {scheme})').matches"), scheme
        result = page.evaluate(f"axe.run(document, {{resultTypes: ['violations'], {rules[1:]})")
        violations[scheme] = [
            (v["id"], v["help"], [n["target"] for n in v["nodes"]][:3])
            for v in result["violations"]
        ]
    assert violations == {"light": [], "dark": []}
