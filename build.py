"""Build the SIP response code reference: content/ -> templates/ -> site/.

The pipeline reads top to bottom: model, load, validate, render, write, main. Everything is
rendered in memory first, so a mistake in content or a template stops the build before the
output directory is touched.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
import markdown
import yaml
from markupsafe import Markup, escape

ROOT = Path(__file__).resolve().parent
CLASS_KEYS = ("1xx", "2xx", "3xx", "4xx", "5xx", "6xx")
STATUSES = ("standard", "deprecated", "non-standard")
REQUIREMENTS = ("MUST", "MUST NOT", "SHOULD", "SHOULD NOT", "MAY")
DIRECTIONS = ("isup-to-sip", "sip-to-isup", "qsig-to-sip", "sip-to-qsig")
EXTERNAL_HOSTS = ("www.rfc-editor.org", "rfc-editor.org", "www.iana.org", "iana.org",
                  "datatracker.ietf.org")
MAX_FILE_BYTES = 256 * 1024
SUMMARY_LIMIT = 200
SEARCH_INDEX_VERSION = 1


# ---------------------------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Text:
    """A Markdown field as written, and the HTML made from it once."""

    markdown: str
    html: Markup

    def __html__(self) -> str:
        """Let Jinja insert the HTML as is: it was made from escaped Markdown, never raw HTML."""
        return self.html


@dataclass(frozen=True, slots=True)
class Reference:
    """One citation: an RFC and, where checked, a section of it."""

    rfc: int
    section: str | None

    @property
    def label(self) -> str:
        return f"RFC {self.rfc} §{self.section}" if self.section else f"RFC {self.rfc}"

    @property
    def url(self) -> str:
        anchor = f"#section-{self.section}" if self.section else ""
        return f"https://www.rfc-editor.org/rfc/rfc{self.rfc}{anchor}"


@dataclass(frozen=True, slots=True)
class Alias:
    """A former or variant reason phrase and where it comes from."""

    phrase: str
    note: str


@dataclass(frozen=True, slots=True)
class HeaderRule:
    """A header field a response with this code must, should or may carry."""

    name: str
    requirement: str
    reference: Reference
    note: str


@dataclass(frozen=True, slots=True)
class Related:
    """A link to another code with one line on the difference."""

    code: int
    note: str


@dataclass(frozen=True, slots=True)
class Code:
    """One SIP response code, read from content/codes/<code>.yaml."""

    code: int
    phrase: str
    status: str
    summary: str
    references: tuple[Reference, ...]
    aliases: tuple[Alias, ...]
    keywords: tuple[str, ...]
    description: Text
    sent_by: Text
    causes: tuple[Text, ...]
    what_to_do: Text
    headers: tuple[HeaderRule, ...]
    example: str
    related: tuple[Related, ...]
    source: Path

    @property
    def title(self) -> str:
        return f"{self.code} {self.phrase}"

    @property
    def class_key(self) -> str:
        return f"{self.code // 100}xx"

    @property
    def is_final(self) -> bool:
        return self.code >= 200

    @property
    def url(self) -> str:
        return f"codes/{self.code}.html"


@dataclass(frozen=True, slots=True)
class CodeClass:
    """One response class, 1xx to 6xx, from content/classes.yaml."""

    key: str
    name: str
    summary: str
    description: Text

    @property
    def title(self) -> str:
        return f"{self.key} {self.name}"

    @property
    def url(self) -> str:
        return f"classes/{self.key}.html"


@dataclass(frozen=True, slots=True)
class Rfc:
    """An RFC cited somewhere in the content."""

    number: int
    title: str
    status: str

    @property
    def url(self) -> str:
        return f"https://www.rfc-editor.org/rfc/rfc{self.number}"


@dataclass(frozen=True, slots=True)
class Mapping:
    """One row of an ISUP/QSIG cause to SIP response table, in one direction."""

    direction: str
    cause: int
    code: int
    reference: Reference
    note: str


@dataclass(frozen=True, slots=True)
class Site:
    """Site-wide settings from content/site.yaml."""

    title: str
    description: str
    base_url: str
    version: str


@dataclass(frozen=True, slots=True)
class Content:
    """Everything the build read, validated and cross-checked."""

    site: Site
    classes: dict[str, CodeClass]
    rfcs: dict[int, Rfc]
    causes: dict[int, str]
    mappings: tuple[Mapping, ...]
    codes: dict[int, Code]


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------


class BuildError(Exception):
    """A problem the user can fix: printed without a traceback."""


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    """One content problem, located by file and line."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class ContentError(BuildError):
    """Every problem found in content/, sorted by file and line."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems))


class TemplateProblem(BuildError):
    """A mistake in a template, located by template file and line."""


def display_path(path: Path) -> str:
    """Return path relative to the working directory when it is inside it, for messages."""
    absolute = Path(os.path.abspath(path))
    cwd = Path.cwd()
    return str(absolute.relative_to(cwd)) if absolute.is_relative_to(cwd) else str(absolute)


# ---------------------------------------------------------------------------------------------
# Load: bytes -> plain Python data, with strict YAML
# ---------------------------------------------------------------------------------------------

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class StrictLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe YAML loader that also refuses duplicate keys and aliases (no "billion laughs")."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        if node in self.constructed_objects:
            raise yaml.constructor.ConstructorError(
                None, None, "anchors and aliases (&name, *name) are not allowed; "
                "write the value out in full", node.start_mark)
        return super().construct_object(node, deep)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = key_node.value
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key '{key}'; keep one of them", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


StrictLoader.add_constructor("tag:yaml.org,2002:map", StrictLoader.construct_yaml_map)


def read_yaml(path: Path) -> tuple[Any, Problem | None]:
    """Return the parsed YAML document at path, or a Problem saying why it cannot be read."""
    shown = display_path(path)
    data = path.read_bytes()
    if len(data) > MAX_FILE_BYTES:
        return None, Problem(shown, 1, f"file is {len(data):,} bytes, more than the "
                             f"{MAX_FILE_BYTES // 1024} KB limit; split or shorten it")
    if data.startswith(b"\xef\xbb\xbf"):
        return None, Problem(shown, 1, "file starts with a byte-order mark; "
                             "save it as UTF-8 without BOM")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        return None, Problem(shown, line, f"not valid UTF-8 (byte 0x{data[err.start]:02x}); "
                             "save the file as UTF-8")
    try:
        document = yaml.load(text, Loader=StrictLoader)  # noqa: S506 - StrictLoader is safe
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark else 1
        reason = " ".join(filter(None, [err.context, err.problem]))
        return None, Problem(shown, line, f"invalid YAML: {reason}; fix the syntax")
    except yaml.YAMLError as err:
        return None, Problem(shown, 1, f"invalid YAML: {err}; fix the syntax")
    except RecursionError:
        return None, Problem(shown, 1, "invalid YAML: nested too deeply; flatten the structure")
    if document is None:
        return None, Problem(shown, 1, "file is empty; add the required fields "
                             "(see content/README.md)")
    return document, None


def line_of(path: Path, keys: tuple[str | int, ...]) -> int:
    """Return the 1-based line of a key path in a YAML file; used only to report errors."""
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (yaml.YAMLError, OSError, UnicodeDecodeError):
        return 1
    line = node.start_mark.line + 1 if node is not None else 1
    for key in keys:
        if isinstance(node, yaml.MappingNode):
            match = [(k, v) for k, v in node.value if k.value == str(key)]
            if not match:
                return line
            line, node = match[0][0].start_mark.line + 1, match[0][1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
            if key >= len(node.value):
                return line
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            return line
    return line


# ---------------------------------------------------------------------------------------------
# Validate: plain data -> model objects, collecting every problem
# ---------------------------------------------------------------------------------------------


class Checker:
    """Collects the problems of one file; each check returns the value or None."""

    def __init__(self, path: Path, problems: list[Problem]) -> None:
        self.path = path
        self.problems = problems

    def fail(self, keys: tuple[str | int, ...], message: str) -> None:
        self.problems.append(Problem(display_path(self.path), line_of(self.path, keys), message))

    def fields(self, data: Any, keys: tuple[str | int, ...], required: Iterable[str],
               optional: Iterable[str], what: str) -> dict | None:
        """Check that data is a mapping with the required fields and no unknown ones."""
        if not isinstance(data, dict):
            self.fail(keys, f"{what} must be a mapping of fields, found {kind_of(data)}")
            return None
        required, allowed = list(required), set(required) | set(optional)
        for name in required:
            if name not in data:
                self.fail(keys, f"missing required field '{name}' in {what}; "
                          "see content/README.md")
        for name in data:
            if name not in allowed:
                hint = difflib.get_close_matches(str(name), sorted(allowed), n=1)
                advice = f"did you mean '{hint[0]}'?" if hint else \
                    "allowed: " + ", ".join(sorted(allowed))
                self.fail(keys + (name,), f"unknown field '{name}' in {what} ({advice})")
        return data

    def text(self, data: dict, keys: tuple[str | int, ...], name: str, *,
             limit: int | None = None, one_line: bool = False) -> str | None:
        """Return data[name] if it is non-empty text within the limits."""
        if name not in data:
            return None
        value, where = data[name], keys + (name,)
        if not isinstance(value, str) or not value.strip():
            self.fail(where, f"'{name}' must be non-empty text, found {kind_of(value)}")
            return None
        value = value.strip()
        if one_line and "\n" in value:
            self.fail(where, f"'{name}' must be on one line, found a line break; "
                      "use a folded scalar (>-) or one line")
            return None
        if limit is not None and len(value) > limit:
            self.fail(where, f"'{name}' must be at most {limit} characters, "
                      f"found {len(value)}; shorten it")
            return None
        return value

    def whole(self, data: dict, keys: tuple[str | int, ...], name: str, low: int,
              high: int) -> int | None:
        """Return data[name] if it is a whole number in [low, high]."""
        if name not in data:
            return None
        value = data[name]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.fail(keys + (name,), f"'{name}' must be a whole number from {low} to "
                      f"{high}, found {shown_value(value)}")
            return None
        return value

    def choice(self, data: dict, keys: tuple[str | int, ...], name: str,
               options: Iterable[str]) -> str | None:
        """Return data[name] if it is one of options."""
        if name not in data:
            return None
        options = tuple(options)
        if data[name] not in options:
            self.fail(keys + (name,), f"'{name}' must be one of {', '.join(options)}, "
                      f"found {shown_value(data[name])}")
            return None
        return data[name]

    def items(self, data: dict, keys: tuple[str | int, ...], name: str,
              allow_empty: bool = False) -> list | None:
        """Return data[name] if it is a list (non-empty unless allowed)."""
        if name not in data:
            return None
        value = data[name]
        if not isinstance(value, list) or (not value and not allow_empty):
            need = "a list" if allow_empty else "a non-empty list"
            self.fail(keys + (name,), f"'{name}' must be {need}, found {kind_of(value)}")
            return None
        return value


def kind_of(value: Any) -> str:
    """Describe a YAML value's type in plain words."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"true/false ({str(value).lower()})"
    if isinstance(value, int):
        return f"a number ({value})"
    if isinstance(value, float):
        return f"a decimal number ({value})"
    if isinstance(value, str):
        return f'text "{value[:40]}"' if value.strip() else "empty text"
    if isinstance(value, list):
        return "an empty list" if not value else "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a value of type {type(value).__name__}"


