"""The model: one frozen dataclass per kind of content, and the errors a user can fix."""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup

CLASS_KEYS = ("1xx", "2xx", "3xx", "4xx", "5xx", "6xx")
STATUSES = ("standard", "deprecated", "non-standard")
REQUIREMENTS = ("MUST", "MUST NOT", "SHOULD", "SHOULD NOT", "MAY")
DIRECTIONS = ("isup-to-sip", "sip-to-isup", "qsig-to-sip", "sip-to-qsig")
# What the party that receives a response does next, and how the page names it.
NEXT_ACTIONS = {
    "none": "Nothing to do",
    "follow-redirect": "Follow the redirect",
    "retry-with-changes": "Retry with changes",
    "retry-later": "Retry later",
    "try-elsewhere": "Try elsewhere",
    "do-not-retry": "Do not retry",
}
# Methods a code page may explain separately, by anchor (codes/481.html#bye), with their names.
METHODS = {
    "invite": "INVITE",
    "re-invite": "re-INVITE",
    "ack": "ACK",
    "bye": "BYE",
    "cancel": "CANCEL",
    "register": "REGISTER",
    "options": "OPTIONS",
    "info": "INFO",
    "prack": "PRACK",
    "subscribe": "SUBSCRIBE",
    "notify": "NOTIFY",
    "update": "UPDATE",
    "message": "MESSAGE",
    "refer": "REFER",
    "publish": "PUBLISH",
}


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


# "RFC 3261 §16.7", "RFC 3261, Section 16.7", "RFC 3261" and links to an RFC's text.
RFC_MENTION = re.compile(
    r"\bRFC\s?(?P<rfc>\d{3,5})(?:,?\s?(?:§|[Ss]ection\s)\s?(?P<section>(?:\d+|[A-Z])(?:\.\d+)*))?"
    r"|rfc-editor\.org/rfc/rfc(?P<linked>\d+)(?:\.\w+)?(?:#section-(?P<anchor>(?:\d+|[A-Z])(?:\.\d+)*))?"
    r"|datatracker\.ietf\.org/doc/html/rfc(?P<tracked>\d+)"
)


@functools.lru_cache(maxsize=16384)
def references_in(text: str) -> tuple[Reference, ...]:
    """Return every RFC a text cites, by name or by link, with the section where it says one.

    Kept per text: a page's references, its JSON record and the checks between files each
    ask again for the same texts, thousands of times a build."""
    return tuple(
        Reference(int(m["rfc"] or m["linked"] or m["tracked"]), m["section"] or m["anchor"])
        for m in RFC_MENTION.finditer(text)
    )


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


MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@dataclass(frozen=True, slots=True)
class Checked:
    """What a page's claims were last read against, and when (YYYY-MM)."""

    month: str
    references: tuple[Reference, ...]
    sources: tuple[str, ...]

    @property
    def label(self) -> str:
        """E.g. "RFC 3261 §21.4.25, §9.2 and RFC 3398 §7.2.3, December 2026"."""
        by_rfc: dict[int, list[str]] = {}
        for reference in self.references:
            sections = by_rfc.setdefault(reference.rfc, [])
            if reference.section and f"§{reference.section}" not in sections:
                sections.append(f"§{reference.section}")
        parts = [
            " ".join([f"RFC {rfc}", ", ".join(sections)]).strip()
            for rfc, sections in by_rfc.items()
        ]
        parts += list(self.sources)
        listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        year, month = self.month.split("-")
        return f"{listed}, {MONTHS[int(month) - 1]} {year}"


@dataclass(frozen=True, slots=True)
class NextStep:
    """What the receiver of a response does next: one of NEXT_ACTIONS, and the rule behind it."""

    action: str
    rule: Text
    references: tuple[Reference, ...]

    @property
    def label(self) -> str:
        return NEXT_ACTIONS[self.action]


