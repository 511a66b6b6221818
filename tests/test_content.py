"""The real content checked against the reference data kept in tests/data/."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
import yaml
from conftest import DATA, PROJECT

from sipref.model import REQUIREMENTS, Content
from sipref.validate import load_content

CODES_DIR = PROJECT / "content" / "codes"


def read_tsv(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


IANA = {int(row["code"]): row for row in read_tsv("iana-sip-response-codes.tsv")}
NON_IANA = {int(row["code"]) for row in read_tsv("non-iana-codes.tsv")}
# Codes from that list that are table errors in one product, not codes seen on the wire.
NOT_PUBLISHED = {303, 304, 492}


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content(PROJECT / "content")


def load(code: int) -> dict:
    return yaml.safe_load((CODES_DIR / f"{code}.yaml").read_text(encoding="utf-8"))


def test_the_content_builds_without_a_problem(content: Content) -> None:
    assert len(content.codes) == len(IANA) + len(NON_IANA - NOT_PUBLISHED)


@pytest.mark.parametrize("code", sorted(IANA))
def test_registered_code_matches_the_iana_registry(code: int) -> None:
    row, data = IANA[code], load(code)
    registered = row["reason_phrase"].removesuffix(" (Deprecated)")
    assert data["phrase"] == registered
    assert data["status"] == (
        "deprecated" if "(Deprecated)" in row["reason_phrase"] else "standard"
    )
    rfc, _, section = row["reference"].removeprefix("RFC ").partition(" §")
    first = data["references"][0]
    assert first["rfc"] == int(rfc)
    checked = data.get("checked", {}).get("against", [])
    if "section" in first and section and "not verified" not in row["notes"]:
        assert first["section"] == section
    elif "section" in first:  # the reference data has none it could verify: only a section
        # read against the RFC text in this page's own check may stand
        assert {"rfc": first["rfc"], "section": first["section"]} in checked, (
            "a section neither the reference data nor the page's check verified"
        )


@pytest.mark.parametrize("code", sorted(NON_IANA - NOT_PUBLISHED))
def test_non_iana_code_is_marked_non_standard(code: int) -> None:
    assert code not in IANA
    assert load(code)["status"] == "non-standard"


def test_every_content_file_is_registered_or_a_known_non_standard_code() -> None:
    files = {int(path.stem) for path in CODES_DIR.glob("*.yaml")}
    assert files == set(IANA) | (NON_IANA - NOT_PUBLISHED)


FORMER_NAMES = {
    436: "Bad Identity-Info",
    437: "Unsupported Certificate",
    500: "Internal Server Error",
    504: "Gateway Time-out",
    417: "Bad Extension",
    414: "Request-URI Too Large",
    481: "Call Leg/Transaction Does Not Exist",
}


@pytest.mark.parametrize(("code", "name"), sorted(FORMER_NAMES.items()))
def test_former_names_are_aliases(code: int, name: str) -> None:
    aliases = [alias["phrase"].lower() for alias in load(code).get("aliases", [])]
    assert name.lower() in aliases


def mapping_rows(direction_names: dict[str, str]) -> set[tuple[str, int, int, str]]:
    """Return the reference rows with one cause and one code, as the content states them."""
    rows = set()
    for row in read_tsv("q850-mapping.tsv"):
        qsig = "QSIG" in row["source"]
        direction = direction_names[row["direction"] + ("-qsig" if qsig else "")]
        section = re.search(r"§([\d.]+)", row["source"]).group(1)
        if row["q850_cause"].isdigit() and row["sip_code"].isdigit():
            rows.add((direction, int(row["q850_cause"]), int(row["sip_code"]), section))
    return rows


def test_q850_mappings_match_rfc_3398_and_4497(content: Content) -> None:
    expected = mapping_rows(
        {
            "isup_to_sip": "isup-to-sip",
            "sip_to_isup": "sip-to-isup",
            "isup_to_sip-qsig": "qsig-to-sip",
            "sip_to_isup-qsig": "sip-to-qsig",
        }
    )
    stated = {(m.direction, m.cause, m.code, m.reference.section) for m in content.mappings}
    assert expected <= stated
    # The only rows beyond the reference's single-valued ones split its "65 or 31" and
    # "by Warning header" cells, the CANCEL/BYE event of RFC 3398 §7.2.3, and the 603 that
    # note (+) of §7.2.4.1 allows for cause 21 when the cause location is the user.
    extra = stated - expected
    assert {(c, code) for _, c, code, _ in extra} <= {
        (31, 488),
        (65, 488),
        (31, 606),
        (65, 606),
        (16, 487),
        (21, 603),
    }


def header_rows() -> dict[int, set[tuple[str, str]]]:
    """Return, per code, the (header, keyword) rows the reference gives for that code alone."""
    rows: dict[int, set[tuple[str, str]]] = {}
    for row in read_tsv("response-headers.tsv"):
        keyword = row["requirement"].split(" (")[0]
        if row["code"].isdigit() and keyword in REQUIREMENTS:
            header = row["header"].split(" (")[0].split(" or ")[0].split("/")[0]
            rows.setdefault(int(row["code"]), set()).add((header.lower(), keyword))
    return rows


def at_least(level: str, reference: str) -> bool:
    """Whether a stated level says at least what the reference says: a MUST where the
    reference has MAY (a page may state the condition under which it becomes a MUST), never a
    MAY where it has MUST; positive and negative rules are never interchangeable."""
    strength = {"MAY": 0, "SHOULD": 1, "MUST": 2, "SHOULD NOT": 1, "MUST NOT": 2}
    return (
        level.endswith("NOT") == reference.endswith("NOT")
        and strength[level] >= strength[reference]
    )


@pytest.mark.parametrize(("code", "rows"), sorted(header_rows().items()))
def test_header_rules_match_the_reference(
    content: Content, code: int, rows: set[tuple[str, str]]
) -> None:
    stated = {(h.name.lower(), h.requirement) for h in content.codes[code].headers}
    for header, keyword in rows:  # at least that level, for the header or one named after it
        assert any(
            name.startswith(header) and at_least(level, keyword) for name, level in stated
        ), (
            f"{code}: {header} {keyword} missing, found "
            f"{sorted(level for name, level in stated if name.startswith(header))}"
        )


PLACEHOLDER = re.compile(r"\b(TODO|TBD|FIXME|XXX|lorem ipsum)\b|\[placeholder\]", re.I)


@pytest.mark.parametrize("path", sorted(CODES_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_no_section_is_a_placeholder(path: Path) -> None:
    data = load(int(path.stem))
    assert not PLACEHOLDER.search(path.read_text(encoding="utf-8"))
    assert len(data["description"]) >= 200
    assert len(data["sent_by"]) >= 60
    assert len(data["what_to_do"]) >= 150
    assert len(data["causes"]) >= 2
    assert len(data["related"]) >= 2
    assert data["example"].startswith(f"SIP/2.0 {data['code']} ")


# Headers a response with the code always carries (RFC 3261 §20 Table 2/3 "m", or a MUST).
ALWAYS_CARRIED = {
    401: "WWW-Authenticate",
    405: "Allow",
    407: "Proxy-Authenticate",
    420: "Unsupported",
    421: "Require",
    422: "Min-SE",
    423: "Min-Expires",
    424: "Geolocation-Error",
    469: "Recv-Info",
}


@pytest.mark.parametrize(("code", "header"), sorted(ALWAYS_CARRIED.items()))
def test_examples_carry_the_headers_they_must(content: Content, code: int, header: str) -> None:
    stated = {h.name for h in content.codes[code].headers if h.requirement == "MUST"}
    assert header in stated
    lines = content.codes[code].example.splitlines()
    assert any(line.startswith(f"{header}:") for line in lines)