def shown_value(value: Any) -> str:
    """Quote a found value for an error message."""
    return f'"{value}"' if isinstance(value, str) else kind_of(value)


SECTION_PATTERN = re.compile(r"^(?:[A-Z]|\d+)(?:\.\d+)*$")


def check_reference(check: Checker, data: Any, keys: tuple[str | int, ...]) -> Reference | None:
    """Return a Reference from {rfc, section?}."""
    fields = check.fields(data, keys, ["rfc"], ["section"], "a reference")
    if fields is None:
        return None
    rfc = check.whole(fields, keys, "rfc", 1, 99999)
    section = fields.get("section")
    if section is not None:
        section = str(section) if isinstance(section, str | int) else section
        if not isinstance(section, str) or not SECTION_PATTERN.match(section):
            check.fail(keys + ("section",), "'section' must look like \"21.4.25\" (digits and "
                       f"dots), found {shown_value(fields.get('section'))}")
            return None
    return Reference(rfc, section) if rfc is not None else None


class MarkdownRenderer:
    """Converts content Markdown to safe HTML with one reused converter, checking every link."""

    def __init__(self, known_codes: Iterable[int]) -> None:
        self.known_codes = frozenset(known_codes)
        self.md = markdown.Markdown(extensions=["fenced_code"], output_format="html")
        # Raw HTML is never passed through: with these removed, Markdown escapes it as text.
        self.md.preprocessors.deregister("html_block")
        self.md.inlinePatterns.deregister("html")

    def convert(self, text: str, code_prefix: str) -> tuple[Markup, list[str]]:
        """Return the HTML for text and the list of problems with its links and raw HTML."""
        problems = [f"raw HTML is not allowed ({found!r}); put it in backticks or write &lt;"
                    for found in find_raw_html(text)]
        html = self.md.reset().convert(text)
        html, link_problems = rewrite_links(html, code_prefix, self.known_codes)
        return Markup(html), problems + link_problems


