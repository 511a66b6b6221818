"""Validate: plain data -> model objects, collecting every problem with its file and line.

In the order a value meets them: the Checker that records problems, Markdown fields turned into
safe HTML, each content file's validator, the checks between files, and load_content, which
reads and validates the whole content folder."""

from __future__ import annotations

import difflib
import functools
import html as html_entities
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import markdown
from markupsafe import Markup

from sipref.load import (
    SHOWN_LENGTH,
    UNPRINTABLE,
    escaped,
    file_stamp,
    find_code_files,
    find_guide_files,
    line_of,
    read_yaml,
    shown_text,
)
from sipref.model import (
    CLASS_KEYS,
    DIRECTIONS,
    METHODS,
    NEXT_ACTIONS,
    REQUIREMENTS,
    STATUSES,
    Alias,
    Checked,
    Code,
    CodeClass,
    Content,
    ContentError,
    Guide,
    GuideRow,
    GuideSection,
    HeaderRule,
    Location,
    Mapping,
    MethodMeaning,
    NextStep,
    Problem,
    Product,
    ProductCause,
    ProductResponse,
    ReasonProtocol,
    Reference,
    Related,
    Rfc,
    Site,
    Text,
    Topic,
    Variable,
    WarnCode,
    WarnRange,
    display_path,
    references_in,
)
from sipref.parallel import Runner, run_here

# ---------------------------------------------------------------------------------------------
# Recording problems
# ---------------------------------------------------------------------------------------------

# After this many problems of one kind in one file, the rest are counted, not listed: a file
# with 2,000 misspelt fields needs the first few to see the pattern, not 2,000 lines.
MAX_PROBLEMS_OF_A_KIND = 20


class Checker:
    """Collects the problems of one file; each check returns the value or None."""

    def __init__(self, path: Path, problems: list[Problem]) -> None:
        self.path = path
        self.problems = problems

    def fail(self, keys: tuple[str | int, ...], message: str) -> None:
        self.problems.append(Problem(display_path(self.path), line_of(self.path, keys), message))

    def fields(
        self,
        data: Any,
        keys: tuple[str | int, ...],
        required: Iterable[str],
        optional: Iterable[str],
        what: str,
    ) -> dict | None:
        """Check that data is a mapping with the required fields and no unknown ones."""
        if not isinstance(data, dict):
            self.fail(keys, f"{what} must be a mapping of fields, found {kind_of(data)}")
            return None
        required, allowed = list(required), set(required) | set(optional)
        for name in required:
            if name not in data:
                self.fail(keys, f"missing required field '{name}' in {what}; see content/README.md")
        for name in data:
            if name not in allowed:
                self.fail(
                    keys + (name,),
                    f"unknown field '{escaped(str(name)[:SHOWN_LENGTH])}' "
                    f"in {what} ({field_advice(str(name), allowed)})",
                )
        return data

    def text(
        self,
        data: dict,
        keys: tuple[str | int, ...],
        name: str,
        *,
        limit: int | None = None,
        one_line: bool = False,
    ) -> str | None:
        """Return data[name] if it is non-empty text within the limits."""
        if name not in data:
            return None
        value, where = data[name], keys + (name,)
        if not isinstance(value, str) or not value.strip():
            self.fail(where, f"'{name}' must be non-empty text, found {kind_of(value)}")
            return None
        value = value.strip()
        if one_line and "\n" in value:
            self.fail(
                where,
                f"'{name}' must be on one line, found a line break; "
                "use a folded scalar (>-) or one line",
            )
            return None
        if one_line and "\t" in value:
            self.fail(where, f"'{name}' must be one line of text, found a tab; use a space")
            return None
        if limit is not None and len(value) > limit:
            self.fail(
                where,
                f"'{name}' must be at most {limit} characters, found {len(value)}; shorten it",
            )
            return None
        return value

    def whole(
        self, data: dict, keys: tuple[str | int, ...], name: str, low: int, high: int
    ) -> int | None:
        """Return data[name] if it is a whole number in [low, high]."""
        if name not in data:
            return None
        value = data[name]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.fail(
                keys + (name,),
                f"'{name}' must be a whole number from {low} to {high}, found {shown_value(value)}",
            )
            return None
        return value

    def choice(
        self, data: dict, keys: tuple[str | int, ...], name: str, options: Iterable[str]
    ) -> str | None:
        """Return data[name] if it is one of options."""
        if name not in data:
            return None
        options = tuple(options)
        if data[name] not in options:
            self.fail(
                keys + (name,),
                f"'{name}' must be one of {', '.join(options)}, found {shown_value(data[name])}",
            )
            return None
        return data[name]

    def items(
        self, data: dict, keys: tuple[str | int, ...], name: str, allow_empty: bool = False
    ) -> list | None:
        """Return data[name] if it is a list (non-empty unless allowed)."""
        if name not in data:
            return None
        value = data[name]
        if not isinstance(value, list) or (not value and not allow_empty):
            need = "a list" if allow_empty else "a non-empty list"
            self.fail(keys + (name,), f"'{name}' must be {need}, found {kind_of(value)}")
            return None
        return value


def field_advice(name: str, allowed: set[str]) -> str:
    """Return "did you mean 'summary'?" for a near miss, else the allowed names."""
    # A name longer than any field cannot be a typo of one, and comparing it costs time
    # that grows with its length.
    hint = (
        difflib.get_close_matches(name, sorted(allowed), n=1) if len(name) <= SHOWN_LENGTH else []
    )
    return f"did you mean '{hint[0]}'?" if hint else "allowed: " + ", ".join(sorted(allowed))


def limit_problems(problems: list[Problem]) -> list[Problem]:
    """Return problems, keeping the first MAX_PROBLEMS_OF_A_KIND of each kind per file (in the
    order they were found) and one line saying how many more of that kind there are."""
    by_kind: dict[tuple[str, str], list[Problem]] = {}
    for problem in problems:
        by_kind.setdefault((problem.path, problem_kind(problem.message)), []).append(problem)
    kept = []
    for group in by_kind.values():
        kept += group[:MAX_PROBLEMS_OF_A_KIND]
        if len(group) > MAX_PROBLEMS_OF_A_KIND:
            first_hidden = group[MAX_PROBLEMS_OF_A_KIND]
            kept.append(
                Problem(
                    first_hidden.path,
                    first_hidden.line,
                    f"{len(group) - MAX_PROBLEMS_OF_A_KIND:,} more problems like the "
                    f"one at line {group[0].line} are not listed; fix those and "
                    "build again",
                )
            )
    return kept


# What varies between two problems of one kind: names, found values, numbers, hints.
VARYING_PARTS = re.compile(r"'[^']*'|\"[^\"]*\"|\([^)]*\)|\d+")


def problem_kind(message: str) -> str:
    """Return message with its names, values and numbers blanked out: what kind it is."""
    return VARYING_PARTS.sub("_", message)


