"""Rules every code page keeps, whatever its content: the Q.850 rows it has are shown, headings
are labels, header tables do not contradict themselves, References list every RFC the page
cites, class names follow RFC 3261 §21, and a checked page says what it was checked against."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import html5lib
import pytest
import yaml
from conftest import PROJECT, run_build, write_code

NS = "{http://www.w3.org/1999/xhtml}"
CODES = sorted(int(p.stem) for p in (PROJECT / "content" / "codes").glob("*.yaml"))
RFC_CITED = re.compile(r"\bRFC ?(\d{3,5})\b|rfc-editor\.org/rfc/rfc(\d+)")


def parse(path: Path):
    """Return path's element tree, parsed once for as long as the file is unchanged: four
    tests read each built page, and none changes the tree."""
    status = path.stat()
    return parsed(path, status.st_mtime_ns, status.st_size, status.st_ino)


@functools.cache
def parsed(path: Path, *stamp: int):
    return html5lib.parse(path.read_bytes(), namespaceHTMLElements=True)


def text_of(element) -> str:
    return "".join(element.itertext())


def section(tree, anchor: str):
    """The <section> whose heading has this id."""
    for element in tree.iter(f"{NS}section"):
        if element.get("aria-labelledby") == anchor:
            return element
    return None


def heading_label(heading) -> str:
    """A heading's own text, without the anchor and copy controls inside it."""
    return (
        (heading.text or "")
        + "".join(
            text_of(child) + (child.tail or "")
            for child in heading
            if child.tag not in (f"{NS}a", f"{NS}button")
        )
    ).strip()


def record(site: Path, code: int) -> dict:
    return json.loads((site / "codes" / f"{code}.json").read_text())["code"]


@pytest.mark.parametrize("code", CODES)
def test_every_q850_row_of_a_code_is_on_its_page(real_site: Path, code: int) -> None:
    rows = record(real_site, code)["q850"]
    tree = parse(real_site / "codes" / f"{code}.html")
    q850 = section(tree, "q850")
    if not rows and code < 300:  # only what the softswitches make of it
        assert [h.get("id") for h in q850.iter(f"{NS}h3")] == ["softswitches"]
        return
    assert q850 is not None, f"{code} has Q.850 rows but no Q.850 section"
    shown = [
        (direction, link.get("href").split("#cause-")[1])
        for direction, table in directions(q850)
        for link in table.iter(f"{NS}a")
        if "#cause-" in link.get("href", "")
    ]
    assert sorted(shown) == sorted((row["direction"], str(row["cause"])) for row in rows)


def directions(q850):
    """(direction, the elements under its heading) for each h3 of a Q.850 section."""
    current, found = None, []
    for child in q850:
        heading = child.find(f"{NS}h3")  # a heading stands in a <div> with its link controls
        if heading is not None:
            current = heading.get("id").removeprefix("q850-")
            found.append((current, []))
        elif current:
            found[-1][1].append(child)
    return [(direction, table) for direction, elements in found for table in elements]


@pytest.mark.parametrize("code", [c for c in CODES if c >= 300])
def test_every_failure_page_shows_all_four_directions_with_their_rfcs(
    real_site: Path, code: int
) -> None:
    tree = parse(real_site / "codes" / f"{code}.html")
    q850 = section(tree, "q850")
    ids = [h.get("id") for h in q850.iter(f"{NS}h3")]
    assert ids == [
        "q850-sip-to-isup",
        "q850-isup-to-sip",
        "q850-sip-to-qsig",
        "q850-qsig-to-sip",
        "softswitches",
    ]
    for heading in list(q850.iter(f"{NS}h3"))[:4]:  # each says its rows' rule or the default
        assert heading_label(heading) in (
            "SIP to ISUP",
            "ISUP to SIP",
            "SIP to QSIG",
            "QSIG to SIP",
        )
    references = text_of(section(tree, "references"))
    assert "RFC 3398" in references and "RFC 4497" in references