RAW_HTML = re.compile(r"<(?:/?[A-Za-z][A-Za-z0-9-]*(?=[\s/>])|!--|!|\?)")
CODE_SPANS = re.compile(r"```.*?```|`[^`\n]*`", re.S)


def find_raw_html(text: str) -> list[str]:
    """Return the first raw HTML opening in Markdown text (ignoring code), or nothing."""
    match = RAW_HTML.search(CODE_SPANS.sub("", text))
    return [match.group(0)] if match else []


HREF = re.compile(r'(href|src)="([^"]*)"')
CODE_LINK = re.compile(r"^(\d{3})\.html(?:#([a-z0-9-]+))?$")
SECTION_IDS = ("summary", "description", "sent-by", "causes", "what-to-do", "headers", "example",
               "related", "q850", "references")


def rewrite_links(html: str, code_prefix: str,
                  known_codes: frozenset[int]) -> tuple[str, list[str]]:
    """Point code links (NNN.html) at the page being rendered; list broken or forbidden links."""
    problems: list[str] = []

    def fix(match: re.Match[str]) -> str:
        attribute, target = match.group(1), match.group(2)
        if code_link := CODE_LINK.match(target):
            number, anchor = int(code_link.group(1)), code_link.group(2)
            if number not in known_codes:
                problems.append(f"link to '{target}': code {number} has no page; link an "
                                "existing code")
            elif anchor is not None and anchor not in SECTION_IDS:
                problems.append(f"link to '{target}': '#{anchor}' is not a section of a code "
                                f"page; use one of {', '.join(SECTION_IDS)}")
            return f'{attribute}="{code_prefix}{target}"'
        parts = urlsplit(target.replace("&amp;", "&"))
        if parts.scheme in ("http", "https") and parts.hostname in EXTERNAL_HOSTS:
            return match.group(0)
        problems.append(f"link to '{target}' is not allowed; link a code as NNN.html or "
                        f"an RFC at https://www.rfc-editor.org/ ({', '.join(EXTERNAL_HOSTS)})")
        return match.group(0)

    return HREF.sub(fix, html), problems


def check_markdown(check: Checker, renderer: MarkdownRenderer, data: dict,
                   keys: tuple[str | int, ...], name: str, code_prefix: str) -> Text | None:
    """Return the rendered HTML of a Markdown text field, reporting raw HTML and bad links."""
    text = check.text(data, keys, name)
    return markdown_value(check, renderer, text, keys + (name,), code_prefix)


def markdown_value(check: Checker, renderer: MarkdownRenderer, text: str | None,
                   where: tuple[str | int, ...], code_prefix: str) -> Text | None:
    """Render one Markdown string, reporting its problems at where."""
    if text is None:
        return None
    html, problems = renderer.convert(text, code_prefix)
    for problem in problems:
        check.fail(where, problem)
    return None if problems else Text(text, html)


CODE_FIELDS = ("code", "phrase", "status", "summary", "references", "description", "sent_by",
               "causes", "what_to_do", "headers", "example", "related")
OPTIONAL_CODE_FIELDS = ("aliases", "keywords")


