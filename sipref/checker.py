"""Checks of plain YAML data that record a Problem, with file and line, instead of raising."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sipref.model import Problem, Reference, display_path
from sipref.yamlfile import SHOWN_LENGTH, escaped, line_of, shown_text

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
                self.fail(keys + (name,), f"unknown field '{escaped(str(name)[:SHOWN_LENGTH])}' "
                          f"in {what} ({field_advice(str(name), allowed)})")
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
        if one_line and "\t" in value:
            self.fail(where, f"'{name}' must be one line of text, found a tab; use a space")
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


def field_advice(name: str, allowed: set[str]) -> str:
    """Return "did you mean 'summary'?" for a near miss, else the allowed names."""
    # A name longer than any field cannot be a typo of one, and comparing it costs time
    # that grows with its length.
    hint = difflib.get_close_matches(name, sorted(allowed), n=1) \
        if len(name) <= SHOWN_LENGTH else []
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
            kept.append(Problem(first_hidden.path, first_hidden.line,
                                f"{len(group) - MAX_PROBLEMS_OF_A_KIND:,} more problems like the "
                                f"one at line {group[0].line} are not listed; fix those and "
                                "build again"))
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
        shown = digits if len(digits) <= SHOWN_LENGTH else f"{digits[:SHOWN_LENGTH]}…, " \
            f"{len(digits):,} digits"
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
            check.fail(keys + ("section",), "'section' must look like \"21.4.25\" (digits and "
                       f"dots), found {shown_value(fields.get('section'))}")
            return None
    return Reference(rfc, section) if rfc is not None else None