# A heading that ends on one of these words is a fragment of a sentence, not a label.
DANGLING = {"with", "the", "a", "an", "of", "to", "by", "and", "or", "for", "from", "in", "as"}


@pytest.mark.parametrize("code", CODES)
def test_headings_are_labels_not_fragments(real_site: Path, code: int) -> None:
    tree = parse(real_site / "codes" / f"{code}.html")
    for level in ("h1", "h2", "h3"):
        for heading in tree.iter(f"{NS}{level}"):
            label = heading_label(heading)
            assert label and label.split()[-1].lower() not in DANGLING, (code, label)
            assert not label.endswith((":", ",", ";")), (code, label)


# RFC 3261 §12.1.1: Record-Route is copied into a response that establishes a dialog, which
# only a 101-199 or a 2xx to a dialog-creating request does; 204 never creates one (RFC 5839
# §7.1 limits it to a SUBSCRIBE inside a dialog).
DIALOG_CREATING = {c for c in CODES if 101 <= c <= 299} - {204}


@pytest.mark.parametrize("code", CODES)
def test_header_rows_apply_to_the_code_and_never_conflict(code: int) -> None:
    data = yaml.safe_load((PROJECT / "content" / "codes" / f"{code}.yaml").read_text())
    rows = data["headers"]
    for row in rows:
        if row["name"] == "Record-Route":
            assert code in DIALOG_CREATING, f"{code}: Record-Route cannot apply"
    by_name: dict[str, list[dict]] = {}
    for row in rows:
        by_name.setdefault(row["name"], []).append(row)
    for name, same in by_name.items():
        if len(same) > 1:  # allowed only where each row says when it applies
            notes = [row.get("note", "") for row in same]
            assert all(notes) and len(set(notes)) == len(notes), (code, name)


def cited_rfcs(element, leaving_out=None) -> set[int]:
    """The RFC numbers named or linked anywhere in element, except inside leaving_out."""
    skip = {id(node) for node in leaving_out.iter()} if leaving_out is not None else set()
    found = set()
    for node in element.iter():
        if id(node) in skip:
            continue
        for text in (node.text or "", node.tail or "", node.get("href") or ""):
            found |= {int(a or b) for a, b in RFC_CITED.findall(text)}
    return found


@pytest.mark.parametrize("code", CODES)
def test_references_list_every_rfc_the_page_cites(real_site: Path, code: int) -> None:
    tree = parse(real_site / "codes" / f"{code}.html")
    article = next(tree.iter(f"{NS}article"))
    references = section(tree, "references")
    listed = {
        int(a.get("href").rsplit("rfc", 1)[1].split("#")[0])
        for a in references.iter(f"{NS}a")
        if "rfc-editor.org" in a.get("href")
    }
    cited = cited_rfcs(article, leaving_out=references)
    assert cited, "a code page cites at least its defining RFC"
    assert cited <= listed, f"{code}: cited but not in References: {sorted(cited - listed)}"
    assert {r["rfc"] for r in record(real_site, code)["cited"]} == listed


def test_prose_citation_of_an_unknown_rfc_is_an_error(
    content: Path, tmp_path: Path, capsys
) -> None:
    path = write_code(content, 486, "Busy Here", causes=["Busy, as RFC 9999 §3 says."])
    assert run_build(content, tmp_path / "site") == 1
    where, line, message = capsys.readouterr().err.split(":", 2)
    assert Path(where).resolve() == path.resolve()
    assert "RFC 9999" in path.read_text().splitlines()[int(line) - 1]
    assert message == (" RFC 9999 is cited but has no title in content/rfcs.yaml; add it there\n")


def test_prose_citation_is_listed_in_references(content: Path, tmp_path: Path) -> None:
    write_code(content, 486, "Busy Here", causes=["Busy, see RFC 3398 §7.2.4.1."])
    assert run_build(content, tmp_path / "site") == 0
    references = section(parse(tmp_path / "site" / "codes" / "486.html"), "references")
    assert "#section-7.2.4.1" in [a.get("href")[-16:] for a in references.iter(f"{NS}a")]


