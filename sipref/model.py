"""The model: one frozen dataclass per kind of content, and the errors a user can fix."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup

CLASS_KEYS = ("1xx", "2xx", "3xx", "4xx", "5xx", "6xx")
STATUSES = ("standard", "deprecated", "non-standard")
REQUIREMENTS = ("MUST", "MUST NOT", "SHOULD", "SHOULD NOT", "MAY")
DIRECTIONS = ("isup-to-sip", "sip-to-isup", "qsig-to-sip", "sip-to-qsig")


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
    date: str


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


