"""The log decoder: the crosswalk and product pages against the vendor facts they were written
from (tests/data/vendor, read from each product's source), and search over pasted log text in
a real Chromium, over http and from disk."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from test_site import scan

VENDOR = Path(__file__).parent / "data" / "vendor"


def rows(name: str) -> list[dict]:
    with open(VENDOR / name, newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file, delimiter="\t", quoting=csv.QUOTE_NONE))


def first_code(text: str) -> int | None:
    found = re.search(r"\b([1-6]\d\d)\b", text)
    return int(found[1]) if found else None


def differs(verdict: str) -> bool:
    """The vendor files' vs_rfc3398 column: same, same (603 branch), differs, n/a, …"""
    return verdict.startswith("differs")


@pytest.fixture(scope="module")
def causes(real_site: Path) -> dict[int, dict]:
    data = json.loads((real_site / "causes.json").read_text())
    return {entry["cause"]: entry for entry in data["causes"]}


def test_freeswitch_sends_what_its_source_sends(causes: dict, real_site: Path) -> None:
    page = (real_site / "freeswitch.html").read_text()
    for row in rows("freeswitch-causes.tsv"):
        name, number = row["fs_cause_name"], int(row["number"])
        cell = re.search(rf'<tr id="{name}">(.*?)</tr>', page, re.S)
        assert cell, f"freeswitch.html#{name} is missing"
        sends = first_code(row["hangup_cause_to_sip"])
        cells = re.findall(r"<td>(.*?)</td>", cell[1], re.S)
        assert first_code(re.sub("<[^>]+>", "", cells[1])) == sends, name
        assert ("(default)" in cells[1]) == ("(default)" in row["hangup_cause_to_sip"]), name
        codes = {
            int(c)
            for c in row["sip_codes_mapped_to_it_by_sofia_glue_sip_cause_to_freeswitch"].split(",")
            if c.isdigit()
        }
        assert {int(c) for c in re.findall(r"codes/(\d+)\.html", cells[2])} == codes, name
        reason = (
            row["reason_header_in_bye_cancel"]
            .replace(" cause=", ";cause=")
            .replace(" text=", ';text="')
        )
        assert reason.split(";text=")[0] in cells[3].replace("&#34;", '"'), name
        if 1 <= number <= 127:
            side = causes[number]["products"]["freeswitch"]
            assert name in side["names"] and side["sends"] == sends


def test_freeswitch_departures_from_rfc_3398_are_marked(causes: dict) -> None:
    for row in rows("freeswitch-cause-to-sip.tsv"):
        if not row["fs_cause_number"].isdigit() or not 1 <= int(row["fs_cause_number"]) <= 127:
            continue
        side = causes[int(row["fs_cause_number"])]["products"]["freeswitch"]
        assert side["sends"] == int(row["sip_code"])
        assert side["sends_differs_from_rfc3398"] == differs(row["vs_rfc3398"]), row
    for row in rows("freeswitch-sip-to-cause.tsv"):
        number = row["fs_cause_number"]
        if not row["sip_code"].isdigit() or not 1 <= int(number) <= 127:
            continue
        side = causes[int(number)]["products"]["freeswitch"]
        assert int(row["sip_code"]) in side["from_codes"], row
        flagged = int(row["sip_code"]) in side["from_codes_differing_from_rfc3398"]
        assert flagged == differs(row["vs_rfc3398"]), row


def test_asterisk_matches_its_source(causes: dict, real_site: Path) -> None:
    page = (real_site / "asterisk.html").read_text()
    for row in rows("asterisk-causes.tsv"):
        name = row["ast_cause_macro"].removeprefix("AST_CAUSE_")
        number = int(row["number"])
        found = scan(real_site / "asterisk.html").ids
        assert name in found, name
        for alias in filter(None, (a.strip() for a in row["aliases"].split(","))):
            assert alias.removeprefix("AST_CAUSE_") in found and alias in page
        if row["description_as_printed"]:
            assert f"“{row['description_as_printed']}”" in page.replace("&#39;", "'")
        if 1 <= number <= 127:
            side = causes[number]["products"]["asterisk"]
            pjsip = row["chan_pjsip_hangup_cause2sip"]
            assert side["sends"] == (603 if pjsip.startswith("0") else int(pjsip)), name
            assert side["sends_by_default"] == ("default" in pjsip), name
            codes = {
                int(c)
                for c in row["sip_codes_mapped_to_it_by_ast_sip_hangup_sip2cause"].split(",")
                if c.isdigit()
            }
            assert set(side["from_codes"]) == codes, name
    for row in rows("asterisk-cause-to-sip.tsv"):
        if row["ast_cause_number"].isdigit() and int(row["ast_cause_number"]) > 0:
            side = causes[int(row["ast_cause_number"])]["products"]["asterisk"]
            assert side["sends_differs_from_rfc3398"] == differs(row["vs_rfc3398"]), row
            chan_sip = first_code(row["chan_sip_response_as_printed"]) or 603
            assert (side["chan_sip_sends"] or side["sends"]) == chan_sip, row
    for row in rows("asterisk-sip-to-cause.tsv"):
        if row["sip_code"].isdigit() and "class default" not in row["notes"]:
            side = causes[int(row["ast_cause_number"])]["products"]["asterisk"]
            assert int(row["sip_code"]) in side["from_codes"], row
            flagged = int(row["sip_code"]) in side["from_codes_differing_from_rfc3398"]
            assert flagged == differs(row["vs_rfc3398"]), row