def validate_code(path: Path, data: Any, renderer: MarkdownRenderer,
                  problems: list[Problem]) -> Code | None:
    """Return a Code built from one file's data, or None after recording its problems."""
    check = Checker(path, problems)
    before = len(problems)
    fields = check.fields(data, (), CODE_FIELDS, OPTIONAL_CODE_FIELDS, "a code file")
    if fields is None:
        return None
    code = check.whole(fields, (), "code", 100, 699)
    if code is not None and path.stem != str(code):
        check.fail(("code",), f"'code' is {code} but the file is named {path.name}; "
                   f"rename the file to {code}.yaml or fix the code")
    phrase = check.text(fields, (), "phrase", limit=80, one_line=True)
    status = check.choice(fields, (), "status", STATUSES)
    summary = check.text(fields, (), "summary", limit=SUMMARY_LIMIT, one_line=True)
    references = check_list(check, fields, "references", check_reference)
    aliases = check_list(check, fields, "aliases", check_alias, allow_empty=True)
    keywords = check_keywords(check, fields)
    markdown_fields = {name: check_markdown(check, renderer, fields, (), name, "")
                       for name in ("description", "sent_by", "what_to_do")}
    causes = check_causes(check, renderer, fields)
    headers = check_list(check, fields, "headers", check_header, allow_empty=True)
    example = check_example(check, fields, code, phrase)
    related = check_list(check, fields, "related", check_related)
    if len(problems) > before:
        return None
    return Code(code=code, phrase=phrase, status=status, summary=summary,
                references=tuple(references), aliases=tuple(aliases or ()),
                keywords=tuple(keywords or ()), causes=tuple(causes),
                headers=tuple(headers), example=example, related=tuple(related),
                source=path, **markdown_fields)


def check_list(check: Checker, data: dict, name: str, check_item: Any,
               allow_empty: bool = False) -> list | None:
    """Check every item of a list field with check_item(check, item, keys)."""
    items = check.items(data, (), name, allow_empty)
    if items is None:
        return None
    checked = [check_item(check, item, (name, index)) for index, item in enumerate(items)]
    return None if any(item is None for item in checked) else checked


def check_alias(check: Checker, data: Any, keys: tuple[str | int, ...]) -> Alias | None:
    """Return an Alias from {phrase, note}."""
    fields = check.fields(data, keys, ["phrase", "note"], [], "an alias")
    if fields is None:
        return None
    phrase = check.text(fields, keys, "phrase", limit=80, one_line=True)
    note = check.text(fields, keys, "note", limit=200, one_line=True)
    return Alias(phrase, note) if phrase and note else None


def check_header(check: Checker, data: Any, keys: tuple[str | int, ...]) -> HeaderRule | None:
    """Return a HeaderRule from {name, requirement, rfc, section?, note?}."""
    fields = check.fields(data, keys, ["name", "requirement", "rfc"], ["section", "note"],
                          "a header rule")
    if fields is None:
        return None
    name = check.text(fields, keys, "name", limit=80, one_line=True)
    requirement = check.choice(fields, keys, "requirement", REQUIREMENTS)
    reference = check_reference(
        check, {k: v for k, v in fields.items() if k in ("rfc", "section")}, keys)
    note = check.text(fields, keys, "note", limit=300, one_line=True) if "note" in fields else ""
    if None in (name, requirement, reference, note):
        return None
    return HeaderRule(name, requirement, reference, note)


def check_related(check: Checker, data: Any, keys: tuple[str | int, ...]) -> Related | None:
    """Return a Related from {code, note}; whether the code exists is checked later."""
    fields = check.fields(data, keys, ["code", "note"], [], "a related code")
    if fields is None:
        return None
    code = check.whole(fields, keys, "code", 100, 699)
    note = check.text(fields, keys, "note", limit=300, one_line=True)
    return Related(code, note) if code is not None and note else None


def check_keywords(check: Checker, data: dict) -> list[str] | None:
    """Return the keywords list: short lowercase texts."""
    items = check.items(data, (), "keywords", allow_empty=True)
    if items is None:
        return None
    for index, word in enumerate(items):
        if not isinstance(word, str) or not word.strip() or word != word.lower() \
                or len(word) > 40:
            check.fail(("keywords", index), "each keyword must be lowercase text of at most "
                       f"40 characters, found {shown_value(word)}")
            return None
    return [word.strip() for word in items]


def check_causes(check: Checker, renderer: MarkdownRenderer, data: dict) -> list | None:
    """Return the rendered causes list."""
    items = check.items(data, (), "causes")
    if items is None:
        return None
    rendered = []
    for index, item in enumerate(items):
        if not isinstance(item, str) or not item.strip():
            check.fail(("causes", index), f"each cause must be non-empty text, "
                       f"found {kind_of(item)}")
            return None
        rendered.append(markdown_value(check, renderer, item.strip(), ("causes", index), ""))
    return None if None in rendered else rendered


def check_example(check: Checker, data: dict, code: int | None, phrase: str | None) -> str | None:
    """Return the example response if its status line matches the code."""
    example = check.text(data, (), "example")
    if example is None or code is None:
        return None
    status_line = example.splitlines()[0]
    if not status_line.startswith(f"SIP/2.0 {code} "):
        check.fail(("example",), f"'example' must start with the status line "
                   f"\"SIP/2.0 {code} {phrase}\", found \"{status_line[:60]}\"")
        return None
    return example


def validate_class(path: Path, key: str, data: Any, renderer: MarkdownRenderer,
                   problems: list[Problem]) -> CodeClass | None:
    """Return a CodeClass from one entry of classes.yaml."""
    check = Checker(path, problems)
    before = len(problems)
    fields = check.fields(data, (key,), ["name", "summary", "description"], [],
                          f"class {key}")
    if fields is None:
        return None
    name = check.text(fields, (key,), "name", limit=40, one_line=True)
    summary = check.text(fields, (key,), "summary", limit=SUMMARY_LIMIT, one_line=True)
    description = check_markdown(check, renderer, fields, (key,), "description", "../codes/")
    if len(problems) > before:
        return None
    return CodeClass(key, name, summary, description)