@dataclass(frozen=True, slots=True)
class MethodMeaning:
    """What a code means as the answer to one method, shown at codes/<code>.html#<method>."""

    method: str
    meaning: Text

    @property
    def name(self) -> str:
        return METHODS[self.method]


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
    next_step: NextStep
    methods: tuple[MethodMeaning, ...]
    headers: tuple[HeaderRule, ...]
    example: str
    related: tuple[Related, ...]
    checked: Checked | None
    source: Path

    @property
    def title(self) -> str:
        return f"{self.code} {self.phrase}"

    @property
    def class_key(self) -> str:
        return f"{self.code // 100}xx"

    @property
    def cited(self) -> tuple[tuple[tuple[str | int, ...], Reference], ...]:
        """Every RFC citation in this file, with the field it stands in: the references, the
        header rules, the checked block and each "RFC 3261 §16.7" or RFC link in any text."""
        found: list[tuple[tuple[str | int, ...], Reference]] = []
        found += [(("references", i), ref) for i, ref in enumerate(self.references)]
        found += [(("headers", i), h.reference) for i, h in enumerate(self.headers)]
        texts: list[tuple[tuple[str | int, ...], str]] = [
            (("summary",), self.summary),
            (("description",), self.description.markdown),
            (("sent_by",), self.sent_by.markdown),
            (("what_to_do",), self.what_to_do.markdown),
        ]
        texts += [(("causes", i), cause.markdown) for i, cause in enumerate(self.causes)]
        texts += [
            (("methods", i, "meaning"), m.meaning.markdown) for i, m in enumerate(self.methods)
        ]
        if self.next_step:
            found += [
                (("next_step", "references", i), ref)
                for i, ref in enumerate(self.next_step.references)
            ]
            texts.append((("next_step", "rule"), self.next_step.rule.markdown))
        texts += [(("headers", i, "note"), h.note) for i, h in enumerate(self.headers)]
        texts += [(("related", i, "note"), r.note) for i, r in enumerate(self.related)]
        texts += [(("aliases", i, "note"), a.note) for i, a in enumerate(self.aliases)]
        found += [(keys, ref) for keys, text in texts for ref in references_in(text)]
        if self.checked:
            found += [(("checked",), ref) for ref in self.checked.references]
        return tuple(found)

    @property
    def citations(self) -> tuple[Reference, ...]:
        """Every distinct RFC citation of this file, in order of first appearance."""
        return tuple(dict.fromkeys(ref for _, ref in self.cited))

    @property
    def cited_rfcs(self) -> frozenset[int]:
        """The numbers of the RFCs this file cites anywhere."""
        return frozenset(ref.rfc for ref in self.citations)

    @property
    def is_final(self) -> bool:
        return self.code >= 200

    @property
    def url(self) -> str:
        return f"codes/{self.code}.html"


@dataclass(frozen=True, slots=True)
class GuideRow:
    """One code in a guide's comparison table, as the guide describes it."""

    code: int
    sent_by: str
    tells_caller: str


@dataclass(frozen=True, slots=True)
class GuideSection:
    """A part of a guide for what its table cannot say."""

    heading: str
    text: Text

    @property
    def anchor(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.heading.lower()).strip("-")


@dataclass(frozen=True, slots=True)
class Guide:
    """A side-by-side comparison of codes people confuse, from content/guides/<slug>.yaml."""

    slug: str
    title: str
    summary: str
    intro: Text
    rows: tuple[GuideRow, ...]
    sections: tuple[GuideSection, ...]
    which_to_send: tuple[Text, ...]
    checked: Checked | None
    source: Path

    @property
    def url(self) -> str:
        return f"guides/{self.slug}.html"

    @property
    def codes(self) -> tuple[int, ...]:
        return tuple(row.code for row in self.rows)

    @property
    def cited(self) -> tuple[tuple[tuple[str | int, ...], Reference], ...]:
        """Every RFC citation in this file, with the field it stands in."""
        texts: list[tuple[tuple[str | int, ...], str]] = [
            (("summary",), self.summary),
            (("intro",), self.intro.markdown),
        ]
        texts += [
            (("codes", i, field), getattr(row, field))
            for i, row in enumerate(self.rows)
            for field in ("sent_by", "tells_caller")
        ]
        texts += [
            (("sections", i, "text"), part.text.markdown) for i, part in enumerate(self.sections)
        ]
        texts += [
            (("which_to_send", i), step.markdown) for i, step in enumerate(self.which_to_send)
        ]
        found = [(keys, ref) for keys, text in texts for ref in references_in(text)]
        if self.checked:
            found += [(("checked",), ref) for ref in self.checked.references]
        return tuple(found)

    @property
    def citations(self) -> tuple[Reference, ...]:
        return tuple(dict.fromkeys(ref for _, ref in self.cited))


@dataclass(frozen=True, slots=True)
class ProductCause:
    """One hangup cause of a softswitch, with what it sends and the Reason it adds."""

    name: str  # as the product logs it: USER_BUSY; Asterisk's without the AST_CAUSE_ prefix
    number: int
    aliases: tuple[str, ...]  # other names for the same number
    printed: str  # the name the product prints, where it differs from name
    description: str  # the description the product prints, if any
    sends: int | None  # the SIP response for this cause; None: the product's default
    chan_sip_sends: int | None  # Asterisk's older chan_sip, where it differs
    reported_as: int | None  # the Q.850 value reported for a cause number beyond Q.850's
    reason: tuple[str, ...]  # the Reason header value(s) on BYE, CANCEL or a rejection

    @property
    def q850(self) -> int | None:
        """The Q.850 cause this is, or None for a product-internal number."""
        return self.number if 1 <= self.number <= 127 else None


@dataclass(frozen=True, slots=True)
class ProductResponse:
    """One row of a product's table from a received SIP response to a hangup cause."""

    code: int
    cause: str
    chan_sip_cause: str | None  # Asterisk's chan_sip, where it differs


