"""Issue: what happens next. Every code has a verdict from the fixed vocabulary whose rule cites
the sections that decide it; the guides compare the codes people confuse and link both ways;
method anchors are where content/README.md says they are."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from conftest import PROJECT, run_build, write_code, write_yaml
from test_site import scan

ACTIONS = {
    "none",
    "follow-redirect",
    "retry-with-changes",
    "retry-later",
    "try-elsewhere",
    "do-not-retry",
}
CODES = sorted(int(p.stem) for p in (PROJECT / "content" / "codes").glob("*.yaml"))


def test_every_code_has_a_verdict_from_the_vocabulary(real_site: Path) -> None:
    records = {r["code"]: r for r in json.loads((real_site / "codes.json").read_text())["codes"]}
    assert sorted(records) == CODES
    for code, record in records.items():
        step = record["next_step"]
        assert step["action"] in ACTIONS, code
        assert step["references"], code
        # every section the rule names is among its references
        named = set(re.findall(r"§\s?([0-9A-Z][0-9.]*[0-9A-Z]|[0-9A-Z])", step["rule"]))
        listed = {ref["section"] for ref in step["references"]}
        assert named <= listed, (code, named - listed)
        page = real_site / "codes" / f"{code}.html"
        assert "next-step" in scan(page).ids, code


def test_the_verdict_follows_the_class(real_site: Path) -> None:
    records = json.loads((real_site / "codes.json").read_text())["codes"]
    for record in records:
        action, code = record["next_step"]["action"], record["code"]
        if code < 300:
            assert action == "none", code
        elif code < 400:
            assert action in {"follow-redirect", "do-not-retry"}, code
        elif code >= 600:
            assert action == "do-not-retry", code  # RFC 3261 §16.7: a 6xx ends forking
        else:
            assert action != "none", code
    by_code = {r["code"]: r["next_step"]["action"] for r in records}
    assert by_code[401] == by_code[407] == by_code[423] == by_code[422] == "retry-with-changes"
    assert by_code[491] == "retry-later" and by_code[503] == "try-elsewhere"


def test_the_verdict_is_near_the_top(real_site: Path) -> None:
    text = (real_site / "codes" / "487.html").read_text()
    assert text.index('id="next-step"') < text.index('id="description"')


def test_a_verdict_outside_the_vocabulary_is_refused(
    content: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_code(
        content,
        487,
        "Request Terminated",
        next_step={"action": "retry", "rule": "Try again.", "references": [{"rfc": 3261}]},
    )
    assert run_build(content, tmp_path / "site") == 1
    err = capsys.readouterr().err
    assert "codes/487.yaml:" in err and "'action' must be one of none, follow-redirect" in err
    assert 'found "retry"' in err
    assert not (tmp_path / "site").exists()


def test_a_code_without_a_verdict_is_refused(
    content: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_code(content, 487, "Request Terminated", next_step=None)
    assert run_build(content, tmp_path / "site") == 1
    assert "missing required field 'next_step' in a code file" in capsys.readouterr().err


GUIDES = ["declining", "authentication", "overload", "media", "timeouts", "routing"]


@pytest.mark.parametrize("slug", GUIDES)
def test_each_guide_compares_its_codes_and_links_both_ways(real_site: Path, slug: str) -> None:
    data = yaml.safe_load((PROJECT / "content" / "guides" / f"{slug}.yaml").read_text())
    guide = scan(real_site / "guides" / f"{slug}.html")
    assert {"compared", "which-to-send", "references"} <= set(guide.ids)
    for row in data["codes"]:
        code = row["code"]
        assert f"../codes/{code}.html" in guide.links, (slug, code)
        assert f"../codes/{code}.html#next-step" in guide.links, (slug, code)
        assert f"../guides/{slug}.html" in scan(real_site / "codes" / f"{code}.html").links
    assert len(data["which_to_send"]) >= 2
    index = scan(real_site / "guides" / "index.html")
    assert f"../guides/{slug}.html" in index.links or f"{slug}.html" in index.links


def test_the_guides_cover_what_the_issue_names() -> None:
    compared = {
        slug: {
            row["code"]
            for row in yaml.safe_load(
                (PROJECT / "content" / "guides" / f"{slug}.yaml").read_text()
            )["codes"]
        }
        for slug in GUIDES
    }
    assert compared == {
        "declining": {480, 486, 600, 603, 607, 608},
        "authentication": {401, 407, 403},
        "overload": {500, 502, 503, 504},
        "media": {415, 488, 606},
        "timeouts": {408, 480, 487, 504},
        "routing": {404, 410, 484, 485, 604},
    }
    timeouts = (PROJECT / "content" / "guides" / "timeouts.yaml").read_text()
    assert "13.3.1.4" in timeouts and "64" in timeouts  # the call that drops after ~32 s


def test_guides_are_in_the_navigation_search_and_sitemap(tmp_path: Path) -> None:
    out = tmp_path / "site"
    assert run_build(PROJECT / "content", out, "--base-url", "https://codes.example.org/") == 0
    sitemap = (out / "sitemap.xml").read_text()
    entries = json.loads((out / "search.json").read_text())["entries"]
    for slug in GUIDES:
        assert f"https://codes.example.org/guides/{slug}.html" in sitemap
        assert any(e["url"] == f"guides/{slug}.html" for e in entries)
    assert (
        "guides/index.html" in scan(out / "codes" / "487.html").links
        or "../guides/index.html" in scan(out / "codes" / "487.html").links
    )


METHOD_ANCHORS = {
    481: {"bye", "cancel", "re-invite"},
    488: {"re-invite"},
    423: {"register", "subscribe"},
    405: {"options"},
    491: {"re-invite"},
}


def test_method_anchors_exist_and_are_documented(real_site: Path) -> None:
    readme = (PROJECT / "content" / "README.md").read_text()
    for code, anchors in METHOD_ANCHORS.items():
        ids = set(scan(real_site / "codes" / f"{code}.html").ids)
        assert anchors <= ids, code
        for anchor in anchors:
            assert f"`{code}.html#{anchor}`" in readme, (code, anchor)


def test_a_method_twice_is_refused(
    content: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_code(
        content,
        487,
        "Request Terminated",
        methods=[{"method": "bye", "meaning": "One."}, {"method": "bye", "meaning": "Two."}],
    )
    assert run_build(content, tmp_path / "site") == 1
    assert "method 'bye' is listed twice" in capsys.readouterr().err


def test_a_guide_comparing_a_code_without_a_page_is_refused(
    content: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_yaml(
        content / "guides" / "busy.yaml",
        {
            "title": "Busy",
            "summary": "Busy codes.",
            "intro": "Two codes.",
            "codes": [
                {"code": 486, "sent_by": "A UAS.", "tells_caller": "Busy here."},
                {"code": 600, "sent_by": "A UAS.", "tells_caller": "Busy everywhere."},
            ],
            "which_to_send": ["Send [486](486.html)."],
        },
    )
    assert run_build(content, tmp_path / "site") == 1
    err = capsys.readouterr().err
    assert "guides/busy.yaml:" in err
    assert "code 600 has no page" in err


def test_search_results_show_the_next_step(browser, real_site: Path) -> None:
    page = browser.new_page()
    page.goto((real_site / "index.html").as_uri())
    page.locator("#q").fill("491")
    first = page.locator("[role=option]").first
    first.wait_for()
    assert "next step: retry later" in first.inner_text()
    page.close()