def validate_classes(path: Path, data: Any, renderer: MarkdownRenderer,
                     problems: list[Problem]) -> dict[str, CodeClass]:
    """Return the six classes from classes.yaml."""
    check = Checker(path, problems)
    fields = check.fields(data, (), CLASS_KEYS, (), "classes.yaml")
    if fields is None:
        return {}
    classes = {key: validate_class(path, key, fields[key], renderer, problems)
               for key in CLASS_KEYS if key in fields}
    return {key: value for key, value in classes.items() if value is not None}


def validate_site(path: Path, data: Any, base_url: str | None,
                  problems: list[Problem]) -> Site | None:
    """Return the Site settings, with base_url overridden by --base-url when given."""
    check = Checker(path, problems)
    fields = check.fields(data, (), ["title", "description", "base_url", "version"], [],
                          "site.yaml")
    if fields is None:
        return None
    title = check.text(fields, (), "title", limit=80, one_line=True)
    description = check.text(fields, (), "description", limit=SUMMARY_LIMIT, one_line=True)
    version = fields.get("version")
    if not isinstance(version, str) or not re.fullmatch(r"[0-9A-Za-z.+-]{1,40}", version):
        check.fail(("version",), "'version' must be text such as \"2026.11.1\" (letters, "
                   f"digits, dots, plus and minus), found {shown_value(version)}")
        version = None
    url = check.text(fields, (), "base_url", one_line=True)
    if url is not None and (error := base_url_error(url)):
        check.fail(("base_url",), error)
        url = None
    if None in (title, description, version, url):
        return None
    return Site(title, description, normalise_base_url(base_url or url), version)


