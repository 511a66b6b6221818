"""The real site, built once: links, anchors, HTML5 well-formedness, search index."""

from __future__ import annotations

import functools
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import html5lib
import pytest
import yaml
from conftest import PROJECT

ALLOWED_HOSTS = {
    "www.rfc-editor.org",
    "rfc-editor.org",
    "www.iana.org",
    "iana.org",
    "datatracker.ietf.org",
}


class PageScan(HTMLParser):
    """Collects the ids, links, h1s and headings of one page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.links: list[str] = []
        self.h1 = 0
        self.html_lang: str | None = None
        self.description: str | None = None
        self.base: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "base":  # 404.html resolves its links from the site root
            self.base = attributes.get("href")
            return
        if "id" in attributes:
            self.ids.append(attributes["id"] or "")
        for name in ("href", "src"):
            if attributes.get(name) is not None and not (
                tag == "link" and attributes.get("rel") == "canonical"
            ):
                self.links.append(attributes[name])
        self.h1 += tag == "h1"
        if tag == "html":
            self.html_lang = attributes.get("lang")
        if tag == "meta" and attributes.get("name") == "description":
            self.description = attributes.get("content")


def scan(path: Path) -> PageScan:
    """Return what path holds, scanned once for as long as the file is unchanged (tests ask
    for the same built pages hundreds of times, and must not change what they get)."""
    status = path.stat()
    return scanned(path, status.st_mtime_ns, status.st_size, status.st_ino)


@functools.cache
def scanned(path: Path, *stamp: int) -> PageScan:
    parser = PageScan()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def test_every_page_is_html5_with_one_h1_and_a_description(real_site: Path) -> None:
    for page in pages(real_site):
        parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
        parser.parse(page.read_bytes())  # strict: raises on any parse error
        found = scan(page)
        assert found.h1 == 1, page
        assert found.html_lang == "en", page
        assert found.description, page
        assert len(found.ids) == len(set(found.ids)), f"duplicate id in {page}"


def test_every_internal_link_and_anchor_resolves(real_site: Path) -> None:
    ids = {page: set(scan(page).ids) for page in pages(real_site)}
    broken = []
    for page in pages(real_site):
        found = scan(page)
        folder = real_site if found.base == "/" else page.parent
        for link in found.links:
            parts = urlsplit(link)
            if parts.scheme in ("http", "https"):
                if parts.hostname not in ALLOWED_HOSTS:
                    broken.append((page, link, "external host not allowed"))
                continue
            assert not parts.scheme, f"{page}: unexpected scheme in {link}"
            target = (folder / unquote(parts.path)).resolve() if parts.path else page
            if not target.is_file() or not target.is_relative_to(real_site):
                broken.append((page, link, "no such file"))
            elif parts.fragment and parts.fragment not in ids.get(target, set()):
                broken.append((page, link, "no such id"))
    assert broken == []


def test_links_are_relative_so_the_site_works_under_any_path(real_site: Path) -> None:
    for page in pages(real_site):
        for link in scan(page).links:
            assert not link.startswith("/"), f"{page}: root-relative link {link}"


def test_search_index_lists_every_code_page(real_site: Path) -> None:
    index = json.loads((real_site / "search.json").read_text())
    codes = sorted(int(p.stem) for p in (PROJECT / "content" / "codes").glob("*.yaml"))
    entries = index["entries"]
    assert [e["code"] for e in entries if e["kind"] == "code"] == codes
    # each class comes first in its own range, found by its RFC 3261 §21 name and its others
    classes = [e for e in entries if e["kind"] == "class"]
    assert [e["code"] for e in classes] == ["1xx", "2xx", "3xx", "4xx", "5xx", "6xx"]
    assert [entries.index(e) for e in classes] == [
        next(i for i, e in enumerate(entries) if e.get("class") == key)
        for key in ("1xx", "2xx", "3xx", "4xx", "5xx", "6xx")
    ]
    assert classes[3]["phrase"] == "Request Failure"
    assert {"Client Error", "Client Failure"} <= set(classes[3]["aliases"])
    kinds = {
        "code",
        "class",
        "guide",
        "cause",
        "freeswitch",
        "asterisk",
        "warn",
        "protocol",
        "page",
    }
    for entry in entries:
        assert entry["kind"] in kinds and {"code", "phrase", "summary", "url"} <= set(entry)
        path, _, anchor = entry["url"].partition("#")
        assert (real_site / path).is_file()
        assert not anchor or anchor in scan(real_site / path).ids, entry["url"]
        if entry["kind"] in ("code", "class"):
            code = entry["code"]
            assert entry["class"] == (code if isinstance(code, str) else f"{code // 100}xx")
    script = (real_site / "search-index.js").read_text()
    assert script.startswith("window.SIP_SEARCH_INDEX=")
    assert json.loads(script.removeprefix("window.SIP_SEARCH_INDEX=").rstrip(";\n")) == index


def test_code_pages_have_every_stable_section(real_site: Path) -> None:
    for path in sorted((PROJECT / "content" / "codes").glob("*.yaml")):
        code = int(path.stem)
        found = set(scan(real_site / "codes" / f"{code}.html").ids)
        expected = {
            "summary",
            "description",
            "sent-by",
            "causes",
            "what-to-do",
            "headers",
            "example",
            "related",
            "references",
        }
        record = json.loads((real_site / "codes" / f"{code}.json").read_text())["code"]
        expected |= {"next-step", "q850", "softswitches"}
        if code >= 300 or record["q850"]:
            expected |= {
                "q850-sip-to-isup",
                "q850-isup-to-sip",
                "q850-sip-to-qsig",
                "q850-qsig-to-sip",
            }
        else:
            assert "q850-sip-to-isup" not in found
        assert expected <= found, f"{code}: missing {expected - found}"


def test_deprecated_and_non_standard_codes_say_so_at_the_top(real_site: Path) -> None:
    for path in sorted((PROJECT / "content" / "codes").glob("*.yaml")):
        status = yaml.safe_load(path.read_text())["status"]
        page = (real_site / "codes" / f"{path.stem}.html").read_text()
        top = page[page.index("<h1>") : page.index('id="summary"')]
        if status == "deprecated":
            assert "<strong>Deprecated.</strong>" in top
        elif status == "non-standard":
            assert "<strong>Not a registered SIP response code.</strong>" in top
        else:
            assert 'role="note"' not in top


@pytest.mark.parametrize("page", ["index.html", "classes/4xx.html", "codes/487.html"])
def test_no_third_party_requests(real_site: Path, page: str) -> None:
    text = (real_site / page).read_text()
    for match in re.finditer(r"<(?:script|link|img|iframe)\b[^>]*>", text):
        assert "http" not in match.group(0) or 'rel="canonical"' in match.group(0)
