"""Bad content gets one exact message per problem, exit 1, no traceback, untouched output."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import code_fields, run_build, write_code, write_yaml

import build
from sipref.load import line_of
from sipref.model import display_path
from sipref.validate import CODE_FIELDS, SECTION_IDS


def build_errors(content: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """Build into an existing output folder; assert failure and no change; return the messages."""
    out = tmp_path / "site"
    out.mkdir(exist_ok=True)
    (out / "keep.txt").write_text("previous build")
    assert run_build(content, out) == 1
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    err = capsys.readouterr().err
    assert "Traceback" not in err
    prefix = display_path(content)
    return [line.replace(prefix + "/", "") for line in err.splitlines()]


def test_every_missing_required_field_is_reported(
    content: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_yaml(content / "codes" / "488.yaml", {"code": 488})
    errors = build_errors(content, tmp_path, capsys)
    expected = [
        f"codes/488.yaml:1: missing required field '{name}' in a code file; see content/README.md"
        for name in CODE_FIELDS
        if name != "code"
    ]
    assert errors == sorted(expected)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("code", "48x", "'code' must be a whole number from 100 to 699, found \"48x\""),
        ("code", 99, "'code' must be a whole number from 100 to 699, found a number (99)"),
        ("code", 700, "'code' must be a whole number from 100 to 699, found a number (700)"),
        ("code", "487", "'code' must be a whole number from 100 to 699, found \"487\""),
        ("code", True, "'code' must be a whole number from 100 to 699, found true/false (true)"),
        ("phrase", 42, "'phrase' must be non-empty text, found a number (42)"),
        (
            "status",
            "obsolete",
            "'status' must be one of standard, deprecated, non-standard, found \"obsolete\"",
        ),
        ("summary", "x" * 201, "'summary' must be at most 200 characters, found 201; shorten it"),
        (
            "summary",
            "one\ntwo",
            "'summary' must be on one line, found a line break; use a folded "
            "scalar (>-) or one line",
        ),
        ("references", [], "'references' must be a non-empty list, found an empty list"),
        ("causes", "just one", "'causes' must be a non-empty list, found text \"just one\""),
        ("headers", None, None),
    ],
)
def test_wrong_field_type(
    content: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    field: str,
    value: object,
    message: str | None,
) -> None:
    path = write_code(content, 487, "Request Terminated", **{field: value})
    if message is None:  # None removes the field: covered by the missing-field test
        message = f"missing required field '{field}' in a code file; see content/README.md"
    line = line_of(path, (field,))
    assert build_errors(content, tmp_path, capsys) == [f"codes/487.yaml:{line}: {message}"]


def test_unknown_field_suggests_the_right_one(
    content: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fields = code_fields(487, "Request Terminated")
    fields["sumary"] = fields.pop("summary")
    path = write_yaml(content / "codes" / "487.yaml", fields)
    line = line_of(path, ("sumary",))
    assert build_errors(content, tmp_path, capsys) == [
        "codes/487.yaml:1: missing required field 'summary' in a code file; see content/README.md",
        f"codes/487.yaml:{line}: unknown field 'sumary' in a code file (did you mean 'summary'?)",
    ]


def test_code_must_match_file_name(
    content: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_yaml(content / "codes" / "489.yaml", code_fields(488, "Not Acceptable Here"))
    assert build_errors(content, tmp_path, capsys) == [
        "codes/489.yaml:1: 'code' is 488 but the file is named 489.yaml; rename the file to "
        "488.yaml or fix the code"
    ]


def test_nested_errors_point_at_their_line(
    content: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_code(
        content,
        487,
        "Request Terminated",
        references=[{"rfc": 3261}, {"rfc": 3261, "section": "§9.2"}],
        related=[{"code": 486, "note": "ok"}, {"code": 499, "note": "missing"}],
    )
    section_line = line_of(path, ("references", 1, "section"))
    assert build_errors(content, tmp_path, capsys) == [
        f"codes/487.yaml:{section_line}: 'section' must look like \"21.4.25\" (digits and "
        'dots), found "§9.2"'
    ]
    write_code(
        content,
        487,
        "Request Terminated",
        related=[{"code": 486, "note": "ok"}, {"code": 499, "note": "missing"}],
    )
    related_line = line_of(path, ("related", 1, "code"))
    assert build_errors(content, tmp_path, capsys) == [
        f"codes/487.yaml:{related_line}: related code 499 has no page; add "
        "content/codes/499.yaml or remove it"
    ]


def test_every_file_is_reported_not_just_the_first(
    content: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_code(content, 486, "Busy Here", status="busy")
    write_code(content, 487, "Request Terminated", example="SIP/2.0 200 OK")
    errors = build_errors(content, tmp_path, capsys)
    assert [e.split(":")[0] for e in errors] == ["codes/486.yaml", "codes/487.yaml"]


def test_invalid_yaml_reports_the_parser_line(
    content: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (content / "codes" / "487.yaml").write_text("code: 487\nphrase: [unclosed\nstatus: x\n")
    [error] = build_errors(content, tmp_path, capsys)
    assert error.startswith("codes/487.yaml:3: invalid YAML: while parsing a flow sequence")
    assert error.endswith("; fix the syntax")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "codes/487.yaml:1: file is empty; add the required fields (see content/README.md)"),
        (
            b"\xef\xbb\xbfcode: 487\n",
            "codes/487.yaml:1: file starts with a byte-order mark; save it as UTF-8 without BOM",
        ),
        (
            b"code: 487\nphrase: caf\xe9\n",
            "codes/487.yaml:2: not valid UTF-8 (byte 0xe9); save the file as UTF-8",
        ),
        (
            b"code: 487\ncode: 488\n",
            "codes/487.yaml:2: invalid YAML: duplicate key 'code'; "
            "keep one of them; fix the syntax",
        ),
        (
            b"- code: 487\n",
            "codes/487.yaml:1: a code file must be a mapping of fields, found a list",
        ),
        (
            b"code: !!python/object:os.system {}\n",
            "codes/487.yaml:1: invalid YAML: could not determine a constructor for the tag "
            "'tag:yaml.org,2002:python/object:os.system'; fix the syntax",
        ),
        (
            b"a: &a [1, 2]\nb: *a\n",
            "codes/487.yaml:1: invalid YAML: anchors and aliases (&name, *name) are not allowed; "
            "write the value out in full; fix the syntax",
        ),
        (
            b"code: 487\n\tphrase: x\n",
            "codes/487.yaml:2: invalid YAML: while scanning a plain scalar found a tab character "
            "that violates indentation; fix the syntax",
        ),
        (
            b"x: " + b"a" * (300 * 1024),
            "codes/487.yaml:1: file is 307,203 bytes, more than the 256 KB limit; "
            "split or shorten it",
        ),
    ],
)
def test_hostile_yaml_is_refused(
    content: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], raw: bytes, message: str
) -> None:
    (content / "codes" / "487.yaml").write_bytes(raw)
    assert build_errors(content, tmp_path, capsys) == [message]


def test_billion_laughs_is_refused_quickly(
    content: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [{','.join(['*a' + str(i - 1)] * 9)}]" for i in range(1, 10)]
    (content / "codes" / "487.yaml").write_text("\n".join(lines) + "\n")
    [error] = build_errors(content, tmp_path, capsys)
    assert error.startswith("codes/487.yaml:1: invalid YAML: anchors and aliases")


@pytest.mark.parametrize(
    ("markdown", "found"),
    [
        ("<script>alert(1)</script>", "'<script'"),
        ("Hello <img src=x onerror=alert(1)> world", "'<img'"),
        ("<iframe src='https://evil.example'></iframe>", "'<iframe'"),
        ('Text\n\n<div onclick="x()">block</div>', "'<div'"),
        ("Inline <b>bold</b> text", "'<b'"),
        ("<!-- comment -->", "'<!--'"),
    ],
)
def test_raw_html_in_markdown_is_refused(
    content: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], markdown: str, found: str
) -> None:
    path = write_code(content, 487, "Request Terminated", description=markdown)
    line = line_of(path, ("description",))
    assert build_errors(content, tmp_path, capsys) == [
        f"codes/487.yaml:{line}: raw HTML is not allowed ({found}); put it in backticks or "
        "write &lt;"
    ]


@pytest.mark.parametrize(
    ("markdown", "message"),
    [
        (
            "Intro.\n\n## Causes\n\nMore.",
            "headings (lines starting with #, or underlined with = or "
            "-) are not allowed in a Markdown field, found 'Causes'; use **bold** text or a list "
            "instead",
        ),
        (
            "Intro\n=====",
            "headings (lines starting with #, or underlined with = or -) are not "
            "allowed in a Markdown field, found 'Intro'; use **bold** text or a list instead",
        ),
        (
            "One.\n\n---\n\nTwo.",
            "horizontal rules (---, ***) are not allowed in a Markdown field, "
            "found a rule; start a new paragraph instead",
        ),
        (
            "> The UAS MUST respond.",
            "block quotes (lines starting with >) are not allowed in a "
            "Markdown field, found 'The UAS MUST respond.'; quote in running text instead",
        ),
        (
            "See ![call flow](https://www.iana.org/flow.png).",
            "images (![text](address)) are not "
            "allowed in a Markdown field, found 'call flow'; describe the picture in words",
        ),
        (
            "See [RFC 3261][1].\n\n[1]: https://www.rfc-editor.org/rfc/rfc3261",
            "reference-style links are not supported, found "
            "'[1]: https://www.rfc-editor.org/rfc/rfc3261'; write the link inline as "
            "[text](address)",
        ),
    ],
)
def test_markdown_that_breaks_the_page_is_refused(
    content: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], markdown: str, message: str
) -> None:
    path = write_code(content, 487, "Request Terminated", what_to_do=markdown)
    line = line_of(path, ("what_to_do",))
    assert build_errors(content, tmp_path, capsys) == [f"codes/487.yaml:{line}: {message}"]


@pytest.mark.parametrize(
    "target",
    [
        "javascript:alert(1)",
        "https://evil.example/x",
        "data:text/html,x",
        "../../etc/passwd",
        "499.html",
    ],
)
def test_forbidden_links_are_refused(
    content: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], target: str
) -> None:
    path = write_code(content, 487, "Request Terminated", causes=[f"See [this]({target})."])
    line = line_of(path, ("causes", 0))
    [error] = build_errors(content, tmp_path, capsys)
    assert error.startswith(f"codes/487.yaml:{line}: ")


def test_html_in_backticks_is_shown_as_text(content: Path, tmp_path: Path) -> None:
    write_code(content, 487, "Request Terminated", description="Use `<sip:bob@example.com>`.")
    out = tmp_path / "site"
    assert run_build(content, out) == 0
    assert "<code>&lt;sip:bob@example.com&gt;</code>" in (out / "codes/487.html").read_text()


def test_fenced_code_is_a_code_block_shown_as_text(content: Path, tmp_path: Path) -> None:
    write_code(
        content,
        487,
        "Request Terminated",
        what_to_do="Look for:\n\n```\nReason: SIP;cause=487\n<script>x</script>\n```\n",
    )
    out = tmp_path / "site"
    assert run_build(content, out) == 0
    assert (
        "<pre><code>Reason: SIP;cause=487\n&lt;script&gt;x&lt;/script&gt;\n</code></pre>"
        in (out / "codes/487.html").read_text()
    )


def test_plain_text_fields_are_escaped(content: Path, tmp_path: Path) -> None:
    write_code(content, 487, "Request Terminated", summary="<img src=x onerror=alert(1)>")
    out = tmp_path / "site"
    assert run_build(content, out) == 0
    page = (out / "codes/487.html").read_text()
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


@pytest.mark.parametrize("name", ["..%2f487.yaml", "4O4.yaml", "700.yaml", "099.yaml", "487.yml"])
def test_bad_file_name_is_refused(
    content: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    write_yaml(content / "codes" / name, code_fields(487, "Request Terminated"))
    assert build_errors(content, tmp_path, capsys) == [
        f"codes/{name}:1: file name '{name}' is not a code file; name it <code>.yaml, e.g. 487.yaml"
    ]


def test_link_to_an_unknown_section_is_refused(
    content: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_code(content, 487, "Request Terminated", what_to_do="See [486](486.html#nope).")
    assert build_errors(content, tmp_path, capsys) == [
        f"codes/487.yaml:{line_of(path, ('what_to_do',))}: link to '486.html#nope': "
        "'#nope' is not a section of a code page; use one of " + ", ".join(SECTION_IDS)
    ]


def test_template_mistake_names_template_and_line(
    content: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    templates = tmp_path / "templates"
    import shutil

    shutil.copytree(build.ROOT / "templates", templates)
    page = templates / "class.html"
    page.write_text(
        page.read_text().replace("{{ code_class.summary }}</p>", "{{ code_class.summry }}</p>")
    )
    out = tmp_path / "site"
    assert (
        build.main(["--content", str(content), "--templates", str(templates), "--out", str(out)])
        == 1
    )
    err = capsys.readouterr().err.strip()
    line = next(i for i, text in enumerate(page.read_text().splitlines(), 1) if "summry" in text)
    assert err == (
        f"{display_path(page)}:{line}: 'sipref.model.CodeClass object' has no "
        "attribute 'summry' (rendering classes/1xx.html)"
    )
    assert not out.exists()