def base_url_error(url: str) -> str | None:
    """Return why url is not a usable base URL, or None."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query \
            or parts.fragment:
        return f"base URL must be an absolute http(s) URL such as https://example.org/sip/, " \
               f"found \"{url}\""
    return None


def normalise_base_url(url: str) -> str:
    """Return url ending in exactly one slash."""
    return url.rstrip("/") + "/"


def validate_rfcs(path: Path, data: Any, problems: list[Problem]) -> dict[int, Rfc]:
    """Return the RFC titles from rfcs.yaml."""
    check = Checker(path, problems)
    if not isinstance(data, dict):
        check.fail((), f"rfcs.yaml must map RFC numbers to titles, found {kind_of(data)}")
        return {}
    rfcs = {}
    for number, entry in data.items():
        if isinstance(number, bool) or not isinstance(number, int):
            check.fail((number,), f"RFC number must be a whole number, found "
                       f"{shown_value(number)}")
            continue
        fields = check.fields(entry, (number,), ["title", "status"], [], f"RFC {number}")
        if fields is None:
            continue
        title = check.text(fields, (number,), "title", limit=200, one_line=True)
        status = check.text(fields, (number,), "status", limit=60, one_line=True)
        if title and status:
            rfcs[number] = Rfc(number, title, status)
    return rfcs


def validate_q850(path: Path, data: Any,
                  problems: list[Problem]) -> tuple[dict[int, str], tuple[Mapping, ...]]:
    """Return the cause names and mapping rows from q850.yaml."""
    check = Checker(path, problems)
    fields = check.fields(data, (), ["causes", "mappings"], [], "q850.yaml")
    if fields is None:
        return {}, ()
    causes: dict[int, str] = {}
    for index, entry in enumerate(check.items(fields, (), "causes") or []):
        keys = ("causes", index)
        row = check.fields(entry, keys, ["cause", "name"], [], "a cause")
        if row is None:
            continue
        cause = check.whole(row, keys, "cause", 0, 127)
        name = check.text(row, keys, "name", limit=80, one_line=True)
        if cause in causes:
            check.fail(keys + ("cause",), f"cause {cause} is listed twice; keep one")
        elif cause is not None and name:
            causes[cause] = name
    mappings = []
    for index, entry in enumerate(check.items(fields, (), "mappings") or []):
        mapping = check_mapping(check, entry, ("mappings", index), causes)
        if mapping is not None:
            mappings.append(mapping)
    return causes, tuple(mappings)


def check_mapping(check: Checker, data: Any, keys: tuple[str | int, ...],
                  causes: dict[int, str]) -> Mapping | None:
    """Return one Mapping row, checking that its cause is named in the causes list."""
    row = check.fields(data, keys, ["direction", "cause", "code", "source"], ["note"],
                       "a mapping row")
    if row is None:
        return None
    direction = check.choice(row, keys, "direction", DIRECTIONS)
    cause = check.whole(row, keys, "cause", 0, 127)
    code = check.whole(row, keys, "code", 100, 699)
    source = check_reference(check, row.get("source"), keys + ("source",))
    note = check.text(row, keys, "note", limit=300, one_line=True) if "note" in row else ""
    if cause is not None and cause not in causes:
        check.fail(keys + ("cause",), f"cause {cause} has no entry in 'causes'; add its name")
        return None
    if None in (direction, cause, code, source, note):
        return None
    return Mapping(direction, cause, code, source, note)


def cross_check(content_dir: Path, content: Content, problems: list[Problem]) -> None:
    """Record problems between files: related codes, cited RFCs, mapped codes."""
    for code in content.codes.values():
        check = Checker(code.source, problems)
        for index, related in enumerate(code.related):
            if related.code not in content.codes:
                check.fail(("related", index, "code"), f"related code {related.code} has no "
                           f"page; add content/codes/{related.code}.yaml or remove it")
            elif related.code == code.code:
                check.fail(("related", index, "code"), "a code cannot be related to itself")
        cited = [(("references", i, "rfc"), r.rfc) for i, r in enumerate(code.references)]
        cited += [(("headers", i, "rfc"), h.reference.rfc) for i, h in enumerate(code.headers)]
        for keys, rfc in cited:
            if rfc not in content.rfcs:
                check.fail(keys, f"RFC {rfc} is cited but has no title in content/rfcs.yaml; "
                           "add it there")
    cited_anywhere = {m.reference.rfc for m in content.mappings}
    for code in content.codes.values():
        cited_anywhere |= {r.rfc for r in code.references}
        cited_anywhere |= {h.reference.rfc for h in code.headers}
    rfcs = Checker(content_dir / "rfcs.yaml", problems)
    for number in sorted(set(content.rfcs) - cited_anywhere):
        rfcs.fail((number,), f"RFC {number} is listed but no page cites it; remove it")
    q850 = Checker(content_dir / "q850.yaml", problems)
    for index, mapping in enumerate(content.mappings):
        if mapping.code not in content.codes:
            q850.fail(("mappings", index, "code"), f"code {mapping.code} has no page")
        if mapping.reference.rfc not in content.rfcs:
            q850.fail(("mappings", index, "source"), f"RFC {mapping.reference.rfc} has no "
                      "title in content/rfcs.yaml; add it there")


def load_content(content_dir: Path, base_url: str | None = None) -> Content:
    """Read and validate everything under content_dir; raise ContentError listing every problem."""
    problems: list[Problem] = []
    codes_dir = content_dir / "codes"
    known_codes = [int(p.name[:3]) for p in codes_dir.glob("*.yaml") if CODE_FILE.match(p.name)]
    renderer = MarkdownRenderer(known_codes)

    def read(name: str) -> Any:
        path = content_dir / name
        if not path.is_file():
            problems.append(Problem(display_path(path), 1, f"missing file {name}; "
                                    "see content/README.md"))
            return None
        data, problem = read_yaml(path)
        if problem:
            problems.append(problem)
        return data

    site_data, classes_data = read("site.yaml"), read("classes.yaml")
    rfcs_data, q850_data = read("rfcs.yaml"), read("q850.yaml")
    site = validate_site(content_dir / "site.yaml", site_data, base_url, problems) \
        if site_data is not None else None
    classes = validate_classes(content_dir / "classes.yaml", classes_data, renderer, problems) \
        if classes_data is not None else {}
    rfcs = validate_rfcs(content_dir / "rfcs.yaml", rfcs_data, problems) \
        if rfcs_data is not None else {}
    causes, mappings = validate_q850(content_dir / "q850.yaml", q850_data, problems) \
        if q850_data is not None else ({}, ())
    codes = load_codes(codes_dir, renderer, problems)
    if problems or site is None:
        raise ContentError(problems)
    content = Content(site, classes, rfcs, causes, mappings, codes)
    cross_check(content_dir, content, problems)
    if problems:
        raise ContentError(problems)
    return content


CODE_FILE = re.compile(r"^[1-6]\d\d\.yaml$")


def load_codes(codes_dir: Path, renderer: MarkdownRenderer,
               problems: list[Problem]) -> dict[int, Code]:
    """Return every valid code in codes_dir by number, recording problems for the rest."""
    if not codes_dir.is_dir():
        problems.append(Problem(display_path(codes_dir), 1, "missing folder codes/; add one "
                                "YAML file per response code"))
        return {}
    codes = {}
    for path in sorted(codes_dir.iterdir()):
        if path.is_dir() or (path.name.startswith(".") and path.suffix != ".yaml"):
            continue  # editor swap files and the like
        if not CODE_FILE.match(path.name):
            problems.append(Problem(display_path(path), 1, f"file name '{path.name}' is not a "
                                    "code file; name it <code>.yaml, e.g. 487.yaml"))
            continue
        data, problem = read_yaml(path)
        if problem:
            problems.append(problem)
            continue
        code = validate_code(path, data, renderer, problems)
        if code is not None:
            codes[code.code] = code
    if not codes and not problems:
        problems.append(Problem(display_path(codes_dir), 1, "no code files found; add e.g. "
                                "487.yaml"))
    return codes


# ---------------------------------------------------------------------------------------------
# Render: model -> {output path: text}, no I/O
# ---------------------------------------------------------------------------------------------


def make_env(templates_dir: Path) -> jinja2.Environment:
    """Return the one Jinja environment: autoescaped, strict about undefined names."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["rfc_title"] = lambda number, rfcs: rfcs[number].title
    return env


def render_template(env: jinja2.Environment, name: str, out_path: str, **context: Any) -> str:
    """Render one template, turning template mistakes into a TemplateProblem with file:line."""
    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateSyntaxError as err:
        where = display_path(Path(err.filename)) if err.filename else f"templates/{name}"
        raise TemplateProblem(f"{where}:{err.lineno}: {err.message}") from None
    except jinja2.TemplateNotFound as err:
        raise TemplateProblem(f"templates/{name}:1: template '{err.name}' not found "
                              f"(rendering {out_path})") from None
    except jinja2.UndefinedError as err:
        raise TemplateProblem(f"{template_frame(err, name)}: {err.message} "
                              f"(rendering {out_path})") from None


def template_frame(err: BaseException, name: str) -> str:
    """Return 'templates/x.html:line' of the innermost template frame of a traceback."""
    location = f"templates/{name}:1"
    tb = err.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".html"):
            location = f"{display_path(Path(filename))}:{tb.tb_lineno}"
        tb = tb.tb_next
    return location