RFC_3261_CLASS_NAMES = {
    "1xx": "Provisional",
    "2xx": "Successful",
    "3xx": "Redirection",
    "4xx": "Request Failure",
    "5xx": "Server Failure",
    "6xx": "Global Failures",
}


@pytest.mark.parametrize("key", RFC_3261_CLASS_NAMES)
def test_class_names_follow_rfc_3261_section_21(real_site: Path, key: str) -> None:
    tree = parse(real_site / "classes" / f"{key}.html")
    assert heading_label(next(tree.iter(f"{NS}h1"))) == f"{key} {RFC_3261_CLASS_NAMES[key]}"
    page = text_of(tree)
    other = {
        "2xx": ["Success"],
        "4xx": ["Client Error", "Client Failure"],
        "5xx": ["Server Error"],
        "6xx": ["Global Failure"],
    }.get(key, [])
    for name in other:
        assert f"“{name}”" in page


@pytest.mark.parametrize("code", CODES)
def test_a_checked_page_says_what_it_was_checked_against(real_site: Path, code: int) -> None:
    data = yaml.safe_load((PROJECT / "content" / "codes" / f"{code}.yaml").read_text())
    line = parse(real_site / "codes" / f"{code}.html").find(f".//{NS}p[@id='checked']")
    checked = record(real_site, code)["checked"]
    if "checked" not in data:
        assert line is None and checked is None
        return
    assert text_of(line) == checked["label"] + "."
    assert checked["label"].startswith("Checked against ")
    month = {"01": "January", "12": "December"}.get(data["checked"]["month"][5:])
    if month:
        assert checked["label"].endswith(f"{month} {data['checked']['month'][:4]}")
    for reference in data["checked"]["against"]:
        if "rfc" in reference:
            assert f"RFC {reference['rfc']}" in checked["label"]


def test_checked_label_groups_sections_by_rfc(content: Path, tmp_path: Path) -> None:
    write_code(
        content,
        486,
        "Busy Here",
        checked={
            "month": "2026-12",
            "against": [
                {"rfc": 3261, "section": "21.4.25"},
                {"rfc": 3261, "section": "9.2"},
                {"rfc": 3398, "section": "7.2.3"},
            ],
        },
    )
    assert run_build(content, tmp_path / "site") == 0
    line = parse(tmp_path / "site" / "codes" / "486.html").find(f".//{NS}p[@id='checked']")
    assert text_of(line) == (
        "Checked against RFC 3261 §21.4.25, §9.2 and RFC 3398 §7.2.3, December 2026."
    )


@pytest.mark.parametrize(
    ("checked", "message"),
    [
        (
            {"month": "2026-13", "against": [{"rfc": 3261}]},
            "'month' must be the month of the check as YYYY-MM (in quotes), found \"2026-13\"",
        ),
        (
            {"month": "2026-12", "against": []},
            "'against' must be a non-empty list, found an empty list",
        ),
        (
            {"month": "2026-12", "against": [{"rfc": 3261}], "by": "me"},
            "unknown field 'by' in 'checked' (allowed: against, month)",
        ),
    ],
)
def test_a_bad_checked_block_is_an_error(
    content: Path, tmp_path: Path, capsys, checked: dict, message: str
) -> None:
    path = write_code(content, 486, "Busy Here", checked=checked)
    assert run_build(content, tmp_path / "site") == 1
    error = capsys.readouterr().err
    assert error.startswith(
        str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)
    )
    assert error.rstrip().endswith(message)


def test_every_code_page_was_checked() -> None:
    unchecked = [
        code
        for code in CODES
        if "checked"
        not in yaml.safe_load((PROJECT / "content" / "codes" / f"{code}.yaml").read_text())
    ]
    assert not unchecked, f"pages with no 'checked' block: {unchecked}"
