"""Made to be linked: previews, anchors with copy links, the JSON API, hosting files, 404."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest
from conftest import PROJECT

import build
from sipref import serve

BASE = "https://sip.example.net/ref/"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("linked") / "site"
    assert build.main(["--out", str(out), "--base-url", BASE]) == 0
    return out


class Head(HTMLParser):
    """Collects meta tags, the canonical link, and headings with their ids and controls."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.canonical = ""
        self.headings: list[dict] = []
        self.title = ""
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "meta" and ("property" in a or "name" in a):
            self.meta[a.get("property") or a["name"]] = a.get("content", "")
        elif tag == "link" and a.get("rel") == "canonical":
            self.canonical = a["href"]
        elif tag in ("h2", "h3"):
            self.headings.append({"id": a.get("id"), "links": [], "buttons": []})
        # a heading's link and copy button stand right after it, outside the heading
        elif tag == "a" and self.headings and a.get("href") == f"#{self.headings[-1]['id']}":
            self.headings[-1]["links"].append(a.get("href"))
        elif tag == "button" and self.headings and "data-copy" in a:
            self.headings[-1]["buttons"].append(a.get("data-copy"))
        if tag in ("h2", "h3"):
            self._in = "heading"
        elif tag == "title":
            self._in = "title"

    def handle_endtag(self, tag: str) -> None:
        if tag in ("h2", "h3", "title"):
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "title":
            self.title += data


def parse(path: Path) -> Head:
    head = Head()
    head.feed(path.read_text(encoding="utf-8"))
    return head


def test_code_page_previews_with_its_meaning(site: Path) -> None:
    head = parse(site / "codes/487.html")
    summary = json.loads((site / "codes/487.json").read_text())["code"]["summary"]
    assert head.title == "SIP 487 Request Terminated"
    assert head.canonical == BASE + "codes/487.html"
    assert head.meta["og:title"] == "SIP 487 Request Terminated"
    assert head.meta["og:description"] == summary == head.meta["description"]
    assert head.meta["og:url"] == BASE + "codes/487.html"
    assert head.meta["og:site_name"] == "SIP Response Codes"
    assert head.meta["og:type"] == "website"
    assert head.meta["twitter:card"] == "summary"


def test_every_page_has_absolute_preview_urls(site: Path) -> None:
    for page in sorted(site.rglob("*.html")):
        head = parse(page)
        relative = page.relative_to(site).as_posix()
        expected = BASE if relative == "index.html" else BASE + relative
        assert head.canonical == head.meta["og:url"] == expected, page
        assert head.meta["og:title"] and head.meta["og:description"], page


def test_every_heading_has_a_unique_id_and_copy_controls(site: Path) -> None:
    for page in sorted(site.rglob("*.html")):
        ids = [h["id"] for h in parse(page).headings]
        assert all(ids) and len(ids) == len(set(ids)), page
        for heading in parse(page).headings:
            assert heading["links"] == [f"#{heading['id']}"], (page, heading)
            assert heading["buttons"] == [f"#{heading['id']}"], (page, heading)


def test_json_api_matches_its_schema(site: Path) -> None:
    schema = json.loads((PROJECT / "schema" / "codes.schema.json").read_text())
    validator = jsonschema.validators.validator_for(schema)
    validator.check_schema(schema)
    validator = validator(schema)  # made once: jsonschema.validate makes one per call
    everything = json.loads((site / "codes.json").read_text())
    validator.validate(everything)
    assert everything["version"] == 1
    for record in everything["codes"]:
        single = json.loads((site / f"codes/{record['code']}.json").read_text())
        validator.validate(single)
        assert single["code"] == record
        assert record["page"] == BASE + record["url"]
        assert (site / record["url"]).is_file()