def page_context(content: Content, out_path: str, canonical_path: str | None = None) -> dict:
    """Return what every page needs: root prefix, site, classes, canonical URL."""
    depth = out_path.count("/")
    return {
        "root": "../" * depth,
        "site": content.site,
        "classes": content.classes,
        "page_path": out_path,
        "canonical": content.site.base_url + (canonical_path if canonical_path is not None
                                              else out_path),
    }


def codes_by_class(content: Content) -> dict[str, list[Code]]:
    """Return the codes grouped by class key, each group sorted by code."""
    groups: dict[str, list[Code]] = {key: [] for key in CLASS_KEYS}
    for number in sorted(content.codes):
        code = content.codes[number]
        groups[code.class_key].append(code)
    return groups


def mappings_for(content: Content, code: int) -> dict[str, list[Mapping]]:
    """Return the mapping rows that mention code, by direction."""
    rows: dict[str, list[Mapping]] = {direction: [] for direction in DIRECTIONS}
    for mapping in content.mappings:
        if mapping.code == code:
            rows[mapping.direction].append(mapping)
    return rows


def neighbours(content: Content, code: Code) -> tuple[Code | None, Code | None]:
    """Return the previous and next code pages, in numeric order."""
    numbers = sorted(content.codes)
    index = numbers.index(code.code)
    previous = content.codes[numbers[index - 1]] if index > 0 else None
    following = content.codes[numbers[index + 1]] if index + 1 < len(numbers) else None
    return previous, following


def render_code_page(env: jinja2.Environment, content: Content, code: Code) -> str:
    """Return the HTML of codes/<code>.html."""
    previous, following = neighbours(content, code)
    return render_template(
        env, "code.html", code.url, **page_context(content, code.url),
        code=code, code_class=content.classes[code.class_key],
        previous=previous, following=following,
        related=[(content.codes[r.code], r.note) for r in code.related],
        mappings=mappings_for(content, code.code), causes=content.causes,
        rfcs=content.rfcs, show_q850=code.code >= 400,
        x00=content.codes.get(code.code // 100 * 100),
    )


def build_search_index(content: Content) -> list[dict]:
    """Return one search entry per code, in code order; the same data feeds both index files."""
    return [
        {
            "code": code.code,
            "phrase": code.phrase,
            "class": code.class_key,
            "summary": code.summary,
            "status": code.status,
            "url": code.url,
            "aliases": [alias.phrase for alias in code.aliases],
            "keywords": list(code.keywords),
        }
        for code in (content.codes[n] for n in sorted(content.codes))
    ]


def render_search_files(content: Content) -> dict[str, str]:
    """Return search.json and search-index.js (the same data as a script, for file:// use)."""
    index = {"version": SEARCH_INDEX_VERSION, "content_version": content.site.version,
             "entries": build_search_index(content)}
    compact = json.dumps(index, ensure_ascii=False, separators=(",", ":"), sort_keys=False)
    # "</" inside a script would close it early; JSON allows "<\/".
    script = "window.SIP_SEARCH_INDEX=" + compact.replace("</", "<\\/") + ";\n"
    return {"search.json": compact + "\n", "search-index.js": script}


API_VERSION = 1


def code_record(content: Content, code: Code) -> dict:
    """Return the public JSON record of one code (codes.json, codes/<code>.json)."""
    reference = lambda ref: {"rfc": ref.rfc, "section": ref.section, "url": ref.url}  # noqa: E731
    return {
        "code": code.code,
        "phrase": code.phrase,
        "status": code.status,
        "class": code.class_key,
        "final": code.is_final,
        "summary": code.summary,
        "url": code.url,
        "page": content.site.base_url + code.url,
        "references": [reference(ref) for ref in code.references],
        "aliases": [{"phrase": a.phrase, "note": a.note} for a in code.aliases],
        "keywords": list(code.keywords),
        "description": code.description.markdown,
        "sent_by": code.sent_by.markdown,
        "causes": [cause.markdown for cause in code.causes],
        "what_to_do": code.what_to_do.markdown,
        "headers": [{"name": h.name, "requirement": h.requirement, "note": h.note,
                     "reference": reference(h.reference)} for h in code.headers],
        "example": code.example,
        "related": [{"code": r.code, "note": r.note} for r in code.related],
        "q850": [{"direction": m.direction, "cause": m.cause, "cause_name": content.causes[m.cause],
                  "note": m.note, "reference": reference(m.reference)}
                 for m in content.mappings if m.code == code.code],
    }


def render_code_records(content: Content) -> dict[str, str]:
    """Return codes.json (every code) and codes/<code>.json (one code each)."""
    dump = lambda data: json.dumps(data, ensure_ascii=False, indent=1) + "\n"  # noqa: E731
    header = {"version": API_VERSION, "content_version": content.site.version}
    records = [code_record(content, content.codes[n]) for n in sorted(content.codes)]
    files = {"codes.json": dump({**header, "codes": records})}
    for record in records:
        files[f"codes/{record['code']}.json"] = dump({**header, "code": record})
    return files


def render_sitemap(content: Content, pages: dict[str, str]) -> str:
    """Return sitemap.xml listing every HTML page but 404.html, with absolute URLs."""
    urls = [content.site.base_url + ("" if path == "index.html" else path)
            for path in sorted(pages) if path.endswith(".html") and path != "404.html"]
    entries = "".join(f"<url><loc>{escape(url)}</loc></url>\n" for url in urls)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            f"{entries}</urlset>\n")


