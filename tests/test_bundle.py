"""The offline bundle: one reproducible zip that works from disk with no network."""

from __future__ import annotations

import html
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from conftest import PROJECT

import build

VERSION = yaml.safe_load((PROJECT / "content" / "site.yaml").read_text())["version"]
NAME = f"sip-response-codes-{VERSION}"
HOSTED = "https://sip.example.net/ref/"  # where a release says the latest edition is


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    assert build.main(["bundle", "--dist", str(dist), "--base-url", HOSTED]) == 0
    return dist / f"{NAME}.zip"


@pytest.fixture(scope="module")
def unpacked(bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("unzipped")
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(target)
    return target / NAME


def test_two_bundles_are_byte_identical(bundle: Path, tmp_path: Path) -> None:
    assert build.main(["bundle", "--dist", str(tmp_path), "--base-url", HOSTED]) == 0
    assert (tmp_path / bundle.name).read_bytes() == bundle.read_bytes()


def test_bundle_unpacks_to_one_folder_with_fixed_timestamps(bundle: Path) -> None:
    with zipfile.ZipFile(bundle) as archive:
        infos = archive.infolist()
    assert {info.filename.split("/")[0] for info in infos} == {NAME}
    assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
    names = [info.filename for info in infos]
    assert names == sorted(names)
    assert f"{NAME}/index.html" in names and f"{NAME}/search-index.js" in names


def test_home_says_which_version_and_where_the_latest_is(unpacked: Path) -> None:
    home = (unpacked / "index.html").read_text()
    assert f"offline edition, content version {VERSION} of" in home
    assert f'The latest version is at <a href="{HOSTED}">' in home


def test_without_a_base_url_the_home_names_no_host(tmp_path: Path, capsys) -> None:
    assert build.main(["bundle", "--dist", str(tmp_path)]) == 0
    with zipfile.ZipFile(tmp_path / f"{NAME}.zip") as archive:
        home = archive.read(f"{NAME}/index.html").decode()
        names = archive.namelist()
    assert "The latest version is at" not in home and "https://" not in home.split("<main")[1]
    assert f"{NAME}/opensearch.xml" not in names
    assert "no base_url set" in capsys.readouterr().err


@pytest.fixture
def offline_page(browser):
    """A page where every request that is not file: is blocked and counted."""
    context = browser.new_context()
    page = context.new_page()
    page.blocked, page.errors = [], []

    def only_files(route) -> None:
        if urlsplit(route.request.url).scheme == "file":
            route.continue_()
        else:
            page.blocked.append(route.request.url)
            route.abort()

    context.route("**/*", only_files)
    page.on("console", lambda m: m.type in ("error", "warning") and page.errors.append(m.text))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    yield page
    context.close()


def test_browse_and_search_offline(offline_page, unpacked: Path) -> None:
    page = offline_page
    page.goto((unpacked / "index.html").as_uri())
    page.locator("a[href='classes/4xx.html']").first.click()
    page.wait_for_url("**/classes/4xx.html")
    page.locator("a[href='../codes/486.html']").first.click()
    page.wait_for_url("**/codes/486.html")
    page.locator("section[aria-labelledby=related] a[href='../codes/600.html']").first.click()
    page.wait_for_url("**/codes/600.html")
    page.go_back()
    page.wait_for_url("**/codes/486.html")
    assert page.locator("h1").inner_text() == "486 Busy Here"
    for query, expected in (("503", "503"), ("hang up", "487")):
        page.locator("#q").fill(query)
        page.wait_for_selector("[role=option]")
        assert page.locator("[role=option]").first.inner_text().startswith(expected)
        page.keyboard.press("Enter")
        page.wait_for_url(f"**/codes/{expected}.html")
    assert page.blocked == []
    assert page.errors == []


def test_pages_carry_a_strict_content_security_policy(unpacked: Path) -> None:
    for page in sorted(unpacked.rglob("*.html")):
        text = html.unescape(page.read_text())
        assert "content=\"default-src 'self';" in text, page
        assert "<script>" not in text and " style=" not in text and " on" + "click" not in text
