"""Hostile content (issue 13): YAML the loader cannot make, files that are not files, links a
browser reads differently, invisible characters, and inputs sized to make a check slow. Each
gets its whole message, exit 1, no traceback, and nothing changed inside or outside --out."""

from __future__ import annotations

import errno
import os
import sys
import time
import unicodedata
from pathlib import Path

import pytest
import yaml
from conftest import code_fields, run_build, write_code, write_yaml

from sipref.load import REFUSED_CHARACTER, escaped, line_of
from sipref.model import display_path

ALLOWED = (
    "link a code as NNN.html or an RFC at https://www.rfc-editor.org/ (www.rfc-editor.org, "
    "rfc-editor.org, www.iana.org, iana.org, datatracker.ietf.org)"
)


def tree(folder: Path, skip: Path) -> dict[str, object]:
    """Return every entry under folder but skip, by what it is, without following links or
    opening anything that is not a regular file (a FIFO would block, /dev/zero never end)."""
    found: dict[str, object] = {}
    for root, folders, files in os.walk(folder):
        folders[:] = [name for name in folders if Path(root, name) != skip]
        for name in files + folders:
            path = Path(root, name)
            status = path.lstat()
            if path.is_symlink():
                found[str(path)] = ("link", os.readlink(path))
            elif path.is_file():
                found[str(path)] = ("file", status.st_mode, path.read_bytes())
            else:
                found[str(path)] = ("other", status.st_mode)
    return found


def refused(
    content: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str
) -> list[str]:
    """Build into a previous site; assert exit 1, no traceback, nothing changed anywhere;
    return the messages with the content folder's prefix removed."""
    out = tmp_path / "site"
    out.mkdir(exist_ok=True)
    (out / "keep.txt").write_text("previous build")
    before = tree(tmp_path, out)
    assert run_build(content, out, *extra) == 1
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert (out / "keep.txt").read_text() == "previous build"
    assert tree(tmp_path, out) == before
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "\x1b" not in err
    prefix = display_path(content)
    return [line.replace(prefix + "/", "") for line in err.splitlines()]


def append(path: Path, text: str) -> int:
    """Append text to a file; return the line number it starts at."""
    before = path.read_text(encoding="utf-8")
    path.write_text(before + text, encoding="utf-8")
    return before.count("\n") + 1