def kind_of(value: Any) -> str:
    """Describe a YAML value's type in plain words."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"true/false ({str(value).lower()})"
    if isinstance(value, int):
        digits = str(value)
        shown = (
            digits
            if len(digits) <= SHOWN_LENGTH
            else f"{digits[:SHOWN_LENGTH]}…, {len(digits):,} digits"
        )
        return f"a number ({shown})"
    if isinstance(value, float):
        return f"a decimal number ({value})"
    if isinstance(value, str):
        return f"text {shown_text(value)}" if value.strip() else "empty text"
    if isinstance(value, list):
        return "an empty list" if not value else "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a value of type {type(value).__name__}"


def shown_value(value: Any) -> str:
    """Quote a found value for an error message."""
    return shown_text(value) if isinstance(value, str) else kind_of(value)


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
            check.fail(
                keys + ("section",),
                "'section' must look like \"21.4.25\" (digits and "
                f"dots), found {shown_value(fields.get('section'))}",
            )
            return None
    return Reference(rfc, section) if rfc is not None else None


# ---------------------------------------------------------------------------------------------
# Markdown fields
# ---------------------------------------------------------------------------------------------

EXTERNAL_HOSTS = (
    "www.rfc-editor.org",
    "rfc-editor.org",
    "www.iana.org",
    "iana.org",
    "datatracker.ietf.org",
)


class MarkdownRenderer:
    """Converts content Markdown to safe HTML with one reused converter, checking every link."""

    def __init__(self, known_codes: Iterable[int]) -> None:
        self.known_codes = frozenset(known_codes)
        self.plain = make_converter(fenced=False)
        self.fenced: markdown.Markdown | None = None  # made for the first text with a fence

    def converter(self, text: str) -> markdown.Markdown:
        """Return the converter for text: the fenced-code extension (and the syntax
        highlighter it imports) is loaded only for a text that has a fence."""
        if "```" not in text and "~~~" not in text:
            return self.plain
        if self.fenced is None:
            self.fenced = make_converter(fenced=True)
        return self.fenced

    def convert(self, text: str, code_prefix: str) -> tuple[Markup, list[str]]:
        """Return the HTML for text and the list of problems with its links and raw HTML."""
        problems = [
            f"raw HTML is not allowed ({found!r}); put it in backticks or write &lt;"
            for found in find_raw_html(text)
        ]
        if definition := REFERENCE_DEFINITION.search(CODE_SPANS.sub("", text)):
            problems.append(
                f"reference-style links are not supported, found "
                f"{definition.group(0).strip()!r}; write the link inline as "
                "[text](address)"
            )
        html = self.converter(text).reset().convert(text)
        problems += outline_problems(html)
        html, link_problems = rewrite_links(html, code_prefix, self.known_codes)
        return Markup(html), problems + link_problems


# Markdown would swallow "[name]: address" lines silently; they are refused instead.
REFERENCE_DEFINITION = re.compile(r"^ {0,3}\[[^\]\n]+\]:[^\n]*", re.M)


def make_converter(fenced: bool) -> markdown.Markdown:
    """Return a Markdown converter for content fields, with or without fenced code."""
    extensions = []
    if fenced:
        from markdown.extensions.fenced_code import FencedCodeExtension

        # An extension instance, not its name: a name is looked up through importlib.metadata,
        # which costs more than converting a whole page.
        extensions.append(FencedCodeExtension())
    md = markdown.Markdown(extensions=extensions, output_format="html")
    # Raw HTML is never passed through: with these removed, Markdown escapes it as text.
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    md.parser.blockprocessors.deregister("reference")  # see REFERENCE_DEFINITION
    # Syntax the fields do not use costs a regex search per text node: reference-style links
    # and images, and <name@host> mail links, are not part of content Markdown.
    for name in UNUSED_INLINE_PATTERNS:
        md.inlinePatterns.deregister(name)
    return md


UNUSED_INLINE_PATTERNS = (
    "reference",
    "short_reference",
    "image_reference",
    "short_image_ref",
    "automail",
)
# Elements Markdown can make that do not belong inside a field: the page owns the headings
# (its outline and anchors), and an image would be a request to another site.
OUTLINE_ELEMENT = re.compile(r"<(h[1-6]|hr|blockquote|img)\b([^>]*)>")
OUTLINE_RULES = {
    "h": (
        "headings (lines starting with #, or underlined with = or -)",
        "use **bold** text or a list instead",
    ),
    "hr": ("horizontal rules (---, ***)", "start a new paragraph instead"),
    "blockquote": ("block quotes (lines starting with >)", "quote in running text instead"),
    "img": ("images (![text](address))", "describe the picture in words"),
}


def outline_problems(html: str) -> list[str]:
    """Return a problem for each kind of element in html that a field must not contain."""
    problems: dict[str, str] = {}
    for element in OUTLINE_ELEMENT.finditer(html):
        tag, attributes = element.groups()
        what, advice = OUTLINE_RULES["h" if tag[1:].isdigit() else tag]
        if what in problems:
            continue  # one message per kind; the text of 35,000 more headings is not needed
        alt = re.search(r'alt="([^"]*)"', attributes)
        end = html.find("</", element.end())
        text = (
            alt.group(1)
            if alt
            else re.sub(r"<[^>]*>", "", html[element.end() : end if end >= 0 else len(html)])
        )
        found = "a rule" if tag == "hr" else repr(text.strip()[:40])
        problems[what] = f"{what} are not allowed in a Markdown field, found {found}; {advice}"
    return list(problems.values())


RAW_HTML = re.compile(r"<(?:/?[A-Za-z][A-Za-z0-9-]*(?=[\s/>])|!--|!|\?)")
CODE_SPANS = re.compile(r"```.*?```|`[^`\n]*`", re.S)


def find_raw_html(text: str) -> list[str]:
    """Return the first raw HTML opening in Markdown text (ignoring code), or nothing."""
    match = RAW_HTML.search(CODE_SPANS.sub("", text))
    return [match.group(0)] if match else []


HREF = re.compile(r'(href|src)="([^"]*)"')
# ASCII digits only: \d would let "٤٨٦.html" stand for 486.
CODE_LINK = re.compile(r"([0-9]{3})\.html(?:#([a-z0-9-]+))?")
# A link as the URL standard splits it: scheme, then for http(s) two slashes, the authority
# (up to the first /, ? or #) and the rest. Backslashes, spaces and controls, which browsers
# turn into slashes or drop before splitting, are refused before this is used.
ABSOLUTE_LINK = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*):(?P<slashes>//)?"
    r"(?P<authority>[^/?#]*)(?P<rest>.*)",
    re.S,
)
BROWSER_CHANGED = re.compile(r"[\s\\]|" + UNPRINTABLE.pattern)
SECTION_IDS = (
    "summary",
    "description",
    "sent-by",
    "causes",
    "what-to-do",
    "headers",
    "example",
    "related",
    "q850",
    "references",
)


def rewrite_links(
    html: str, code_prefix: str, known_codes: frozenset[int]
) -> tuple[str, list[str]]:
    """Point code links (NNN.html) at the page being rendered; list broken or forbidden links."""
    problems: list[str] = []

    def fix(match: re.Match[str]) -> str:
        attribute, target = match.group(1), match.group(2)
        link = html_entities.unescape(target)  # as a browser reads the attribute: &#92; is \\
        shown = escaped(link if len(link) <= 2 * SHOWN_LENGTH else link[: 2 * SHOWN_LENGTH] + "…")
        if "&#" in target:  # Python drops &#27; where a browser keeps the character
            problems.append(
                f"link to '{escaped(target[: 2 * SHOWN_LENGTH])}' has a character "
                "reference (&#…;) in it; write the character itself"
            )
            return match.group(0)
        if code_link := CODE_LINK.fullmatch(link):
            number, anchor = int(code_link.group(1)), code_link.group(2)
            if number not in known_codes:
                problems.append(
                    f"link to '{shown}': code {number} has no page; link an existing code"
                )
            elif anchor is not None and anchor not in SECTION_IDS:
                problems.append(
                    f"link to '{shown}': '#{anchor}' is not a section of a code "
                    f"page; use one of {', '.join(SECTION_IDS)}"
                )
            return f'{attribute}="{code_prefix}{target}"'
        if refusal := external_link_problem(link):
            problems.append(f"link to '{shown}' {refusal}")
        return match.group(0)

    return HREF.sub(fix, html), problems


ALLOWED_LINKS = (
    "link a code as NNN.html or an RFC at https://www.rfc-editor.org/ "
    f"({', '.join(EXTERNAL_HOSTS)})"
)


def external_link_problem(link: str) -> str | None:
    """Return why link is not an allowed link to another site, or None if it is one.

    The link is read the way the URL standard (and so every browser) reads it, and anything
    a browser would read differently from what it looks like is refused outright: a
    backslash (a slash in http links, so evil.example\\@www.rfc-editor.org goes to
    evil.example), spaces, tabs and line breaks (dropped), a user name before an @, a link
    with no scheme. Scheme and host compare in lowercase, as browsers write them."""
    if BROWSER_CHANGED.search(link):
        return (
            "has a backslash, a space, a tab, a line break or a control character in it, "
            "which browsers change or drop; write the address without them"
        )
    if link.startswith("//"):
        return "has no scheme; write the address in full, starting with https://"
    parts = ABSOLUTE_LINK.fullmatch(link)
    if parts is None or parts["scheme"].lower() not in ("http", "https") or not parts["slashes"]:
        return f"is not allowed; {ALLOWED_LINKS}"
    if "@" in parts["authority"]:
        return "has a user name (the part before @) in it; remove it and link the site itself"
    if parts["authority"].lower() not in EXTERNAL_HOSTS:
        return f"is not allowed; {ALLOWED_LINKS}"
    return None


def check_markdown(
    check: Checker,
    renderer: MarkdownRenderer,
    data: dict,
    keys: tuple[str | int, ...],
    name: str,
    code_prefix: str,
) -> Text | None:
    """Return the rendered HTML of a Markdown text field, reporting raw HTML and bad links."""
    text = check.text(data, keys, name)
    return markdown_value(check, renderer, text, keys + (name,), code_prefix)


def markdown_value(
    check: Checker,
    renderer: MarkdownRenderer,
    text: str | None,
    where: tuple[str | int, ...],
    code_prefix: str,
) -> Text | None:
    """Render one Markdown string, reporting its problems at where."""
    if text is None:
        return None
    html, problems = renderer.convert(text, code_prefix)
    for problem in problems:
        check.fail(where, problem)
    return None if problems else Text(text, html)


# ---------------------------------------------------------------------------------------------
# Content files
# ---------------------------------------------------------------------------------------------

SUMMARY_LIMIT = 200
LOCATIONS_SOURCE = Reference(8606, "4")
# RFCs every code page cites in text of its own (the header and Q.850 sections).
PAGE_RFCS = (3261, 3398, 4497, 6432)


# ---------------------------------------------------------------------------------------------
# Validate: plain data -> model objects, collecting every problem
# ---------------------------------------------------------------------------------------------


CODE_FIELDS = (
    "code",
    "phrase",
    "status",
    "summary",
    "next_step",
    "references",
    "description",
    "sent_by",
    "causes",
    "what_to_do",
    "headers",
    "example",
    "related",
)
OPTIONAL_CODE_FIELDS = ("aliases", "keywords", "checked", "methods")
NEXT_STEP_RULE_LIMIT = 600


def validate_code(
    path: Path, data: Any, renderer: MarkdownRenderer, problems: list[Problem]
) -> Code | None:
    """Return a Code built from one file's data, or None after recording its problems."""
    check = Checker(path, problems)
    before = len(problems)
    fields = check.fields(data, (), CODE_FIELDS, OPTIONAL_CODE_FIELDS, "a code file")
    if fields is None:
        return None
    code = check.whole(fields, (), "code", 100, 699)
    if code is not None and path.stem != str(code):
        check.fail(
            ("code",),
            f"'code' is {code} but the file is named {path.name}; "
            f"rename the file to {code}.yaml or fix the code",
        )
    phrase = check.text(fields, (), "phrase", limit=80, one_line=True)
    status = check.choice(fields, (), "status", STATUSES)
    summary = check.text(fields, (), "summary", limit=SUMMARY_LIMIT, one_line=True)
    references = check_list(check, fields, "references", check_reference)
    aliases = check_list(check, fields, "aliases", check_alias, allow_empty=True)
    keywords = check_keywords(check, fields)
    markdown_fields = {
        name: check_markdown(check, renderer, fields, (), name, "")
        for name in ("description", "sent_by", "what_to_do")
    }
    causes = check_causes(check, renderer, fields)
    next_step = (
        check_next_step(check, renderer, fields["next_step"]) if "next_step" in fields else None
    )  # missing: reported by check.fields
    methods = check_list(
        check, fields, "methods", lambda c, item, keys: check_method(c, renderer, item, keys)
    )
    check_repeated_methods(check, methods or [])
    headers = check_list(check, fields, "headers", check_header, allow_empty=True)
    check_repeated_headers(check, headers or [])
    example = check_example(check, fields, code, phrase)
    related = check_list(check, fields, "related", check_related)
    checked = check_checked(check, fields["checked"]) if "checked" in fields else None
    if len(problems) > before:
        return None
    return Code(
        code=code,
        phrase=phrase,
        status=status,
        summary=summary,
        references=tuple(references),
        aliases=tuple(aliases or ()),
        keywords=tuple(keywords or ()),
        causes=tuple(causes),
        next_step=next_step,
        methods=tuple(methods or ()),
        headers=tuple(headers),
        example=example,
        related=tuple(related),
        checked=checked,
        source=path,
        **markdown_fields,
    )


