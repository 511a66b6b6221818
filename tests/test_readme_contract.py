"""content/README.md is the schema authors read: it documents exactly the fields the build
accepts and exactly the anchors a code page has, no more and no fewer."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import PROJECT
from test_site import scan

from sipref.validate import (
    CODE_FIELDS,
    GUIDE_FIELDS,
    OPTIONAL_CODE_FIELDS,
    OPTIONAL_GUIDE_FIELDS,
    TOP_LEVEL_FILES,
)

README = (PROJECT / "content" / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    start = README.index(f"## {title}")
    following = README.find("\n## ", start + 1)
    return README[start : following if following > 0 else None]


def test_the_code_field_table_lists_exactly_the_accepted_fields() -> None:
    table = re.findall(r"^\| `([a-z_]+)` \|", section("`codes/<code>.yaml`"), re.M)
    assert sorted(table) == sorted(CODE_FIELDS + OPTIONAL_CODE_FIELDS)
    required = re.findall(r"^\| `([a-z_]+)` \| yes \|", section("`codes/<code>.yaml`"), re.M)
    assert sorted(required) == sorted(CODE_FIELDS)


def test_the_guide_fields_are_all_documented() -> None:
    text = section("`guides/<slug>.yaml`")
    assert set(GUIDE_FIELDS + OPTIONAL_GUIDE_FIELDS) <= set(re.findall(r"`([a-z_]+)`", text))


def test_every_top_level_file_is_in_the_file_table() -> None:
    listed = re.findall(r"`([a-z0-9-]+\.yaml)`", README.split("## `codes/<code>.yaml`")[0])
    assert set(TOP_LEVEL_FILES) <= set(listed)


CHROME = {"q", "search-help", "results", "announce", "main"}  # every page's frame, not content


def documented_anchors() -> set[str]:
    table = section("Stable anchors (public API)")
    return {
        anchor
        for row in table.splitlines()
        if row.startswith("| `")
        for anchor in re.findall(r"`([a-z0-9-]+)`", row.split(" | ")[0])
    }


def test_every_anchor_of_a_code_page_is_documented_and_every_documented_one_exists(
    real_site: Path,
) -> None:
    documented = documented_anchors()
    seen: set[str] = set()
    for page in sorted((real_site / "codes").glob("*.html")):
        seen |= set(scan(page).ids) - CHROME
    assert seen - documented == set()
    code_page = {
        "summary",
        "next-step",
        "description",
        "sent-by",
        "causes",
        "what-to-do",
        "headers",
        "example",
        "related",
        "q850",
        "softswitches",
        "references",
        "checked",
        "by-method",
        "q850-sip-to-isup",
        "q850-isup-to-sip",
        "q850-sip-to-qsig",
        "q850-qsig-to-sip",
    }
    assert code_page <= documented and code_page <= seen