def rfc_codes(content: Content) -> dict[int, dict[str, list[Code]]]:
    """Return, per RFC, the codes it defines (first reference) and the codes that cite it."""
    index: dict[int, dict[str, list[Code]]] = {
        n: {"defines": [], "cites": []} for n in sorted(content.rfcs)}
    for number in sorted(content.codes):
        code = content.codes[number]
        cited = {ref.rfc for ref in code.references} | {h.reference.rfc for h in code.headers}
        index[code.references[0].rfc]["defines"].append(code)
        for rfc in sorted(cited - {code.references[0].rfc}):
            index[rfc]["cites"].append(code)
    return index


def render_site(content: Content, env: jinja2.Environment) -> dict[str, str]:
    """Return every generated file of the site, keyed by its path inside the output folder."""
    groups = codes_by_class(content)
    pages: dict[str, str] = {
        "index.html": render_template(env, "index.html", "index.html",
                                      **page_context(content, "index.html", ""),
                                      groups=groups),
        "q850.html": render_template(env, "q850.html", "q850.html",
                                     **page_context(content, "q850.html"),
                                     causes=content.causes, mappings=content.mappings,
                                     codes=content.codes, directions=DIRECTIONS),
        "rfcs.html": render_template(env, "rfcs.html", "rfcs.html",
                                     **page_context(content, "rfcs.html"),
                                     rfcs=content.rfcs, rfc_codes=rfc_codes(content)),
    }
    for key in CLASS_KEYS:
        path = f"classes/{key}.html"
        pages[path] = render_template(env, "class.html", path, **page_context(content, path),
                                      code_class=content.classes[key], codes=groups[key])
    for number in sorted(content.codes):
        code = content.codes[number]
        pages[code.url] = render_code_page(env, content, code)
    pages["404.html"] = render_template(
        env, "404.html", "404.html", **page_context(content, "404.html"),
        base_path=urlsplit(content.site.base_url).path, codes=sorted(content.codes))
    pages["opensearch.xml"] = render_template(env, "opensearch.xml", "opensearch.xml",
                                              site=content.site)
    pages.update(render_search_files(content))
    pages.update(render_code_records(content))
    pages["sitemap.xml"] = render_sitemap(content, pages)
    pages["robots.txt"] = f"User-agent: *\nAllow: /\nSitemap: {content.site.base_url}sitemap.xml\n"
    return pages


# ---------------------------------------------------------------------------------------------
# Write: the only stage that touches the output folder
# ---------------------------------------------------------------------------------------------


def check_output_dir(out: Path, project: Path) -> None:
    """Refuse an output folder whose replacement would destroy sources."""
    out = out.resolve()
    protected = [project, project / "content", project / "templates", project / "tests",
                 Path.home().resolve(), Path("/").resolve()]
    for path in protected:
        if out == path or path.is_relative_to(out):
            raise BuildError(f"{display_path(out)}: refusing to build into this folder, it is "
                             f"or contains {display_path(path)}; choose another --out")
    if out.exists() and not out.is_dir():
        raise BuildError(f"{display_path(out)}: output path exists and is not a folder; "
                         "choose another --out")


def write_site(pages: dict[str, str], static_dir: Path, out: Path) -> int:
    """Write pages and static files into a fresh folder, swap it in for out atomically, and
    return the number of files written."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(out)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        for relative, text in sorted(pages.items()):
            target = (staging / relative).resolve()
            if not target.is_relative_to(staging):
                raise BuildError(f"{relative}: output path escapes the site folder")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8", newline="\n")
        if static_dir.is_dir():
            shutil.copytree(static_dir, staging / "static", dirs_exist_ok=True)
        os.chmod(staging, 0o755)
        written = sum(1 for path in staging.rglob("*") if path.is_file())
        swap_in(staging, out)
        return written
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def swap_in(staging: Path, out: Path) -> None:
    """Replace out with staging using renames, so readers never see a half-written site."""
    if not out.exists():
        staging.rename(out)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    retired.rmdir()
    out.rename(retired)
    staging.rename(out)
    shutil.rmtree(retired, ignore_errors=True)


def remove_leftovers(out: Path) -> None:
    """Delete staging and retired folders that a killed build left beside out."""
    for prefix in (f".{out.name}.tmp-", f".{out.name}.old-"):
        for leftover in out.parent.glob(prefix + "*"):
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Options:
    """The command line, parsed."""

    content: Path
    templates: Path
    out: Path
    base_url: str | None


def parse_args(argv: list[str] | None) -> Options:
    """Return the Options for argv."""
    parser = argparse.ArgumentParser(description="Build the SIP response code reference site.")
    parser.add_argument("--content", type=Path, default=ROOT / "content",
                        help="content folder (default: content/)")
    parser.add_argument("--templates", type=Path, default=ROOT / "templates",
                        help="templates folder (default: templates/)")
    parser.add_argument("--out", type=Path, default=ROOT / "site",
                        help="output folder, replaced on success (default: site/)")
    parser.add_argument("--base-url", default=None,
                        help="absolute URL the site is hosted at (default: from site.yaml)")
    args = parser.parse_args(argv)
    if args.base_url is not None and (error := base_url_error(args.base_url)):
        parser.error(error)
    return Options(args.content, args.templates, args.out, args.base_url)


def build(options: Options) -> int:
    """Build the site described by options and return the number of files written."""
    check_output_dir(options.out, ROOT)
    content = load_content(options.content, options.base_url)
    pages = render_site(content, make_env(options.templates))
    return write_site(pages, options.templates / "static", options.out)


def main(argv: list[str] | None = None) -> int:
    """Build site/ from content/ and templates/; return the exit status."""
    options = parse_args(argv)
    started = time.perf_counter()
    try:
        written = build(options)
    except BuildError as err:
        print(err, file=sys.stderr)
        return 1
    elapsed = time.perf_counter() - started
    print(f"{display_path(options.out)}: {written} files written in {elapsed:.2f} s",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