def check_list(
    check: Checker, data: dict, name: str, check_item: Any, allow_empty: bool = False
) -> list | None:
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
    fields = check.fields(
        data, keys, ["name", "requirement", "rfc"], ["section", "note"], "a header rule"
    )
    if fields is None:
        return None
    name = check.text(fields, keys, "name", limit=80, one_line=True)
    requirement = check.choice(fields, keys, "requirement", REQUIREMENTS)
    reference = check_reference(
        check, {k: v for k, v in fields.items() if k in ("rfc", "section")}, keys
    )
    note = check.text(fields, keys, "note", limit=300, one_line=True) if "note" in fields else ""
    if None in (name, requirement, reference, note):
        return None
    return HeaderRule(name, requirement, reference, note)


def check_repeated_headers(check: Checker, headers: list[HeaderRule]) -> None:
    """A header listed twice must say in each row when that row applies: two levels for one
    header with nothing to tell them apart contradict each other."""
    notes: dict[str, list[str]] = {}
    for index, header in enumerate(headers):
        seen = notes.setdefault(header.name, [])
        if seen and (not header.note or not seen[0] or header.note in seen):
            check.fail(
                ("headers", index, "name"),
                f"header '{header.name}' is listed again; "
                "give each of its rows a note saying when that row applies, or merge "
                "them",
            )
        seen.append(header.note)


def check_related(check: Checker, data: Any, keys: tuple[str | int, ...]) -> Related | None:
    """Return a Related from {code, note}; whether the code exists is checked later."""
    fields = check.fields(data, keys, ["code", "note"], [], "a related code")
    if fields is None:
        return None
    code = check.whole(fields, keys, "code", 100, 699)
    note = check.text(fields, keys, "note", limit=300, one_line=True)
    return Related(code, note) if code is not None and note else None


def check_checked(check: Checker, data: Any) -> Checked | None:
    """Return a Checked from {month: "YYYY-MM", against: [{rfc, section?} | {source}]}."""
    keys: tuple[str | int, ...] = ("checked",)
    fields = check.fields(data, keys, ["month", "against"], [], "'checked'")
    if fields is None:
        return None
    month = fields.get("month")
    if not (isinstance(month, str) and re.fullmatch(r"20\d\d-(0[1-9]|1[0-2])", month)):
        check.fail(
            keys + ("month",),
            "'month' must be the month of the check as YYYY-MM "
            f"(in quotes), found {shown_value(month)}",
        )
        month = None
    items = check.items(fields, keys, "against")
    references, sources = [], []
    for index, item in enumerate(items or ()):
        where = keys + ("against", index)
        if isinstance(item, dict) and "source" in item:
            if check.fields(item, where, ["source"], [], "a product source") is not None and (
                source := check.text(item, where, "source", limit=120, one_line=True)
            ):
                sources.append(source)
            else:
                month = None
        elif (reference := check_reference(check, item, where)) is not None:
            references.append(reference)
        else:
            month = None
    if month is None or items is None:
        return None
    return Checked(month, tuple(references), tuple(sources))