def test_unlisted_values_get_each_products_default(real_site: Path) -> None:
    defaults = json.loads((real_site / "causes.json").read_text())["defaults"]
    assert defaults["rfc3398"] == {
        "response_for_unlisted_cause": 500,
        "cause_for_unlisted_response": 31,
    }
    assert defaults["freeswitch"]["response_for_unlisted_cause"] == 480
    assert defaults["asterisk"]["response_for_unlisted_cause"] == 603
    assert defaults["asterisk"]["cause_for_unlisted_response"] == {
        "4xx": "INTERWORKING",
        "5xx": "NORMAL_CIRCUIT_CONGESTION",
        "6xx": "INTERWORKING",
        "other": "NORMAL_CLEARING",
    }


def test_warn_codes_and_reason_protocols_are_all_there(real_site: Path) -> None:
    warning = set(scan(real_site / "warning.html").ids)
    api = json.loads((real_site / "warn-codes.json").read_text())["warn_codes"]
    expected = [int(row["warn_code"]) for row in rows("warn-codes.tsv")]
    assert [w["code"] for w in api] == expected
    assert {f"warn-{code}" for code in expected} <= warning
    reason = set(scan(real_site / "reason.html").ids)
    for row in rows("reason-protocols.tsv"):
        anchor = "protocol-" + re.sub(
            r"[^a-z0-9-]", "", row["protocol_value"].lower().replace("_", "-")
        )
        assert anchor in reason, row["protocol_value"]
    assert "protocol-q850" in reason
    assert {
        f"location-{row['location_token']}" for row in rows("reason-q850-locations.tsv")
    } <= reason


def test_every_code_page_says_what_the_products_do(real_site: Path) -> None:
    page = (real_site / "codes" / "480.html").read_text()
    part = page[page.index('id="softswitches"') :]
    assert "freeswitch.html#NO_USER_RESPONSE" in part and "asterisk.html#NO_ANSWER" in part
    assert "differs from RFC 3398" in part.split('asterisk.html">')[1]
    for path in (real_site / "codes").glob("*.html"):
        assert 'id="softswitches"' in path.read_text(), path.name


# Pasted log text, and the entry it must land on first: (kind, key).
LOG_LINES = [
    ("ORIGINATOR_CANCEL", "freeswitch:ORIGINATOR_CANCEL"),
    ("hangup_cause=NORMAL_CLEARING", "freeswitch:NORMAL_CLEARING"),
    ("originator_cancel", "freeswitch:ORIGINATOR_CANCEL"),
    ("AST_CAUSE_NO_ANSWER", "asterisk:NO_ANSWER"),
    ("ast_cause_busy", "asterisk:USER_BUSY"),
    ("AST_CAUSE_CONGESTION", "asterisk:NORMAL_CIRCUIT_CONGESTION"),
    ("cause=17", "cause:17"),
    ("Q.850 17", "cause:17"),
    ("hangup cause 16", "cause:16"),
    ("X-Asterisk-HangupCauseCode: 58", "cause:58"),
    ('Reason: Q.850;cause=16;text="Normal call clearing"', "cause:16"),
    ("Reason: Q.850 ;cause=34", "cause:34"),
    ('Reason: SIP;cause=487;text="ORIGINATOR_CANCEL"', "487"),
    ('Reason: SIP ;cause=200 ;text="Call completed elsewhere"', "200"),
    ('Warning: 399 sbc "Media timeout"', "warn:399"),
    ('Warning: 380 proxy.example.com "SIPS Not Allowed"', "warn:380"),
    ("warn-code 305", "warn:305"),
    ("Min-Expires", "423"),
    ("Min-Expires: 3600", "423"),
    ("SIP/2.0 487 Request Terminated", "487"),
    ("busy", "486"),
]


@pytest.fixture(params=["http", "file"])
def site_url(request: pytest.FixtureRequest, real_site: Path, real_site_url: str) -> str:
    return real_site_url if request.param == "http" else real_site.as_uri() + "/"


def test_log_lines_land_on_their_answer_first(browser, site_url: str) -> None:
    page = browser.new_page()
    page.goto(site_url + "codes/487.html")
    page.locator("#q").fill("4")  # the first keystroke loads the engine and the index
    page.wait_for_selector("[role=option]")
    firsts = page.evaluate(
        """async queries => {
        const data = location.protocol === "file:" ? window.SIP_SEARCH_INDEX
            : await (await fetch("../search.json")).json();
        const index = prepare(data.entries);
        return queries.map(q => String((search(index, q)[0] || {}).code));
    }""",
        [q for q, _ in LOG_LINES],
    )
    assert dict(zip([q for q, _ in LOG_LINES], firsts, strict=True)) == dict(LOG_LINES)
    page.close()


def test_a_pasted_reason_header_shows_a_real_link_to_its_cause(browser, site_url: str) -> None:
    page = browser.new_page()
    page.goto(site_url + "index.html")
    page.locator("#q").fill('Reason: Q.850;cause=16;text="Normal call clearing"')
    first = page.locator("[role=option]").first
    first.wait_for()
    assert first.evaluate("e => e.tagName") == "A"
    assert first.get_attribute("href").endswith("q850.html#cause-16")
    assert "Q.850 cause" in first.inner_text()
    page.keyboard.press("Enter")
    page.wait_for_url("**/q850.html#cause-16")
    page.close()


@pytest.mark.parametrize("name", ["causes", "warn-codes"])
def test_log_api_matches_its_schema(real_site: Path, name: str) -> None:
    import jsonschema
    from conftest import PROJECT

    schema = json.loads((PROJECT / "schema" / f"{name}.schema.json").read_text())
    data = json.loads((real_site / f"{name}.json").read_text())
    jsonschema.validate(data, schema)
    assert data["version"] == 1