def test_sitemap_and_robots_use_the_base_url(site: Path) -> None:
    sitemap = (site / "sitemap.xml").read_text()
    assert f"<loc>{BASE}codes/487.html</loc>" in sitemap
    assert f"<loc>{BASE}</loc>" in sitemap
    assert f"<loc>{BASE}404.html</loc>" not in sitemap
    assert (site / "robots.txt").read_text().endswith(f"Sitemap: {BASE}sitemap.xml\n")
    assert (site / "static/favicon.svg").is_file()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    """The site as `build.py serve` makes it: hosted at the server's root."""
    out = tmp_path_factory.mktemp("served") / "site"
    assert build.main(["--out", str(out), "--base-url", "http://127.0.0.1/"]) == 0
    httpd = serve.make_server(out, port=0)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("codes/487.html", 200),
        ("codes/487", 200),
        ("", 200),
        ("codes/499.html", 404),
        ("nope/deeper/x.html", 404),
        ("codes/", 404),
    ],
)
def test_local_server_behaves_like_a_host(server: str, path: str, status: int) -> None:
    assert status_of(server + path) == status


def test_unknown_code_is_explained_in_the_browser(browser, server: str) -> None:
    page = browser.new_page()
    page.goto(server + "codes/499.html")
    text = page.locator("main").inner_text()
    assert page.locator("h1").inner_text() == "SIP 499: no page here"
    assert "499 is not a registered response code" in text
    assert "4xx Request Failure" in text
    assert page.locator("#unknown-code a[href='codes/400.html']").count() == 1
    assert page.locator("#unknown-code a[href='classes/4xx.html']").count() == 1
    styles = page.evaluate("getComputedStyle(document.body).maxWidth")
    assert styles != "none"  # the stylesheet loaded from a deep path
    page.close()


def test_any_other_missing_path_gets_a_helpful_page(browser, server: str) -> None:
    page = browser.new_page()
    page.goto(server + "nope/deeper/x.html")
    assert page.locator("h1").inner_text() == "Page not found"
    assert page.locator("form[role=search]").is_visible()
    page.locator("a[href='classes/4xx.html']").first.click()
    page.wait_for_url("**/classes/4xx.html")
    page.close()


def test_pages_work_under_the_hosts_security_headers(browser, server: str) -> None:
    with urllib.request.urlopen(server + "codes/487.html") as response:
        headers = response.headers
    assert headers["Content-Security-Policy"].startswith("default-src 'self';")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda m: m.type in ("error", "warning") and problems.append(m.text))
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(server + "codes/499.html")  # the document's own 404 status is logged; expected
    assert page.locator("h1").inner_text() == "SIP 499: no page here"
    assert problems == [
        "Failed to load resource: the server responded with a status of 404 (Not Found)"
    ]
    problems.clear()
    for path in ("index.html", "codes/487.html", "q850.html", "rfcs.html"):
        page.goto(server + path)
        page.wait_for_load_state("load")
    page.goto(server + "codes/487.html")
    page.locator("#q").fill("busy")
    page.wait_for_selector("[role=option]")
    assert page.evaluate("getComputedStyle(document.body).maxWidth") != "none"
    assert problems == []
    page.close()


def test_each_code_page_has_a_markdown_rendition_of_its_facts(site: Path) -> None:
    for path in sorted((site / "codes").glob("*.html")):
        record = json.loads(path.with_suffix(".json").read_text())["code"]
        text = path.with_suffix(".md").read_text()
        assert (
            f'<link rel="alternate" type="text/markdown" href="{path.stem}.md">' in path.read_text()
        )
        assert text.startswith(f"# {record['code']} {record['phrase']}\n\n{record['summary']}\n")
        assert record["description"].strip() in text and record["what_to_do"].strip() in text
        assert all(cause in text for cause in record["causes"])
        assert record["example"].rstrip("\n") in text
        for reference in record["cited"]:
            assert f"RFC {reference['rfc']}:" in text
        if record["checked"]:
            assert text.rstrip().endswith(record["checked"]["label"] + ".")


def test_llms_txt_lists_every_code_with_its_markdown(site: Path) -> None:
    text = (site / "llms.txt").read_text()
    assert text.startswith("# ")
    codes = json.loads((site / "codes.json").read_text())["codes"]
    for record in codes:
        assert (
            f"- [{record['code']} {record['phrase']}](codes/{record['code']}.md): "
            f"{record['summary']}\n" in text
        )