def check_next_step(check: Checker, renderer: MarkdownRenderer, data: Any) -> NextStep | None:
    """Return a NextStep from {action, rule, references}."""
    keys: tuple[str | int, ...] = ("next_step",)
    fields = check.fields(data, keys, ["action", "rule", "references"], [], "'next_step'")
    if fields is None:
        return None
    action = check.choice(fields, keys, "action", tuple(NEXT_ACTIONS))
    rule = check.text(fields, keys, "rule", limit=NEXT_STEP_RULE_LIMIT)
    html = markdown_value(check, renderer, rule, keys + ("rule",), "") if rule else None
    items = check.items(fields, keys, "references")
    references = [
        check_reference(check, item, keys + ("references", index))
        for index, item in enumerate(items or ())
    ]
    if None in (action, html, items) or None in references:
        return None
    return NextStep(action, html, tuple(references))


def check_method(
    check: Checker, renderer: MarkdownRenderer, data: Any, keys: tuple[str | int, ...]
) -> MethodMeaning | None:
    """Return a MethodMeaning from {method, meaning}."""
    fields = check.fields(data, keys, ["method", "meaning"], [], "a method")
    if fields is None:
        return None
    method = check.choice(fields, keys, "method", tuple(METHODS))
    meaning = check_markdown(check, renderer, fields, keys, "meaning", "")
    return MethodMeaning(method, meaning) if method and meaning else None


def check_repeated_methods(check: Checker, methods: list[MethodMeaning]) -> None:
    """Each method is one anchor on the page, so it is explained once."""
    seen: set[str] = set()
    for index, method in enumerate(methods):
        if method.method in seen:
            check.fail(
                ("methods", index, "method"),
                f"method '{method.method}' is listed twice; merge the two into one",
            )
        seen.add(method.method)


def check_keywords(check: Checker, data: dict) -> list[str] | None:
    """Return the keywords list: short lowercase texts."""
    items = check.items(data, (), "keywords", allow_empty=True)
    if items is None:
        return None
    for index, word in enumerate(items):
        if not isinstance(word, str) or not word.strip() or word != word.lower() or len(word) > 40:
            check.fail(
                ("keywords", index),
                "each keyword must be lowercase text of at most "
                f"40 characters, found {shown_value(word)}",
            )
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
            check.fail(
                ("causes", index), f"each cause must be non-empty text, found {kind_of(item)}"
            )
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
        check.fail(
            ("example",),
            f"'example' must start with the status line "
            f'"SIP/2.0 {code} {phrase}", found "{status_line[:60]}"',
        )
        return None
    return example


GUIDE_FIELDS = ("title", "summary", "intro", "codes", "which_to_send")
OPTIONAL_GUIDE_FIELDS = ("sections", "checked")
CODE_LINKS_FROM_GUIDES = "../codes/"  # a guide's [486](486.html) goes to the code page


def validate_guide(
    path: Path, data: Any, renderer: MarkdownRenderer, problems: list[Problem]
) -> Guide | None:
    """Return a Guide built from one file's data, or None after recording its problems."""
    check = Checker(path, problems)
    before = len(problems)
    fields = check.fields(data, (), GUIDE_FIELDS, OPTIONAL_GUIDE_FIELDS, "a guide")
    if fields is None:
        return None
    title = check.text(fields, (), "title", limit=90, one_line=True)
    summary = check.text(fields, (), "summary", limit=SUMMARY_LIMIT, one_line=True)
    intro = check_markdown(check, renderer, fields, (), "intro", CODE_LINKS_FROM_GUIDES)
    rows = check_list(check, fields, "codes", check_guide_row)
    seen: set[int] = set()
    for index, row in enumerate(rows or ()):
        if row.code in seen:
            check.fail(("codes", index, "code"), f"code {row.code} is compared twice; keep one row")
        seen.add(row.code)
    sections = check_list(
        check,
        fields,
        "sections",
        lambda c, item, keys: check_guide_section(c, renderer, item, keys),
    )
    steps = check.items(fields, (), "which_to_send")
    which = [
        markdown_value(
            check,
            renderer,
            step.strip() if isinstance(step, str) else None,
            ("which_to_send", index),
            CODE_LINKS_FROM_GUIDES,
        )
        for index, step in enumerate(steps or ())
    ]
    checked = check_checked(check, fields["checked"]) if "checked" in fields else None
    if len(problems) > before or None in which:
        return None
    return Guide(
        slug=path.stem,
        title=title,
        summary=summary,
        intro=intro,
        rows=tuple(rows),
        sections=tuple(sections or ()),
        which_to_send=tuple(which),
        checked=checked,
        source=path,
    )


def check_guide_row(check: Checker, data: Any, keys: tuple[str | int, ...]) -> GuideRow | None:
    """Return a GuideRow from {code, sent_by, tells_caller}; the code's page is checked later."""
    fields = check.fields(data, keys, ["code", "sent_by", "tells_caller"], [], "a guide row")
    if fields is None:
        return None
    code = check.whole(fields, keys, "code", 100, 699)
    sent_by = check.text(fields, keys, "sent_by", limit=160, one_line=True)
    tells = check.text(fields, keys, "tells_caller", limit=160, one_line=True)
    return GuideRow(code, sent_by, tells) if None not in (code, sent_by, tells) else None


def check_guide_section(
    check: Checker,
    renderer: MarkdownRenderer,
    data: Any,
    keys: tuple[str | int, ...],
    code_prefix: str = CODE_LINKS_FROM_GUIDES,
) -> GuideSection | None:
    """Return a GuideSection from {heading, text}."""
    fields = check.fields(data, keys, ["heading", "text"], [], "a guide section")
    if fields is None:
        return None
    heading = check.text(fields, keys, "heading", limit=60, one_line=True)
    text = check_markdown(check, renderer, fields, keys, "text", code_prefix)
    return GuideSection(heading, text) if heading and text else None


CAUSE_NAME = re.compile(r"^[A-Z][A-Z0-9_]{1,40}$")
UNLISTED_KEYS = ("1xx", "2xx", "3xx", "4xx", "5xx", "6xx", "other")