@dataclass(frozen=True, slots=True)
class Variable:
    """A channel variable or option that changes a product's mapping."""

    name: str
    meaning: Text


@dataclass(frozen=True, slots=True)
class Product:
    """A softswitch's hangup causes and SIP mappings, from content/<product>.yaml."""

    key: str  # the file's stem, which is the page's name: freeswitch.html
    name: str
    name_prefix: str  # what the source puts before each name (AST_CAUSE_); anchors omit it
    read_from: tuple[str, ...]
    about: Text | None
    default_code: int  # the response sent for a cause the table does not list
    unlisted: dict[str, str]  # class key ("4xx") or "other" -> cause for an unlisted response
    causes: tuple[ProductCause, ...]
    responses: tuple[ProductResponse, ...]
    runtime: tuple[Text, ...]
    variables: tuple[Variable, ...]
    source: Path

    @property
    def url(self) -> str:
        return f"{self.key}.html"

    def cause(self, name: str) -> ProductCause:
        return next(c for c in self.causes if c.name == name)

    def sends(self, cause: ProductCause) -> tuple[int, bool]:
        """Return the SIP response code this product sends for cause, and whether that is
        its default for causes its table does not list."""
        return (cause.sends, False) if cause.sends is not None else (self.default_code, True)

    def cause_for(self, code: int) -> tuple[str, bool]:
        """Return the cause name a received response becomes, and whether by default."""
        for row in self.responses:
            if row.code == code:
                return row.cause, False
        return self.unlisted.get(f"{code // 100}xx", self.unlisted["other"]), True

    @property
    def unlisted_causes(self) -> tuple[tuple[str, ProductCause], ...]:
        """What a response no row lists becomes: (class key, cause) for each class with its
        own default, then ("other", cause) for the rest."""
        keys = [key for key in self.unlisted if key != "other"] + ["other"]
        return tuple((key, self.cause(self.unlisted[key])) for key in keys)

    def codes_to(self, name: str) -> tuple[int, ...]:
        """Return the response codes this product's table turns into the cause name."""
        return tuple(row.code for row in self.responses if row.cause == name)


@dataclass(frozen=True, slots=True)
class WarnRange:
    first: int
    last: int
    name: str
    reference: Reference


@dataclass(frozen=True, slots=True)
class WarnCode:
    """A registered warn-code of the Warning header field."""

    code: int
    text: str
    reference: Reference
    meaning: str
    used_with: Text | None


@dataclass(frozen=True, slots=True)
class ReasonProtocol:
    """A registered protocol of the Reason header field."""

    value: str
    cause: str  # what its cause field holds, as registered
    registered_by: str  # the specification the registry names
    reference: Reference | None  # where an RFC defines it
    means: str

    @property
    def anchor(self) -> str:
        # Q.850 -> protocol-q850, RELEASE_CAUSE -> protocol-release-cause
        return "protocol-" + re.sub(r"[^a-z0-9-]", "", self.value.lower().replace("_", "-"))


@dataclass(frozen=True, slots=True)
class Location:
    """An RFC 8606 location token of Reason: Q.850."""

    token: str
    bits: str
    meaning: str


@dataclass(frozen=True, slots=True)
class Topic:
    """A reference page about one part of SIP (warning.html, reason.html): prose and tables."""

    key: str
    title: str
    summary: str
    sections: tuple[GuideSection, ...]
    source: Path

    @property
    def url(self) -> str:
        return f"{self.key}.html"


@dataclass(frozen=True, slots=True)
class CodeClass:
    """One response class, 1xx to 6xx, from content/classes.yaml."""

    key: str
    name: str
    other_names: tuple[Alias, ...]
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
    base_url: str | None  # where the site is hosted; None when nobody said
    version: str
    date: str


@dataclass(frozen=True, slots=True)
class Content:
    """Everything the build read, validated and cross-checked."""

    site: Site
    classes: dict[str, CodeClass]
    rfcs: dict[int, Rfc]
    causes: dict[int, str]
    mappings: tuple[Mapping, ...]
    no_response: dict[int, str]  # causes RFC 3398 turns into no response, and why
    codes: dict[int, Code]  # in code order, the one order every list of codes follows
    guides: dict[str, Guide]
    products: dict[str, Product]  # by key: freeswitch, asterisk
    warn_ranges: tuple[WarnRange, ...]
    warn_codes: dict[int, WarnCode]
    protocols: tuple[ReasonProtocol, ...]
    locations: tuple[Location, ...]
    topics: dict[str, Topic]  # warning, reason

    def guides_for(self, code: int) -> tuple[Guide, ...]:
        """Return the guides that compare this code, in guide order."""
        return tuple(guide for guide in self.guides.values() if code in guide.codes)


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