# ---------------------------------------------------------------------------------------------
# YAML that parses but makes no value
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "checked: 2026-02-30\n",
            '"2026-02-30" is not a real date (day is out of range for '
            "month); write a date that exists, as YYYY-MM-DD",
        ),
        (
            "sumary: !!int abc\n",
            '"abc" is not a whole number; remove the !!int tag or write the number in digits',
        ),
        (
            "sumary: !!float abc\n",
            '"abc" is not a number; remove the !!float tag or write the number in digits',
        ),
        (
            "? [a, b]\n: 1\n",
            "a key must be a plain name, found a list used as a key; write the key as one word",
        ),
        (
            "{a: 1}: x\n",
            "a key must be a plain name, found a mapping used as a key; write the key as one word",
        ),
        (
            "sumary: " + "1" * 5000 + "\n",
            "the number has 5,000 digits, more than the 4,300 Python reads; write a smaller number",
        ),
    ],
)
def test_values_the_loader_cannot_make(
    content: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    line = append(content / "codes" / "487.yaml", text)
    assert refused(content, tmp_path, capsys) == [f"codes/487.yaml:{line}: {message}"]


def test_an_impossible_date_in_site_yaml(
    content: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = content / "site.yaml"
    path.write_text(path.read_text().replace("'2026-01-02'", "2026-02-30"))
    assert refused(content, tmp_path, capsys) == [
        'site.yaml:5: "2026-02-30" is not a real date (day is out of range for month); '
        "write a date that exists, as YYYY-MM-DD"
    ]


def test_nesting_900_deep_is_reported_at_its_line(
    content: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_code(content, 487, "Request Terminated", description=None)
    line = append(path, "description: " + "[" * 900 + "]" * 900 + "\n")
    assert refused(content, tmp_path, capsys) == [
        f"codes/487.yaml:{line}: 'description' must be non-empty text, found a list"
    ]


def test_the_line_finder_walks_900_levels_without_recursion(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("".join("{k:\n" for _ in range(900)) + "x" + "}" * 900 + "\n")
    assert line_of(path, ("k",) * 900) == 900
    assert line_of(path, ("k",) * 3 + ("missing",)) == 3


# ---------------------------------------------------------------------------------------------
# Content files that are not regular files
# ---------------------------------------------------------------------------------------------


def test_a_broken_symlink(
    content: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (content / "codes" / "488.yaml").symlink_to("nowhere.yaml")
    assert refused(content, tmp_path, capsys) == [
        "codes/488.yaml:1: is a symbolic link to 'nowhere.yaml', which does not exist; fix or "
        "remove the link"
    ]


def test_a_symlink_loop(content: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (content / "codes" / "488.yaml").symlink_to("488.yaml")
    assert refused(content, tmp_path, capsys) == [
        "codes/488.yaml:1: is a symbolic link that leads back to itself; replace it with the file"
    ]


def test_a_top_level_file_that_is_a_broken_symlink(
    content: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (content / "rfcs.yaml").unlink()
    (content / "rfcs.yaml").symlink_to("gone.yaml")
    assert refused(content, tmp_path, capsys) == [
        "rfcs.yaml:1: is a symbolic link to 'gone.yaml', which does not exist; fix or remove "
        "the link"
    ]


def test_an_unreadable_file(
    content: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = content / "codes" / "487.yaml"
    if os.geteuid() == 0:  # root reads a mode-000 file: have the system refuse as it would
        real_open = os.open

        def refusing_open(file: object, *args: object, **kwargs: object) -> int:
            if os.fspath(file) == str(path):  # type: ignore[arg-type]
                raise PermissionError(errno.EACCES, "Permission denied", str(file))
            return real_open(file, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(os, "open", refusing_open)
    else:
        path.chmod(0)
    try:
        assert refused(content, tmp_path, capsys) == [
            "codes/487.yaml:1: cannot be read (permission denied); make it readable, e.g. chmod a+r"
        ]
    finally:
        path.chmod(0o644)


def test_a_symlink_to_dev_zero_is_not_read(
    content: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = content / "codes" / "487.yaml"
    path.unlink()
    path.symlink_to("/dev/zero")
    assert refused(content, tmp_path, capsys) == [
        "codes/487.yaml:1: is a character device, not a regular file; replace it with a YAML "
        "file or remove it"
    ]


def test_a_fifo_does_not_block_the_build(
    content: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    os.mkfifo(content / "codes" / "498.yaml")
    assert refused(content, tmp_path, capsys) == [
        "codes/498.yaml:1: is a named pipe (FIFO), not a regular file; replace it with a YAML "
        "file or remove it"
    ]


def test_a_folder_named_like_a_code_file_is_no_page(
    content: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (content / "codes" / "699.yaml").mkdir()
    path = write_code(content, 487, "Request Terminated", description="See [699](699.html).")
    line = line_of(path, ("description",))
    assert refused(content, tmp_path, capsys) == [
        f"codes/487.yaml:{line}: link to '699.html': code 699 has no page; link an existing code",
        "codes/699.yaml:1: is a folder, not a code file; remove it or rename it",
    ]


def test_a_file_name_with_a_terminal_escape_is_printed_escaped(
    content: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (content / "codes" / "\x1b[31mred.yaml").write_text("code: 487\n")
    assert refused(content, tmp_path, capsys) == [
        "codes/\\x1b[31mred.yaml:1: file name '\\x1b[31mred.yaml' is not a code file; name it "
        "<code>.yaml, e.g. 487.yaml"
    ]


# ---------------------------------------------------------------------------------------------
# Links read the way browsers read them
# ---------------------------------------------------------------------------------------------

CHANGED = (
    "has a backslash, a space, a tab, a line break or a control character in it, which "
    "browsers change or drop; write the address without them"
)


@pytest.mark.parametrize(
    ("markdown", "problem"),
    [
        (
            r"[x](https://evil.example\@www.rfc-editor.org/)",
            f"link to 'https://evil.example\\@www.rfc-editor.org/' {CHANGED}",
        ),
        (
            "[x](<https://www.rfc-editor.org/rfc/\trfc3261>)",
            f"link to 'https://www.rfc-editor.org/rfc/    rfc3261' {CHANGED}",
        ),
        ("[x](ht&NewLine;tps://evil.example/)", "link to 'ht\\ntps://evil.example/' " + CHANGED),
        (
            "[x](https://evil.example&#92;@www.rfc-editor.org/)",
            "link to 'https://evil.example&#92;@www.rfc-editor.org/' has a character reference "
            "(&#…;) in it; write the character itself",
        ),
        (
            "[x](//www.rfc-editor.org/rfc/rfc3261)",
            "link to '//www.rfc-editor.org/rfc/rfc3261' has no scheme; write the address in full, "
            "starting with https://",
        ),
        (
            "[x](https://someone@www.rfc-editor.org/rfc/rfc3261)",
            "link to 'https://someone@www.rfc-editor.org/rfc/rfc3261' has a user name (the part "
            "before @) in it; remove it and link the site itself",
        ),
        ("[x](https://[oops/)", f"link to 'https://[oops/' is not allowed; {ALLOWED}"),
        (
            "[x](https://www.rfc-editor.org:8443/)",
            f"link to 'https://www.rfc-editor.org:8443/' is not allowed; {ALLOWED}",
        ),
        ("[x](javascript:alert(1))", f"link to 'javascript:alert(1)' is not allowed; {ALLOWED}"),
        ("[x](٤٨٦.html)", f"link to '٤٨٦.html' is not allowed; {ALLOWED}"),
    ],
)
def test_links_a_browser_reads_differently_are_refused(
    content: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], markdown: str, problem: str
) -> None:
    path = write_code(content, 487, "Request Terminated", description=f"See {markdown}.")
    line = line_of(path, ("description",))
    assert refused(content, tmp_path, capsys) == [f"codes/487.yaml:{line}: {problem}"]


def test_uppercase_scheme_and_host_are_read_as_browsers_do(content: Path, tmp_path: Path) -> None:
    write_code(
        content,
        487,
        "Request Terminated",
        description="See [RFC 3261](HTTPS://WWW.RFC-EDITOR.ORG/rfc/rfc3261).",
    )
    assert run_build(content, tmp_path / "site") == 0


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "https://[oops/",
            "base URL must be an absolute http(s) URL such as "
            'https://example.org/sip/, found "https://[oops/"',
        ),
        (
            "https://example.org/sip/#top",
            "base URL must not have a query (?) or fragment (#), "
            'found "https://example.org/sip/#top"; give the address '
            "of the folder the site is served from, such as "
            "https://example.org/sip/",
        ),
        (
            "https://example.org/?",
            "base URL must not have a query (?) or fragment (#), found "
            '"https://example.org/?"; give the address of the folder the '
            "site is served from, such as https://example.org/sip/",
        ),
        (
            "https://user@example.org/",
            "base URL must be an absolute http(s) URL such as "
            'https://example.org/sip/, found "https://user@example.org/"',
        ),
        (
            "https://example.org\\@evil.example/",
            "base URL must be an absolute http(s) URL such as "
            "https://example.org/sip/, found "
            '"https://example.org\\@evil.example/"',
        ),
    ],
)
def test_a_bad_base_url_in_site_yaml(
    content: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], url: str, message: str
) -> None:
    site = yaml.safe_load((content / "site.yaml").read_text())
    write_yaml(content / "site.yaml", {**site, "base_url": url})
    assert refused(content, tmp_path, capsys) == [f"site.yaml:3: {message}"]


@pytest.mark.parametrize(
    "url",
    [
        "https://[oops/",
        "https://example.org/#top",
        "https://example.org/?q=1",
        "ftp://example.org/",
    ],
)
def test_a_bad_base_url_on_the_command_line(
    content: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], url: str
) -> None:
    out = tmp_path / "site"
    with pytest.raises(SystemExit) as exit_status:
        run_build(content, out, "--base-url", url)
    assert exit_status.value.code == 2
    assert not out.exists()
    last = capsys.readouterr().err.splitlines()[-1]
    assert last.startswith("build.py build: error: base URL must ")
    assert f'found "{url}"' in last


def test_a_base_url_is_written_as_browsers_write_it(content: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    assert run_build(content, out, "--base-url", "HTTPS://Codes.Example.ORG/Sip") == 0
    assert "https://codes.example.org/Sip/codes/487.html" in (out / "codes/487.html").read_text()


# ---------------------------------------------------------------------------------------------
# Invisible characters
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("character", "name"),
    [
        ("\x00", "U+0000 (a control character)"),
        ("\x1b", "U+001B (a control character)"),
        ("\x7f", "U+007F (a control character)"),
        ("\x85", "U+0085 (a control character)"),
        ("\r", "U+000D (a control character)"),
        ("\u202e", "U+202E (RIGHT-TO-LEFT OVERRIDE)"),
        ("\u202a", "U+202A (LEFT-TO-RIGHT EMBEDDING)"),
        ("\u2066", "U+2066 (LEFT-TO-RIGHT ISOLATE)"),
        ("\u2069", "U+2069 (POP DIRECTIONAL ISOLATE)"),
        ("\u200b", "U+200B (ZERO WIDTH SPACE)"),
        ("\u200d", "U+200D (ZERO WIDTH JOINER)"),
        ("\u2060", "U+2060 (WORD JOINER)"),
        ("\ufeff", "U+FEFF (ZERO WIDTH NO-BREAK SPACE)"),
        ("\u2028", "U+2028 (LINE SEPARATOR)"),
        ("\u2029", "U+2029 (PARAGRAPH SEPARATOR)"),
    ],
)
def test_invisible_characters_are_refused(
    content: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], character: str, name: str
) -> None:
    path = write_code(
        content, 487, "Request Terminated", summary=f"Cancelled{character}\x1b[2J before an answer."
    )
    line = line_of(path, ("summary",))
    assert refused(content, tmp_path, capsys) == [
        f"codes/487.yaml:{line}: 'summary' contains {name}, an invisible control or "
        "formatting character; delete it (retype the text around it)"
    ]


def test_invisible_characters_in_keys_and_list_items(
    content: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fields = code_fields(487, "Request Terminated", causes=["Fine.", "Bad\u200bly."])
    key = "sum\x1bmary"
    fields[key] = "x"
    path = write_yaml(content / "codes" / "487.yaml", fields)
    assert refused(content, tmp_path, capsys) == [
        f"codes/487.yaml:{line_of(path, ('causes', 1))}: 'causes' item 2 contains U+200B (ZERO "
        "WIDTH SPACE), an invisible control or formatting character; delete it (retype the "
        "text around it)",
        f"codes/487.yaml:{line_of(path, (key,))}: 'sum\\x1bmary' contains U+001B (a "
        "control character), an invisible control or formatting character; delete it (retype "
        "the text around it)",
    ]


def test_a_tab_in_a_one_line_field(
    content: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_code(content, 487, "Request\tTerminated", summary="Cancelled.")
    assert refused(content, tmp_path, capsys) == [
        f"codes/487.yaml:{line_of(path, ('phrase',))}: 'phrase' must be one line of text, found "
        "a tab; use a space"
    ]


def test_what_real_text_needs_is_allowed(content: Path, tmp_path: Path) -> None:
    text = "Café “quoted” ‘x’ — en–dash § 21.4 × 2 → ← non\u00a0breaking, Ünïcödé, 日本語, ✓"
    write_code(content, 487, "Request Terminated", summary=text, description=f"{text}\n\n- a\tb")
    out = tmp_path / "site"
    assert run_build(content, out) == 0
    assert text in (out / "codes/487.html").read_text()


def test_every_control_and_format_character_is_refused() -> None:
    categories = {"Cc", "Cf", "Zl", "Zp", "Cs"}
    missed = [
        f"U+{c:04X}"
        for c in range(sys.maxunicode + 1)
        if unicodedata.category(chr(c)) in categories
        and chr(c) not in "\t\n"
        and not REFUSED_CHARACTER.match(chr(c))
    ]
    assert missed == []
    assert not REFUSED_CHARACTER.search("\t\n Café “x” — § × → \u00a0")


def test_messages_escape_what_they_quote() -> None:
    assert escaped("a\x1b[31m\u202eb\tc\n") == "a\\x1b[31m\\u202eb\\tc\\n"


# ---------------------------------------------------------------------------------------------
# Checks linear in their input, and at most 20 problems of a kind per file
# ---------------------------------------------------------------------------------------------


def test_two_thousand_unknown_fields_are_fast_and_counted(
    content: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = content / "codes" / "487.yaml"
    first = append(path, "".join(f"field{i}: 1\n" for i in range(2000)))
    assert path.stat().st_size > 21_000
    started = time.perf_counter()
    errors = refused(content, tmp_path, capsys)
    assert time.perf_counter() - started < 5
    optional = ["aliases", "checked", "keywords", "methods"]
    allowed = ", ".join(sorted(code_fields(487, "x")) + optional)
    allowed = ", ".join(sorted(allowed.split(", ")))
    assert errors == sorted(
        [
            f"codes/487.yaml:{first + i}: unknown field 'field{i}' in a code file (allowed: "
            f"{allowed})"
            for i in range(20)
        ]
        + [
            f"codes/487.yaml:{first + 20}: 1,980 more problems like the one at line {first} are "
            "not listed; fix those and build again"
        ]
    )


def test_35000_headings_are_fast(
    content: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_code(content, 487, "Request Terminated", description="# a\n" * 35_000)
    started = time.perf_counter()
    errors = refused(content, tmp_path, capsys)
    assert time.perf_counter() - started < 10
    assert errors == [
        f"codes/487.yaml:{line_of(path, ('description',))}: headings (lines starting with #, or "
        "underlined with = or -) are not allowed in a Markdown field, found 'a'; use **bold** "
        "text or a list instead"
    ]


def test_many_bad_links_are_counted(
    content: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    links = " ".join(f"[x](https://evil{i}.example/)" for i in range(5000))
    path = write_code(content, 487, "Request Terminated", description=links)
    line = line_of(path, ("description",))
    errors = refused(content, tmp_path, capsys)
    assert errors == sorted(
        [
            f"codes/487.yaml:{line}: link to 'https://evil{i}.example/' is not allowed; {ALLOWED}"
            for i in range(20)
        ]
        + [
            f"codes/487.yaml:{line}: 4,980 more problems like the one at line {line} are not "
            "listed; fix those and build again"
        ]
    )


@pytest.mark.parametrize("character", ["\x1b", "\x00", "\x7f"])
def test_a_raw_control_character_yaml_refuses_is_named_at_its_line(
    content: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], character: str
) -> None:
    path = content / "codes" / "487.yaml"
    line = append(path, f"keywords:\n  - red {character}[31m\n") + 1
    name = unicodedata.name(character, "") or "a control character"
    assert refused(content, tmp_path, capsys) == [
        f"codes/487.yaml:{line}: contains U+{ord(character):04X} ({name}), which YAML does not "
        "allow; delete it"
    ]