def validate_product(
    path: Path, data: Any, renderer: MarkdownRenderer, problems: list[Problem]
) -> Product | None:
    """Return a Product from content/<product>.yaml: its causes both ways, defaults and notes."""
    check = Checker(path, problems)
    before = len(problems)
    fields = check.fields(
        data,
        (),
        [
            "product",
            "read_from",
            "sends_for_unlisted_cause",
            "cause_for_unlisted_response",
            "causes",
            "responses",
        ],
        ["name_prefix", "about", "runtime", "variables"],
        "a product file",
    )
    if fields is None:
        return None
    name = check.text(fields, (), "product", limit=40, one_line=True)
    prefix = fields.get("name_prefix", "")
    if prefix and not (isinstance(prefix, str) and CAUSE_NAME.match(prefix)):
        check.fail(
            ("name_prefix",),
            "'name_prefix' must be capital letters, digits and "
            f"underscores (AST_CAUSE_), found {shown_value(prefix)}",
        )
    read_from = check_list(check, fields, "read_from", check_source_read)
    default_code = check.whole(fields, (), "sends_for_unlisted_cause", 100, 699)
    about = (
        check_markdown(check, renderer, fields, (), "about", "codes/")
        if "about" in fields
        else None
    )
    causes = check_list(check, fields, "causes", check_product_cause)
    names: dict[str, int] = {}
    for index, cause in enumerate(causes or ()):
        for label in (cause.name, *cause.aliases):
            if label in names:
                check.fail(("causes", index, "name"), f"cause name {label} is used twice; keep one")
            names[label] = index
    unlisted = fields.get("cause_for_unlisted_response")
    where = ("cause_for_unlisted_response",)
    if not isinstance(unlisted, dict) or "other" not in unlisted:
        check.fail(
            where,
            "'cause_for_unlisted_response' must map class keys (4xx …) and "
            f"'other' to a cause name, found {shown_value(unlisted)}",
        )
        unlisted = {}
    known = causes is not None  # else the causes' own problems are the ones to report
    for key, cause_name in unlisted.items():
        if key not in UNLISTED_KEYS:
            check.fail(
                where + (key,),
                f"'{escaped(str(key))}' is not a class key; use one of {', '.join(UNLISTED_KEYS)}",
            )
        elif known and cause_name not in names:
            check.fail(where + (key,), f"cause {shown_value(cause_name)} is not in 'causes'")
    responses = check_list(check, fields, "responses", check_product_response)
    seen: set[int] = set()
    for index, row in enumerate(responses or ()):
        for label in (row.cause, row.chan_sip_cause):
            if known and label is not None and label not in names:
                check.fail(("responses", index, "cause"), f"cause {label} is not in 'causes'")
        if row.code in seen:
            check.fail(("responses", index, "code"), f"code {row.code} is listed twice")
        seen.add(row.code)
    runtime = check_markdown_items(check, renderer, fields, "runtime")
    variables = check_list(
        check, fields, "variables", lambda c, item, keys: check_variable(c, renderer, item, keys)
    )
    if len(problems) > before:
        return None
    # An alias names the same cause: rows may use either, the page shows the main name.
    main = {label: causes[index].name for label, index in names.items()}
    return Product(
        key=path.stem,
        name=name,
        name_prefix=prefix,
        read_from=tuple(read_from),
        about=about,
        default_code=default_code,
        unlisted={key: main[value] for key, value in unlisted.items()},
        causes=tuple(causes),
        responses=tuple(
            ProductResponse(r.code, main[r.cause], r.chan_sip_cause and main[r.chan_sip_cause])
            for r in responses
        ),
        runtime=tuple(runtime or ()),
        variables=tuple(variables or ()),
        source=path,
    )


def check_source_read(check: Checker, data: Any, keys: tuple[str | int, ...]) -> str | None:
    """Return "repository at commit: files" from {source, files}."""
    fields = check.fields(data, keys, ["source", "files"], [], "a source read")
    if fields is None:
        return None
    source = check.text(fields, keys, "source", limit=120, one_line=True)
    files = check.text(fields, keys, "files", limit=400, one_line=True)
    return f"{source}: {files}" if source and files else None


def check_product_cause(
    check: Checker, data: Any, keys: tuple[str | int, ...]
) -> ProductCause | None:
    """Return a ProductCause from one row of a product's causes."""
    fields = check.fields(
        data,
        keys,
        ["name", "number", "reason"],
        ["aliases", "printed", "description", "sends", "chan_sip_sends", "reported_as"],
        "a cause",
    )
    if fields is None:
        return None
    before = len(check.problems)
    name = check_cause_name(check, fields.get("name"), keys + ("name",))
    aliases = [
        check_cause_name(check, alias, keys + ("aliases", index))
        for index, alias in enumerate(check.items(fields, keys, "aliases") or ())
    ]
    number = check.whole(fields, keys, "number", 0, 999)
    printed = check.text(fields, keys, "printed", limit=60, one_line=True) or ""
    description = check.text(fields, keys, "description", limit=120, one_line=True) or ""
    sends, chan_sip, reported = (
        check.whole(fields, keys, key, low, high) if key in fields else None
        for key, low, high in (
            ("sends", 100, 699),
            ("chan_sip_sends", 100, 699),
            ("reported_as", 0, 127),
        )
    )
    reason = fields.get("reason")
    reasons = [reason] if isinstance(reason, str) else reason
    if not (
        isinstance(reasons, list)
        and reasons
        and all(isinstance(value, str) and REASON_VALUE.match(value) for value in reasons)
    ):
        check.fail(
            keys + ("reason",),
            "'reason' must be the Reason header value, or a list of "
            'them, as PROTOCOL;cause=N[;text="…"], found ' + shown_value(reason),
        )
    if len(check.problems) > before:
        return None
    return ProductCause(
        name,
        number,
        tuple(aliases),
        printed,
        description,
        sends,
        chan_sip,
        reported,
        tuple(reasons),
    )


REASON_VALUE = re.compile(r'^[A-Za-z0-9.\-]+;cause=\d+(;text="[^"\\]*")?$')


def check_cause_name(check: Checker, value: Any, where: tuple[str | int, ...]) -> str | None:
    """Return value if it is a cause name as products write them: USER_BUSY."""
    if isinstance(value, str) and CAUSE_NAME.match(value):
        return value
    check.fail(
        where,
        "a cause name must be capital letters, digits and underscores, as "
        f"the product writes it (USER_BUSY), found {shown_value(value)}",
    )
    return None


def check_product_response(
    check: Checker, data: Any, keys: tuple[str | int, ...]
) -> ProductResponse | None:
    """Return a ProductResponse from {code, cause, chan_sip_cause?}."""
    fields = check.fields(data, keys, ["code", "cause"], ["chan_sip_cause"], "a response row")
    if fields is None:
        return None
    code = check.whole(fields, keys, "code", 100, 699)
    cause = check_cause_name(check, fields.get("cause"), keys + ("cause",))
    chan_sip = (
        check_cause_name(check, fields["chan_sip_cause"], keys + ("chan_sip_cause",))
        if "chan_sip_cause" in fields
        else None
    )
    if code is None or cause is None or ("chan_sip_cause" in fields and chan_sip is None):
        return None
    return ProductResponse(code, cause, chan_sip)


def check_variable(
    check: Checker, renderer: MarkdownRenderer, data: Any, keys: tuple[str | int, ...]
) -> Variable | None:
    """Return a Variable from {name, meaning}."""
    fields = check.fields(data, keys, ["name", "meaning"], [], "a variable")
    if fields is None:
        return None
    name = check.text(fields, keys, "name", limit=60, one_line=True)
    meaning = check_markdown(check, renderer, fields, keys, "meaning", "codes/")
    return Variable(name, meaning) if name and meaning else None


def check_markdown_items(
    check: Checker, renderer: MarkdownRenderer, data: dict, name: str
) -> list | None:
    """Return an optional list of Markdown items, rendered."""
    items = check.items(data, (), name) if name in data else []
    if items is None:
        return None
    rendered = [
        markdown_value(
            check,
            renderer,
            item.strip() if isinstance(item, str) else None,
            (name, index),
            "codes/",
        )
        for index, item in enumerate(items)
    ]
    return None if None in rendered else rendered


