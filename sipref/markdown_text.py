"""Markdown fields -> safe HTML: raw HTML refused, links checked and pointed at code pages."""

from __future__ import annotations

import html as html_entities
import re
from collections.abc import Iterable

import markdown
from markupsafe import Markup

from sipref.checker import Checker
from sipref.model import Text
from sipref.yamlfile import SHOWN_LENGTH, UNPRINTABLE, escaped

EXTERNAL_HOSTS = ("www.rfc-editor.org", "rfc-editor.org", "www.iana.org", "iana.org",
                  "datatracker.ietf.org")


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
        problems = [f"raw HTML is not allowed ({found!r}); put it in backticks or write &lt;"
                    for found in find_raw_html(text)]
        if definition := REFERENCE_DEFINITION.search(CODE_SPANS.sub("", text)):
            problems.append(f"reference-style links are not supported, found "
                            f"{definition.group(0).strip()!r}; write the link inline as "
                            "[text](address)")
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


UNUSED_INLINE_PATTERNS = ("reference", "short_reference", "image_reference", "short_image_ref",
                          "automail")
# Elements Markdown can make that do not belong inside a field: the page owns the headings
# (its outline and anchors), and an image would be a request to another site.
OUTLINE_ELEMENT = re.compile(r"<(h[1-6]|hr|blockquote|img)\b([^>]*)>")
OUTLINE_RULES = {
    "h": ("headings (lines starting with #, or underlined with = or -)",
          "use **bold** text or a list instead"),
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
        text = alt.group(1) if alt else \
            re.sub(r"<[^>]*>", "", html[element.end():end if end >= 0 else len(html)])
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
ABSOLUTE_LINK = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*):(?P<slashes>//)?"
                           r"(?P<authority>[^/?#]*)(?P<rest>.*)", re.S)
BROWSER_CHANGED = re.compile(r"[\s\\]|" + UNPRINTABLE.pattern)
SECTION_IDS = ("summary", "description", "sent-by", "causes", "what-to-do", "headers", "example",
               "related", "q850", "references")


def rewrite_links(html: str, code_prefix: str,
                  known_codes: frozenset[int]) -> tuple[str, list[str]]:
    """Point code links (NNN.html) at the page being rendered; list broken or forbidden links."""
    problems: list[str] = []

    def fix(match: re.Match[str]) -> str:
        attribute, target = match.group(1), match.group(2)
        link = html_entities.unescape(target)  # as a browser reads the attribute: &#92; is \\
        shown = escaped(link if len(link) <= 2 * SHOWN_LENGTH else link[:2 * SHOWN_LENGTH] + "…")
        if "&#" in target:  # Python drops &#27; where a browser keeps the character
            problems.append(f"link to '{escaped(target[:2 * SHOWN_LENGTH])}' has a character "
                            "reference (&#…;) in it; write the character itself")
            return match.group(0)
        if code_link := CODE_LINK.fullmatch(link):
            number, anchor = int(code_link.group(1)), code_link.group(2)
            if number not in known_codes:
                problems.append(f"link to '{shown}': code {number} has no page; link an "
                                "existing code")
            elif anchor is not None and anchor not in SECTION_IDS:
                problems.append(f"link to '{shown}': '#{anchor}' is not a section of a code "
                                f"page; use one of {', '.join(SECTION_IDS)}")
            return f'{attribute}="{code_prefix}{target}"'
        if refusal := external_link_problem(link):
            problems.append(f"link to '{shown}' {refusal}")
        return match.group(0)

    return HREF.sub(fix, html), problems


ALLOWED_LINKS = "link a code as NNN.html or an RFC at https://www.rfc-editor.org/ " \
    f"({', '.join(EXTERNAL_HOSTS)})"


def external_link_problem(link: str) -> str | None:
    """Return why link is not an allowed link to another site, or None if it is one.

    The link is read the way the URL standard (and so every browser) reads it, and anything
    a browser would read differently from what it looks like is refused outright: a
    backslash (a slash in http links, so evil.example\\@www.rfc-editor.org goes to
    evil.example), spaces, tabs and line breaks (dropped), a user name before an @, a link
    with no scheme. Scheme and host compare in lowercase, as browsers write them."""
    if BROWSER_CHANGED.search(link):
        return "has a backslash, a space, a tab, a line break or a control character in it, " \
               "which browsers change or drop; write the address without them"
    if link.startswith("//"):
        return "has no scheme; write the address in full, starting with https://"
    parts = ABSOLUTE_LINK.fullmatch(link)
    if parts is None or parts["scheme"].lower() not in ("http", "https") \
            or not parts["slashes"]:
        return f"is not allowed; {ALLOWED_LINKS}"
    if "@" in parts["authority"]:
        return "has a user name (the part before @) in it; remove it and link the site itself"
    if parts["authority"].lower() not in EXTERNAL_HOSTS:
        return f"is not allowed; {ALLOWED_LINKS}"
    return None


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