def validate_warn_codes(
    path: Path, data: Any, renderer: MarkdownRenderer, problems: list[Problem]
) -> tuple:
    """Return the warn-code ranges, the warn-codes and the page from warn-codes.yaml."""
    check = Checker(path, problems)
    fields = check.fields(
        data, (), ["title", "summary", "ranges", "codes"], ["sections"], "warn-codes.yaml"
    )
    if fields is None:
        return (), {}, None
    ranges = []
    for index, item in enumerate(check.items(fields, (), "ranges") or ()):
        keys = ("ranges", index)
        row = check.fields(item, keys, ["first", "last", "name", "rfc"], ["section"], "a range")
        if row is None:
            continue
        first, last = (
            check.whole(row, keys, "first", 300, 399),
            check.whole(row, keys, "last", 300, 399),
        )
        name = check.text(row, keys, "name", limit=80, one_line=True)
        reference = check_reference(
            check, {k: row[k] for k in ("rfc", "section") if k in row}, keys
        )
        if None not in (first, last, name, reference):
            ranges.append(WarnRange(first, last, name, reference))
    codes: dict[int, WarnCode] = {}
    for index, item in enumerate(check.items(fields, (), "codes") or ()):
        keys = ("codes", index)
        row = check.fields(
            item, keys, ["code", "text", "rfc", "meaning"], ["section", "used_with"], "a warn-code"
        )
        if row is None:
            continue
        code = check.whole(row, keys, "code", 300, 399)
        text = check.text(row, keys, "text", limit=80, one_line=True)
        reference = check_reference(
            check, {k: row[k] for k in ("rfc", "section") if k in row}, keys
        )
        meaning = check.text(row, keys, "meaning", limit=300, one_line=True)
        used_with = (
            check_markdown(check, renderer, row, keys, "used_with", "codes/")
            if "used_with" in row
            else None
        )
        if code in codes:
            check.fail(keys + ("code",), f"warn-code {code} is listed twice; keep one")
        elif None not in (code, text, reference, meaning) and (
            "used_with" not in row or used_with is not None
        ):
            if not any(r.first <= code <= r.last for r in ranges):
                check.fail(keys + ("code",), f"warn-code {code} is in none of the 'ranges'")
            codes[code] = WarnCode(code, text, reference, meaning, used_with)
    return tuple(ranges), codes, validate_topic(check, "warning", path, fields, renderer)


def validate_topic(
    check: Checker, key: str, path: Path, fields: dict, renderer: MarkdownRenderer
) -> Topic | None:
    """Return the Topic (title, summary, sections) a reference page file describes."""
    title = check.text(fields, (), "title", limit=90, one_line=True)
    summary = check.text(fields, (), "summary", limit=SUMMARY_LIMIT, one_line=True)
    sections = check_list(
        check,
        fields,
        "sections",
        lambda c, item, keys: check_guide_section(c, renderer, item, keys, "codes/"),
    )
    if None in (title, summary) or ("sections" in fields and sections is None):
        return None
    return Topic(key, title, summary, tuple(sections or ()), path)


def validate_reason(
    path: Path, data: Any, renderer: MarkdownRenderer, problems: list[Problem]
) -> tuple:
    """Return the Reason protocols, the RFC 8606 locations and the page from reason.yaml."""
    check = Checker(path, problems)
    fields = check.fields(
        data, (), ["title", "summary", "protocols", "locations"], ["sections"], "reason.yaml"
    )
    if fields is None:
        return (), (), None
    protocols = []
    for index, item in enumerate(check.items(fields, (), "protocols") or ()):
        keys = ("protocols", index)
        row = check.fields(
            item,
            keys,
            ["value", "cause", "registered_by", "means"],
            ["rfc", "section"],
            "a protocol",
        )
        if row is None:
            continue
        value = check.text(row, keys, "value", limit=30, one_line=True)
        cause = check.text(row, keys, "cause", limit=160, one_line=True)
        registered_by = check.text(row, keys, "registered_by", limit=80, one_line=True)
        means = check.text(row, keys, "means", limit=300, one_line=True)
        reference = (
            check_reference(check, {k: row[k] for k in ("rfc", "section") if k in row}, keys)
            if "rfc" in row
            else None
        )
        if None not in (value, cause, registered_by, means) and (
            "rfc" not in row or reference is not None
        ):
            protocols.append(ReasonProtocol(value, cause, registered_by, reference, means))
    locations = []
    for index, item in enumerate(check.items(fields, (), "locations") or ()):
        keys = ("locations", index)
        row = check.fields(item, keys, ["token", "bits", "meaning"], [], "a location")
        if row is None:
            continue
        token = check.text(row, keys, "token", limit=10, one_line=True)
        bits = row.get("bits")
        if not (isinstance(bits, str) and re.fullmatch(r"[01]{4}", bits)):
            check.fail(
                keys + ("bits",),
                "'bits' must be four binary digits in quotes, found " + shown_value(bits),
            )
            bits = None
        meaning = check.text(row, keys, "meaning", limit=80, one_line=True)
        if None not in (token, bits, meaning):
            locations.append(Location(token, bits, meaning))
    return (
        tuple(protocols),
        tuple(locations),
        validate_topic(check, "reason", path, fields, renderer),
    )


def validate_class(
    path: Path, key: str, data: Any, renderer: MarkdownRenderer, problems: list[Problem]
) -> CodeClass | None:
    """Return a CodeClass from one entry of classes.yaml."""
    check = Checker(path, problems)
    before = len(problems)
    fields = check.fields(
        data, (key,), ["name", "summary", "description"], ["other_names"], f"class {key}"
    )
    if fields is None:
        return None
    name = check.text(fields, (key,), "name", limit=40, one_line=True)
    other_names = []
    for index, item in enumerate(check.items(fields, (key,), "other_names") or ()):
        row = check.fields(item, (key, "other_names", index), ["name", "note"], [], "another name")
        if row is not None:
            other_names.append(
                Alias(
                    check.text(row, (key, "other_names", index), "name", limit=40, one_line=True),
                    check.text(row, (key, "other_names", index), "note", limit=200, one_line=True),
                )
            )
    summary = check.text(fields, (key,), "summary", limit=SUMMARY_LIMIT, one_line=True)
    description = check_markdown(check, renderer, fields, (key,), "description", "../codes/")
    if len(problems) > before:
        return None
    return CodeClass(key, name, tuple(other_names), summary, description)


def validate_classes(
    path: Path, data: Any, renderer: MarkdownRenderer, problems: list[Problem]
) -> dict[str, CodeClass]:
    """Return the six classes from classes.yaml."""
    check = Checker(path, problems)
    fields = check.fields(data, (), CLASS_KEYS, (), "classes.yaml")
    if fields is None:
        return {}
    classes = {
        key: validate_class(path, key, fields[key], renderer, problems)
        for key in CLASS_KEYS
        if key in fields
    }
    return {key: value for key, value in classes.items() if value is not None}


def validate_site(
    path: Path, data: Any, base_url: str | None, problems: list[Problem]
) -> Site | None:
    """Return the Site settings, with base_url overridden by --base-url when given."""
    check = Checker(path, problems)
    fields = check.fields(
        data, (), ["title", "description", "version", "date"], ["base_url"], "site.yaml"
    )
    if fields is None:
        return None
    title = check.text(fields, (), "title", limit=80, one_line=True)
    description = check.text(fields, (), "description", limit=SUMMARY_LIMIT, one_line=True)
    version = fields.get("version")
    if not isinstance(version, str) or not re.fullmatch(r"[0-9A-Za-z.+-]{1,40}", version):
        check.fail(
            ("version",),
            "'version' must be text such as \"2026.11.1\" (letters, "
            f"digits, dots, plus and minus), found {shown_value(version)}",
        )
        version = None
    date = fields.get("date")
    date = date.isoformat() if hasattr(date, "isoformat") else date
    if "date" in fields and not (isinstance(date, str) and re.fullmatch(r"\d{4}-\d\d-\d\d", date)):
        check.fail(
            ("date",), f"'date' must be the content date as YYYY-MM-DD, found {shown_value(date)}"
        )
        date = None
    url = check.text(fields, (), "base_url", one_line=True)
    if url is not None and (error := base_url_error(url)):
        check.fail(("base_url",), error)
        url = None
    if None in (title, description, version, date) or ("base_url" in fields and url is None):
        return None
    chosen = base_url or url  # none: the build writes no absolute URL rather than invent one
    return Site(title, description, normalise_base_url(chosen) if chosen else None, version, date)


# The base URLs every parser reads alike (WHATWG URL, urllib, a shell): a scheme, a host name
# or IPv6 literal, a port, a path of plain characters; no user name, backslash or space.
BASE_URL = re.compile(
    r"(?P<scheme>https?)://(?P<host>[a-z0-9.-]+|\[[0-9a-f:.]+\])"
    r"(?::(?P<port>[0-9]{1,5}))?(?P<path>/[A-Za-z0-9._~%/+-]*)?",
    re.I,
)


def base_url_error(url: str) -> str | None:
    """Return why url is not a usable base URL, or None."""
    found = shown_text(url, 80)
    if "?" in url or "#" in url:
        return (
            f"base URL must not have a query (?) or fragment (#), found {found}; give the "
            "address of the folder the site is served from, such as https://example.org/sip/"
        )
    match = BASE_URL.fullmatch(url)
    if match is None or not match["host"].strip(".") or int(match["port"] or 0) > 65535:
        return (
            f"base URL must be an absolute http(s) URL such as https://example.org/sip/, "
            f"found {found}"
        )
    return None


def normalise_base_url(url: str) -> str:
    """Return url with its scheme and host in lowercase (as browsers write them) and ending in
    exactly one slash."""
    match = BASE_URL.fullmatch(url)
    if match is not None:
        url = (
            f"{match['scheme'].lower()}://{match['host'].lower()}"
            f"{':' + match['port'] if match['port'] else ''}{match['path'] or ''}"
        )
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
            check.fail((number,), f"RFC number must be a whole number, found {shown_value(number)}")
            continue
        fields = check.fields(entry, (number,), ["title", "status"], [], f"RFC {number}")
        if fields is None:
            continue
        title = check.text(fields, (number,), "title", limit=200, one_line=True)
        status = check.text(fields, (number,), "status", limit=60, one_line=True)
        if title and status:
            rfcs[number] = Rfc(number, title, status)
    return rfcs


def validate_q850(
    path: Path, data: Any, problems: list[Problem]
) -> tuple[dict[int, str], tuple[Mapping, ...], dict[int, str]]:
    """Return the cause names, the mapping rows and, for causes RFC 3398 turns into no
    response, why, from q850.yaml."""
    check = Checker(path, problems)
    fields = check.fields(data, (), ["causes", "mappings"], [], "q850.yaml")
    if fields is None:
        return {}, (), {}
    causes: dict[int, str] = {}
    no_response: dict[int, str] = {}
    for index, entry in enumerate(check.items(fields, (), "causes") or []):
        keys = ("causes", index)
        row = check.fields(entry, keys, ["cause", "name"], ["no_response"], "a cause")
        if row is None:
            continue
        cause = check.whole(row, keys, "cause", 0, 127)
        name = check.text(row, keys, "name", limit=80, one_line=True)
        if "no_response" in row and (
            note := check.text(row, keys, "no_response", limit=200, one_line=True)
        ):
            no_response[cause] = note
        if cause in causes:
            check.fail(keys + ("cause",), f"cause {cause} is listed twice; keep one")
        elif cause is not None and name:
            causes[cause] = name
    mappings = []
    for index, entry in enumerate(check.items(fields, (), "mappings") or []):
        mapping = check_mapping(check, entry, ("mappings", index), causes)
        if mapping is not None:
            mappings.append(mapping)
    return causes, tuple(mappings), no_response


def check_mapping(
    check: Checker, data: Any, keys: tuple[str | int, ...], causes: dict[int, str]
) -> Mapping | None:
    """Return one Mapping row, checking that its cause is named in the causes list."""
    row = check.fields(
        data, keys, ["direction", "cause", "code", "source"], ["note"], "a mapping row"
    )
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
                check.fail(
                    ("related", index, "code"),
                    f"related code {related.code} has no "
                    f"page; add content/codes/{related.code}.yaml or remove it",
                )
            elif related.code == code.code:
                check.fail(("related", index, "code"), "a code cannot be related to itself")
        missing = {}
        for keys, reference in code.cited:
            if reference.rfc not in content.rfcs:
                missing.setdefault(reference.rfc, keys)
        for rfc, keys in missing.items():
            check.fail(
                keys, f"RFC {rfc} is cited but has no title in content/rfcs.yaml; add it there"
            )
    for guide in content.guides.values():
        check = Checker(guide.source, problems)
        for index, row in enumerate(guide.rows):
            if row.code not in content.codes:
                check.fail(
                    ("codes", index, "code"),
                    f"code {row.code} has no page; add "
                    f"content/codes/{row.code}.yaml or remove the row",
                )
        for rfc, keys in {ref.rfc: keys for keys, ref in reversed(guide.cited)}.items():
            if rfc not in content.rfcs:
                check.fail(
                    keys, f"RFC {rfc} is cited but has no title in content/rfcs.yaml; add it there"
                )
    for path, cited in log_page_citations(content):
        check = Checker(path, problems)
        for rfc, keys in {ref.rfc: keys for keys, ref in reversed(cited)}.items():
            if rfc not in content.rfcs:
                check.fail(
                    keys, f"RFC {rfc} is cited but has no title in content/rfcs.yaml; add it there"
                )
    cited_anywhere = {m.reference.rfc for m in content.mappings} | set(PAGE_RFCS)
    cited_anywhere |= {ref.rfc for _, cited in log_page_citations(content) for _, ref in cited}
    for guide in content.guides.values():
        cited_anywhere |= {reference.rfc for reference in guide.citations}
    for code in content.codes.values():
        cited_anywhere |= code.cited_rfcs
    rfcs = Checker(content_dir / "rfcs.yaml", problems)
    for number in PAGE_RFCS:
        if number not in content.rfcs:
            rfcs.fail((), f"RFC {number} is cited by every code page but has no title here; add it")
    for number in sorted(set(content.rfcs) - cited_anywhere):
        rfcs.fail((number,), f"RFC {number} is listed but no page cites it; remove it")
    q850 = Checker(content_dir / "q850.yaml", problems)
    for index, mapping in enumerate(content.mappings):
        if mapping.code not in content.codes:
            q850.fail(("mappings", index, "code"), f"code {mapping.code} has no page")
        if mapping.reference.rfc not in content.rfcs:
            q850.fail(
                ("mappings", index, "source"),
                f"RFC {mapping.reference.rfc} has no title in content/rfcs.yaml; add it there",
            )


def log_page_citations(content: Content) -> list[tuple[Path, list]]:
    """Return, per file behind the log decoder pages, every RFC it cites with its field."""
    found: list[tuple[Path, list]] = []
    for product in content.products.values():
        texts = [(("about",), product.about.markdown)] if product.about else []
        texts += [(("runtime", i), text.markdown) for i, text in enumerate(product.runtime)]
        texts += [
            (("variables", i, "meaning"), v.meaning.markdown)
            for i, v in enumerate(product.variables)
        ]
        found.append(
            (product.source, [(keys, ref) for keys, text in texts for ref in references_in(text)])
        )
    for topic in content.topics.values():
        cited = [
            (("sections", i, "text"), ref)
            for i, part in enumerate(topic.sections)
            for ref in references_in(part.text.markdown)
        ]
        if topic.key == "warning":
            cited += [(("ranges", i), r.reference) for i, r in enumerate(content.warn_ranges)]
            warn_codes = list(content.warn_codes.values())
            cited += [(("codes", i), w.reference) for i, w in enumerate(warn_codes)]
            cited += [
                (("codes", i, "used_with"), ref)
                for i, w in enumerate(content.warn_codes.values())
                if w.used_with
                for ref in references_in(w.used_with.markdown)
            ]
        if topic.key == "reason":
            cited += [
                (("protocols", i), p.reference)
                for i, p in enumerate(content.protocols)
                if p.reference
            ]
            if content.locations:  # the location tokens are those of RFC 8606 §4
                cited.append((("locations",), LOCATIONS_SOURCE))
        found.append((topic.source, cited))
    return found


class FileJob(NamedTuple):
    """One content file to read and validate, with everything the result depends on: the
    file's modification time and size, the code files that links may point at and the base
    URL. Two equal jobs give equal results, which is what lets serve keep them."""

    path: Path
    kind: str  # "code", "guide" or the name of one of TOP_LEVEL_FILES
    stamp: tuple[int, int] | None
    known_codes: frozenset[int]
    base_url: str | None


def check_file(job: FileJob) -> tuple[Any, list[Problem]]:
    """Read and validate the file of job; return its value (None if unusable) and its
    problems."""
    renderer = renderer_for(job.known_codes)
    if job.kind == "code":
        return check_code_file(job.path, renderer)
    if job.kind == "guide":
        return check_guide_file(job.path, renderer)
    return check_top_level_file(job.path, job.base_url, renderer)


@functools.lru_cache(maxsize=1)
def renderer_for(known_codes: frozenset[int]) -> MarkdownRenderer:
    """Return one Markdown renderer for every file of a build (its converters are reused)."""
    return MarkdownRenderer(known_codes)


def load_content(content_dir: Path, base_url: str | None = None, run: Runner = run_here) -> Content:
    """Read and validate everything under content_dir; raise ContentError listing every problem.

    Every file is one FileJob, checked on its own; run runs them (forked by a build, only
    the changed ones by serve) and gives the results back in order, so problems are reported
    in the same order either way. Then the files are checked against each other.
    """
    codes_dir = content_dir / "codes"
    found = find_code_files(codes_dir)
    # Only what find_code_files accepts is a page to link to: not a folder named 699.yaml.
    known_codes = frozenset(int(entry.name[:3]) for entry in found if isinstance(entry, Path))
    renderer_for(known_codes)  # made before any fork, so every worker starts with it
    guides_found = find_guide_files(content_dir / "guides")
    jobs = [
        FileJob(content_dir / name, name, file_stamp(content_dir / name), known_codes, base_url)
        for name in TOP_LEVEL_FILES
    ]
    jobs += [
        FileJob(path, kind, file_stamp(path), known_codes, base_url)
        for kind, entries in (("code", found), ("guide", guides_found))
        for path in entries
        if isinstance(path, Path)
    ]
    outcomes = dict(zip([job.path for job in jobs], run(check_file, jobs), strict=True))
    outcome = outcomes.__getitem__

    problems: list[Problem] = []
    top = {name: collect(outcome(content_dir / name), problems) for name in TOP_LEVEL_FILES}
    site, classes, rfcs, (causes, mappings, no_response) = (
        top[name] for name in ("site.yaml", "classes.yaml", "rfcs.yaml", "q850.yaml")
    )
    warn_ranges, warn_codes, warning_topic = top["warn-codes.yaml"]
    protocols, locations, reason_topic = top["reason.yaml"]
    products = {
        product.key: product
        for name in ("freeswitch.yaml", "asterisk.yaml")
        if (product := top[name]) is not None
    }
    topics = {topic.key: topic for topic in (warning_topic, reason_topic) if topic is not None}
    codes = collect_codes(codes_dir, found, outcome, problems)
    guides = {}
    for entry in guides_found:
        if isinstance(entry, Problem):
            problems.append(entry)
        elif (guide := collect(outcome(entry), problems)) is not None:
            guides[guide.slug] = guide
    if problems or site is None:
        raise ContentError(problems)
    codes = dict(sorted(codes.items()))  # files are read in name order; codes are in code order
    content = Content(
        site,
        classes,
        rfcs,
        causes,
        mappings,
        no_response,
        codes,
        guides,
        products,
        warn_ranges,
        warn_codes,
        protocols,
        locations,
        topics,
    )
    cross_check(content_dir, content, problems)
    if problems:
        raise ContentError(problems)
    return content


def collect(outcome: tuple[Any, list[Problem]], problems: list[Problem]) -> Any:
    """Record an outcome's problems and return its value."""
    problems.extend(outcome[1])
    return outcome[0]


@dataclass(frozen=True)
class TopLevelFile:
    """How one file beside codes/ is validated, what stands in for it when it is missing or
    unreadable, and whether the site needs it (the log decoder pages are built only when
    their files are there)."""

    validate: Callable[[Path, Any, str | None, MarkdownRenderer, list[Problem]], Any]
    empty: Any
    required: bool = True


TOP_LEVEL_FILES = {
    "site.yaml": TopLevelFile(
        lambda path, data, base_url, renderer, problems: validate_site(
            path, data, base_url, problems
        ),
        None,
    ),
    "classes.yaml": TopLevelFile(
        lambda path, data, base_url, renderer, problems: validate_classes(
            path, data, renderer, problems
        ),
        {},
    ),
    "rfcs.yaml": TopLevelFile(
        lambda path, data, base_url, renderer, problems: validate_rfcs(path, data, problems), {}
    ),
    "q850.yaml": TopLevelFile(
        lambda path, data, base_url, renderer, problems: validate_q850(path, data, problems),
        ({}, (), {}),
    ),
    "freeswitch.yaml": TopLevelFile(
        lambda path, data, base_url, renderer, problems: validate_product(
            path, data, renderer, problems
        ),
        None,
        required=False,
    ),
    "asterisk.yaml": TopLevelFile(
        lambda path, data, base_url, renderer, problems: validate_product(
            path, data, renderer, problems
        ),
        None,
        required=False,
    ),
    "warn-codes.yaml": TopLevelFile(
        lambda path, data, base_url, renderer, problems: validate_warn_codes(
            path, data, renderer, problems
        ),
        ((), {}, None),
        required=False,
    ),
    "reason.yaml": TopLevelFile(
        lambda path, data, base_url, renderer, problems: validate_reason(
            path, data, renderer, problems
        ),
        ((), (), None),
        required=False,
    ),
}


def check_top_level_file(
    path: Path, base_url: str | None, renderer: MarkdownRenderer
) -> tuple[Any, list[Problem]]:
    """Read and validate one of TOP_LEVEL_FILES; return its value and its problems."""
    kind = TOP_LEVEL_FILES[path.name]
    if not os.path.lexists(path):  # a broken link is not missing: read_yaml says what it is
        if not kind.required:
            return kind.empty, []
        return kind.empty, [
            Problem(display_path(path), 1, f"missing file {path.name}; see content/README.md")
        ]
    data, unreadable = read_yaml(path)
    if unreadable:
        return kind.empty, limit_problems(unreadable)
    problems: list[Problem] = []
    value = kind.validate(path, data, base_url, renderer, problems)
    return value, limit_problems(problems)


def collect_codes(
    codes_dir: Path,
    found: list[Problem | Path],
    outcome: Callable[[Path], tuple[Code | None, list[Problem]]],
    problems: list[Problem],
) -> dict[int, Code]:
    """Return the valid codes by number, recording problems in file order."""
    codes = {}
    for entry in found:
        if isinstance(entry, Problem):
            problems.append(entry)
        elif (code := collect(outcome(entry), problems)) is not None:
            codes[code.code] = code
    if not codes and not problems and codes_dir.is_dir():
        problems.append(
            Problem(display_path(codes_dir), 1, "no code files found; add e.g. 487.yaml")
        )
    return codes


def check_guide_file(path: Path, renderer: MarkdownRenderer) -> tuple[Guide | None, list[Problem]]:
    """Read and validate one guide file; return its Guide (or None) and its problems."""
    data, unreadable = read_yaml(path)
    if unreadable:
        return None, limit_problems(unreadable)
    problems: list[Problem] = []
    return validate_guide(path, data, renderer, problems), limit_problems(problems)


def check_code_file(path: Path, renderer: MarkdownRenderer) -> tuple[Code | None, list[Problem]]:
    """Read and validate one code file; return its Code (or None) and its problems."""
    data, unreadable = read_yaml(path)
    if unreadable:
        return None, limit_problems(unreadable)
    problems: list[Problem] = []
    return validate_code(path, data, renderer, problems), limit_problems(problems)
