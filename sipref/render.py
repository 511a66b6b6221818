"""Render: model -> {output path: UTF-8 bytes}. Pure: no file is read or written here."""

from __future__ import annotations

import functools
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
from markupsafe import escape

from sipref.crosswalk import CauseRow, ProductEntry, code_sides, crosswalk, product_entries
from sipref.model import (
    CLASS_KEYS,
    Code,
    Content,
    Guide,
    GuideRow,
    Mapping,
    Reference,
    Rfc,
    TemplateProblem,
    display_path,
    references_in,
)
from sipref.parallel import Runner, run_here

SEARCH_INDEX_VERSION = 2
# One policy for the meta tag in every page and for the hosts' _headers file: only the site's
# own files, no inline script or style. frame-ancestors works only as a real header.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self'; connect-src 'self'; base-uri 'self'; "
    "form-action 'self'; object-src 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY + "; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


# ---------------------------------------------------------------------------------------------
# Render: model -> {output path: text}, no I/O
# ---------------------------------------------------------------------------------------------


def make_env(templates_dir: Path) -> jinja2.Environment:
    """Return the one Jinja environment: autoescaped, strict about undefined names."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir),
        bytecode_cache=template_cache(),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["rfc_title"] = lambda number, rfcs: rfcs[number].title
    env.filters["href"] = href
    env.globals["content_security_policy"] = CONTENT_SECURITY_POLICY
    return env


@jinja2.pass_context
def href(context: Any, path: str, root: str | None = None) -> str:
    """The one way templates link to a page of the site: path (from the site root, with its
    anchor) made relative to the page being rendered, so the site works under any path and
    from disk. A macro, which does not see the page's context, passes root."""
    return (context["root"] if root is None else root) + path


def template_cache() -> jinja2.BytecodeCache | None:
    """Return a cache of compiled templates in a folder only this user can write, keyed by a
    checksum of each template's source, so a build compiles only the templates that changed;
    None where no such folder can be had (then every build compiles them).

    Not the shared temporary folder, Jinja's default: a cache file is unpickled, and one
    planted there with a matching checksum would change the output or run code."""
    folder = private_cache_folder()
    return PrivateBytecodeCache(str(folder)) if folder is not None else None


def private_cache_folder() -> Path | None:
    """Return $XDG_CACHE_HOME/sipref/jinja (~/.cache/sipref/jinja by default), made 0700 if
    missing, or None unless it and sipref/ are real folders of this user that no one else may
    write to, in a cache folder no one else may rename them in."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    try:
        root = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
        folders = [root, root / "sipref", root / "sipref" / "jinja"]
        for folder in folders:
            if not os.path.lexists(folder):
                os.mkdir(folder, 0o700)
        ours = [os.lstat(folder) for folder in folders[1:]]
        holder = os.stat(root)  # the user may point ~/.cache at another disk with a link
    except (OSError, RuntimeError):  # RuntimeError: no home folder to be found
        return None
    others_write = stat.S_IWGRP | stat.S_IWOTH
    if not all(
        stat.S_ISDIR(s.st_mode) and s.st_uid == os.geteuid() and not s.st_mode & others_write
        for s in ours
    ):
        return None
    if holder.st_uid not in (os.geteuid(), 0) or (
        holder.st_mode & others_write and not holder.st_mode & stat.S_ISVTX
    ):
        return None
    return folders[-1]


class PrivateBytecodeCache(jinja2.FileSystemBytecodeCache):
    """Jinja's file cache that never follows a symbolic link and never fails a build: a cache
    file that cannot be read or written is compiled afresh, it is only an optimisation."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Load bucket's code from its file if that is a regular file; else leave it empty."""
        try:
            handle = os.open(
                self._get_cache_filename(bucket),
                os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC,
            )
        except OSError:
            return
        with os.fdopen(handle, "rb") as file:
            try:
                if stat.S_ISREG(os.fstat(handle).st_mode):
                    bucket.load_bytecode(file)
            except Exception:  # noqa: BLE001 - truncated or corrupt: compile it again
                bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Save bucket's code; a full disk or a removed folder only costs the next build."""
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


def render_template(env: jinja2.Environment, name: str, out_path: str, **context: Any) -> str:
    """Render one template, turning template mistakes into a TemplateProblem with file:line."""
    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateSyntaxError as err:
        where = display_path(Path(err.filename)) if err.filename else f"templates/{name}"
        raise TemplateProblem(f"{where}:{err.lineno}: {err.message}") from None
    except jinja2.TemplateNotFound as err:
        raise TemplateProblem(
            f"templates/{name}:1: template '{err.name}' not found (rendering {out_path})"
        ) from None
    except jinja2.UndefinedError as err:
        raise TemplateProblem(
            f"{template_frame(err, name)}: {err.message} (rendering {out_path})"
        ) from None
    except TemplateProblem:
        raise
    except UnicodeDecodeError as err:  # raised while Jinja's loader reads the file
        where = unreadable_template(err) or f"templates/{name}"
        line = err.object[: err.start].count(b"\n") + 1 if isinstance(err.object, bytes) else 1
        byte = f" (byte 0x{err.object[err.start]:02x})" if isinstance(err.object, bytes) else ""
        raise TemplateProblem(
            f"{where}:{line}: not valid UTF-8{byte}; save the template as "
            f"UTF-8 (rendering {out_path})"
        ) from None
    except OSError as err:  # unreadable, or a folder where a template should be
        where = (
            display_path(Path(os.fsdecode(err.filename))) if err.filename else f"templates/{name}"
        )
        reason = (err.strerror or "cannot be read").lower()
        raise TemplateProblem(
            f"{where}:1: cannot read the template: {reason}; make it a "
            f"readable file (rendering {out_path})"
        ) from None
    except RecursionError as err:
        raise TemplateProblem(
            f"{template_frame(err, name)}: templates include, import or "
            "extend each other without end; break the cycle "
            f"(rendering {out_path})"
        ) from None
    except Exception as err:  # noqa: BLE001 - any other failure of template code: 1/0, x[9]
        what = (
            err.message
            if isinstance(err, jinja2.TemplateError) and err.message
            else f"{type(err).__name__}: {err}"
            if str(err)
            else type(err).__name__
        )
        raise TemplateProblem(
            f"{template_frame(err, name)}: {what} (rendering {out_path})"
        ) from None


def template_frame(err: BaseException, name: str) -> str:
    """Return 'templates/x.html:line' of the innermost template frame of a traceback: a frame
    Jinja made to show a template line (any template, .html or .xml)."""
    location = f"templates/{name}:1"
    tb = err.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".html") or "__jinja_exception__" in tb.tb_frame.f_globals:
            location = f"{display_path(Path(filename))}:{tb.tb_lineno}"
        tb = tb.tb_next
    return location


def unreadable_template(err: BaseException) -> str | None:
    """Return the template file Jinja's loader was reading when err was raised, if known."""
    found = None
    tb = err.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_locals.get("filename")
        if tb.tb_frame.f_code.co_name == "get_source" and isinstance(filename, str):
            found = display_path(Path(filename))
        tb = tb.tb_next
    return found


def page_context(
    content: Content, out_path: str, offline: bool, canonical_path: str | None = None
) -> dict:
    """Return what every page needs: root prefix, site, classes, canonical URL, and whether
    this is the offline edition (opened from disk, its home page says which version it is)."""
    depth = out_path.count("/")
    return {
        "root": "../" * depth,
        "site": content.site,
        "classes": content.classes,
        "page_path": out_path,
        "offline": offline,
        "reference_pages": reference_pages(content),
        "canonical": content.site.base_url
        and content.site.base_url + (canonical_path if canonical_path is not None else out_path),
    }


def reference_pages(content: Content) -> tuple[tuple[str, str], ...]:
    """The pages beyond the codes, for every page's footer: (url, link text)."""
    pages = [("guides/index.html", "Guides"), ("q850.html", "Q.850 causes")]
    pages += [(p.url, f"{p.name} causes") for p in content.products.values()]
    pages += [
        (t.url, {"warning": "Warning codes", "reason": "Reason header"}.get(t.key, t.title))
        for t in content.topics.values()
    ]
    pages.append(("rfcs.html", "RFCs cited"))
    return tuple(pages)


def codes_by_class(content: Content) -> dict[str, list[Code]]:
    """Return the codes grouped by class key, each group sorted by code."""
    groups: dict[str, list[Code]] = {key: [] for key in CLASS_KEYS}
    for code in content.codes.values():
        groups[code.class_key].append(code)
    return groups


def neighbours(content: Content, code: Code) -> tuple[Code | None, Code | None]:
    """Return the previous and next code pages, in numeric order."""
    numbers = list(content.codes)
    index = numbers.index(code.code)
    previous = content.codes[numbers[index - 1]] if index > 0 else None
    following = content.codes[numbers[index + 1]] if index + 1 < len(numbers) else None
    return previous, following


@dataclass(frozen=True, slots=True)
class Tables:
    """What render derives from the content once, for every file that shows it."""

    mappings: dict[int, tuple[Mapping, ...]]  # each code's Q.850 and QSIG rows, by code
    causes: tuple[CauseRow, ...]  # the Q.850 crosswalk, in cause order
    entries: dict[str, tuple[ProductEntry, ...]]  # each product page's rows, by product key


def derive_tables(content: Content) -> Tables:
    """Return the tables of content."""
    causes = crosswalk(content)
    return Tables(
        {n: tuple(m for m in content.mappings if m.code == n) for n in content.codes},
        causes,
        {
            key: product_entries(content, product, causes)
            for key, product in content.products.items()
        },
    )


@dataclass(frozen=True, slots=True)
class Q850Part:
    """One direction of a code page's Q.850 section: its rows, or what applies without one."""

    anchor: str
    heading: str
    lead: str
    rows: tuple[Mapping, ...]


# Per direction: heading, the sentence above its rows, and the rule where the tables have no
# row for the code (RFC 3398 §8.2.5 and §8.2.6.1; RFC 4497 §8.2.1.5, §8.4.1 and §8.4.4).
Q850_DIRECTIONS = {
    "sip-to-isup": (
        "SIP to ISUP",
        "A gateway that receives {code} releases the PSTN call with one of these causes.",
    ),
    "isup-to-sip": (
        "ISUP to SIP",
        "A gateway sends {code} when the PSTN releases the call with one of these causes.",
    ),
    "sip-to-qsig": (
        "SIP to QSIG",
        "A gateway that receives {code} clears the QSIG call with one of these causes.",
    ),
    "qsig-to-sip": (
        "QSIG to SIP",
        "A gateway sends {code} when the QSIG side clears the call with one of these causes.",
    ),
}
Q850_UNMAPPED = {
    "sip-to-isup": "RFC 3398 §8.2.6.1 lists no cause for {code}: a gateway that receives it "
    "releases the PSTN call with cause 31 (Normal, unspecified), the default it "
    "gives for responses it does not list.",
    "isup-to-sip": "No ISUP cause maps to {code} in the table of RFC 3398 §7.2.4.1.",
    "sip-to-qsig": "RFC 4497 §8.4.4 lists no cause for {code}: a gateway that receives it "
    "clears the QSIG call with cause 31 (Normal, unspecified), the default for "
    "responses not in its Table 2.",
    "qsig-to-sip": "No QSIG cause maps to {code} in Table 1 of RFC 4497 §8.4.1.",
}
Q850_REDIRECTION = {
    "sip-to-isup": "RFC 3398 §8.2.5: a gateway that receives a 3xx SHOULD try the addresses in "
    "its Contact header fields with new call attempts; it MAY instead release "
    "the PSTN call with a redirection indicator (23) and the new number.",
    "sip-to-qsig": "RFC 4497 §8.2.1.5: a gateway that receives a 3xx acts on it as RFC 3261 "
    "says, normally with a new INVITE, and sends no QSIG message unless it "
    "supports the QSIG Call Diversion service.",
}
Q850_DEFAULT_RESPONSE = {  # the response for a cause that neither table lists
    "isup-to-sip": " A cause the table does not list SHOULD also become 500 (RFC 3398 §7.2.4.1).",
    "qsig-to-sip": " A cause Table 1 does not list SHALL also become 500 (RFC 4497 §8.4.1).",
}


def q850_parts(code: Code, rows: tuple[Mapping, ...]) -> tuple[Q850Part, ...]:
    """Return the four directions of a code page's Q.850 section; none for a 1xx or 2xx code
    that no table names, since gateways map only redirections and failures."""
    if code.code < 300 and not rows:
        return ()
    parts = []
    for direction, (heading, lead) in Q850_DIRECTIONS.items():
        found = tuple(row for row in rows if row.direction == direction)
        if not found:
            rules = Q850_REDIRECTION if code.class_key == "3xx" else {}
            lead = rules.get(direction, Q850_UNMAPPED[direction])
        if code.code == 500:
            lead += Q850_DEFAULT_RESPONSE.get(direction, "")
        parts.append(Q850Part(f"q850-{direction}", heading, lead.format(code=code.code), found))
    return tuple(parts)


# What every code page says beside its own content, with the sections it cites.
MESSAGE_RULE = Reference(3261, "8.2.6.2")  # To tag; Via, From, Call-ID, CSeq copied
REASON_IN_RESPONSES = Reference(6432, "3")  # any response but 100 may carry a Q.850 Reason
ERROR_INFO = Reference(3261, "20.18")  # Error-Info in 3xx to 6xx
UNKNOWN_CODE_RULE = Reference(3261, "8.1.3.2")  # an unknown code is treated as its x00


def page_references(code: Code, parts: tuple[Q850Part, ...]) -> list[Reference]:
    """Return every citation a code page makes, in order: its file's, then the Q.850 rows and
    the page's own text."""
    found = list(code.citations)
    found += [row.reference for part in parts for row in part.rows]
    found += [ref for part in parts for ref in references_in(part.lead)]
    if parts:
        found += [Reference(3398, None), Reference(4497, None)]
    found.append(MESSAGE_RULE)
    if code.code != 100:
        found.append(REASON_IN_RESPONSES)
    if code.code >= 300:
        found.append(ERROR_INFO)
    if code.status == "non-standard":
        found.append(UNKNOWN_CODE_RULE)
    return list(dict.fromkeys(found))


def grouped_references(
    references: list[Reference], rfcs: dict[int, Rfc]
) -> list[tuple[Rfc, list[Reference]]]:
    """Return the cited RFCs in order of first citation, each with its cited sections."""
    groups: dict[int, list[Reference]] = {}
    for reference in references:
        sections = groups.setdefault(reference.rfc, [])
        if reference.section and reference not in sections:
            sections.append(reference)

    def numeric(reference: Reference) -> tuple:
        return tuple((0, int(p)) if p.isdigit() else (1, p) for p in reference.section.split("."))

    return [(rfcs[number], sorted(sections, key=numeric)) for number, sections in groups.items()]


def code_page_context(
    content: Content, code: Code, rows: tuple[Mapping, ...], offline: bool
) -> dict:
    """Return what codes/<code>.html shows: the code and everything derived for it."""
    previous, following = neighbours(content, code)
    parts = q850_parts(code, rows)
    return dict(
        page_context(content, code.url, offline),
        code=code,
        code_class=content.classes[code.class_key],
        previous=previous,
        following=following,
        related=[(content.codes[r.code], r.note) for r in code.related],
        q850_parts=parts,
        causes=content.causes,
        rfcs=content.rfcs,
        references=grouped_references(page_references(code, parts), content.rfcs),
        rules={
            "message": MESSAGE_RULE,
            "reason": REASON_IN_RESPONSES,
            "error_info": ERROR_INFO,
            "unknown_code": UNKNOWN_CODE_RULE,
        },
        x00=content.codes.get(code.code // 100 * 100),
        guides=content.guides_for(code.code),
        product_sides=code_sides(content, code.code),
    )


@dataclass(frozen=True, slots=True)
class GuideEntry:
    """One row of a guide's comparison table: the guide's words and the code's own facts."""

    code: Code
    row: GuideRow
    isup_causes: tuple[tuple[int, str], ...]  # RFC 3398 §8.2.6.1: the cause a gateway sends
    isup_rule: str  # what applies when the table lists no cause


def guide_entries(
    content: Content, guide: Guide, rows: dict[int, tuple[Mapping, ...]]
) -> tuple[GuideEntry, ...]:
    """Return a guide's table rows, each with the SIP-to-ISUP cause of RFC 3398."""
    entries = []
    for row in guide.rows:
        code = content.codes[row.code]
        causes = tuple(
            (m.cause, content.causes[m.cause])
            for m in rows[row.code]
            if m.direction == "sip-to-isup"
        )
        rule = (
            ""
            if causes
            else (
                "redirection: new call attempts (RFC 3398 §8.2.5)"
                if code.class_key == "3xx"
                else "31 Normal, unspecified: the default (RFC 3398 §8.2.6.1)"
            )
        )
        entries.append(GuideEntry(code, row, causes, rule))
    return tuple(entries)


def guide_references(guide: Guide, entries: tuple[GuideEntry, ...]) -> list[Reference]:
    """Return every citation a guide page makes: its file's and the table's."""
    found = list(guide.citations)
    found += [ref for entry in entries for ref in entry.code.next_step.references]
    found.append(Reference(3398, "8.2.6.1"))
    found += [ref for entry in entries for ref in references_in(entry.isup_rule)]
    return list(dict.fromkeys(found))


# One HTML page to render: its output path, its template and the context it is given.
PageJob = tuple[str, str, dict]


def page_jobs(content: Content, tables: Tables, offline: bool) -> list[PageJob]:
    """Return a job for every HTML page of the site."""
    rows = tables.mappings
    groups = codes_by_class(content)

    def page(path: str, template: str, canonical: str | None = None, **context: Any) -> PageJob:
        return path, template, dict(page_context(content, path, offline, canonical), **context)

    jobs = [
        page("index.html", "index.html", "", groups=groups),
        page(
            "q850.html",
            "q850.html",
            rows=tables.causes,
            codes=content.codes,
            products=content.products,
        ),
        page("rfcs.html", "rfcs.html", rfcs=content.rfcs, rfc_codes=rfc_codes(content)),
    ]
    jobs += [
        page(
            f"classes/{key}.html", "class.html", code_class=content.classes[key], codes=groups[key]
        )
        for key in CLASS_KEYS
    ]
    jobs += [
        (code.url, "code.html", code_page_context(content, code, rows[code.code], offline))
        for code in content.codes.values()
    ]
    jobs += [
        page(
            product.url,
            "product.html",
            product=product,
            codes=content.codes,
            entries=tables.entries[product.key],
        )
        for product in content.products.values()
    ]
    if "warning" in content.topics:
        jobs.append(
            page(
                "warning.html",
                "warning.html",
                topic=content.topics["warning"],
                ranges=content.warn_ranges,
                warn_codes=content.warn_codes,
            )
        )
    if "reason" in content.topics:
        jobs.append(
            page(
                "reason.html",
                "reason.html",
                topic=content.topics["reason"],
                protocols=content.protocols,
                locations=content.locations,
            )
        )
    jobs.append(page("guides/index.html", "guides.html", guides=content.guides))
    for guide in content.guides.values():
        entries = guide_entries(content, guide, rows)
        jobs.append(
            page(
                guide.url,
                "guide.html",
                guide=guide,
                entries=entries,
                rfcs=content.rfcs,
                references=grouped_references(guide_references(guide, entries), content.rfcs),
            )
        )
    jobs.append(
        page(
            "404.html",
            "404.html",
            base_path=urlsplit(content.site.base_url or "/").path,
            codes=list(content.codes),
        )
    )
    return jobs


def render_pages(env: jinja2.Environment, jobs: list[PageJob], run: Runner) -> dict[str, bytes]:
    """Return the bytes of every job's page, by path."""
    return dict(
        zip(
            [path for path, _, _ in jobs],
            run(functools.partial(render_page, env), jobs),
            strict=True,
        )
    )


def render_page(env: jinja2.Environment, job: PageJob) -> bytes:
    """Return job's page as UTF-8: encoded where it is rendered, as bytes take half the memory
    of text with one typographic quote in it, and half the time to send back from a worker."""
    path, template, context = job
    return render_template(env, template, path, **context).encode("utf-8")


def build_search_index(content: Content, tables: Tables) -> list[dict]:
    """Return the search entries: each class before its codes, then the guides, the Q.850
    causes, the products' causes, the warn-codes, the Reason protocols and the reference
    pages. One list feeds both index files. Every entry has a kind, which the result shows,
    and a url with its anchor; entries a pasted log line names carry the key it names them by
    (a cause number, a product's cause name, a warn-code)."""
    classes = [
        {
            "kind": "class",
            "code": c.key,
            "phrase": c.name,
            "class": c.key,
            "summary": c.summary,
            "status": "standard",
            "url": c.url,
            "aliases": [other.phrase for other in c.other_names],
            "keywords": ["class"],
        }
        for c in content.classes.values()
    ]
    entries = sorted(
        classes + build_code_entries(content),
        key=lambda entry: (entry["class"], entry["code"] != entry["class"]),
    )
    entries += [
        {
            "kind": "guide",
            "code": f"guide:{g.slug}",
            "phrase": g.title,
            "summary": g.summary,
            "url": g.url,
            "aliases": [],
            "keywords": ["guide"],
        }
        for g in content.guides.values()
    ]
    entries += [
        {
            "kind": "cause",
            "code": f"cause:{row.cause}",
            "n": row.cause,
            "phrase": f"Q.850 cause {row.cause}: {row.name}",
            "summary": cause_summary(row),
            "url": f"q850.html#{row.anchor}",
            "aliases": [],
            "keywords": ["q850", "isdn", "cause"],
        }
        for row in tables.causes
    ]
    for product in content.products.values():
        for entry in tables.entries[product.key]:
            cause = entry.cause
            names = [product.name_prefix + name for name in (cause.name, *cause.aliases)]
            sends = content.codes.get(entry.sends)
            entries.append(
                {
                    "kind": product.key,
                    "code": f"{product.key}:{cause.name}",
                    "n": cause.number,
                    "names": [cause.name, *cause.aliases],
                    "phrase": f"{names[0]} ({cause.number})",
                    "summary": (
                        f"{cause.description + '. ' if cause.description else ''}"
                        f"{product.name} sends {sends.title if sends else entry.sends}"
                        + (" (its default)" if entry.by_default else "")
                        + (
                            f"; {', '.join(map(str, entry.from_codes))} become it"
                            if entry.from_codes
                            else ""
                        )
                        + "."
                    ),
                    "url": f"{product.url}#{cause.name}",
                    "aliases": names[1:],
                    "keywords": [product.key, "hangup cause"],
                }
            )
    entries += [
        {
            "kind": "warn",
            "code": f"warn:{w.code}",
            "n": w.code,
            "phrase": f"Warning {w.code}: {w.text}",
            "summary": w.meaning,
            "url": f"warning.html#warn-{w.code}",
            "aliases": [],
            "keywords": ["warning"],
        }
        for w in content.warn_codes.values()
    ]
    entries += [
        {
            "kind": "protocol",
            "code": f"protocol:{p.value}",
            "phrase": f"Reason protocol {p.value}",
            "summary": p.means,
            "url": f"reason.html#{p.anchor}",
            "aliases": [],
            "keywords": ["reason"],
        }
        for p in content.protocols
    ]
    pages = [
        (
            "q850.html",
            "Q.850 causes across RFC 3398, FreeSWITCH and Asterisk",
            "Every ISDN release cause with its SIP responses both ways.",
            ["isdn", "isup", "q850", "crosswalk", "hangup cause"],
        )
    ]
    pages += [
        (
            p.url,
            f"{p.name} hangup causes and SIP codes",
            f"Every {p.name} hangup cause with the SIP codes it sends and reads.",
            [p.key, "hangup cause"],
        )
        for p in content.products.values()
    ]
    pages += [(t.url, t.title, t.summary, [t.key]) for t in content.topics.values()]
    pages.append(
        (
            "guides/index.html",
            "Guides: codes people confuse",
            "Side-by-side comparisons of the codes that are easy to confuse.",
            ["guide"],
        )
    )
    entries += [
        {
            "kind": "page",
            "code": f"page:{url}",
            "phrase": title,
            "summary": summary,
            "url": url,
            "aliases": [],
            "keywords": keywords,
        }
        for url, title, summary, keywords in pages
    ]
    return entries


def cause_summary(row: Any) -> str:
    """One line on a Q.850 cause: the response RFC 3398 gives it and what products send."""
    rfc = (
        "no response"
        if row.no_response
        else "/".join(map(str, row.rfc_responses)) + (" (default)" if row.to_sip_by_default else "")
    )
    sides = "; ".join(
        f"{side.product.name} sends {side.sends}" for side in row.sides if side.sends is not None
    )
    return f"RFC 3398: {rfc}" + (f"; {sides}" if sides else "") + "."


def build_code_entries(content: Content) -> list[dict]:
    """Return one search entry per code, in code order, with the header fields it carries
    (so a pasted Min-Expires finds 423) and its next step."""
    return [
        {
            "kind": "code",
            "code": code.code,
            "phrase": code.phrase,
            "class": code.class_key,
            "summary": code.summary,
            "status": code.status,
            "next": code.next_step.label,
            "url": code.url,
            "aliases": [alias.phrase for alias in code.aliases],
            "keywords": list(code.keywords),
            "headers": [[h.name, h.requirement] for h in code.headers],
        }
        for code in content.codes.values()
    ]


def render_search_files(content: Content, tables: Tables) -> dict[str, str]:
    """Return search.json and search-index.js (the same data as a script, for file:// use)."""
    index = {
        "version": SEARCH_INDEX_VERSION,
        "content_version": content.site.version,
        "entries": build_search_index(content, tables),
    }
    compact = json.dumps(index, ensure_ascii=False, separators=(",", ":"), sort_keys=False)
    # "</" inside a script would close it early; JSON allows "<\/".
    script = "window.SIP_SEARCH_INDEX=" + compact.replace("</", "<\\/") + ";\n"
    return {"search.json": compact + "\n", "search-index.js": script}


API_VERSION = 1


def code_record(content: Content, code: Code, rows: tuple[Mapping, ...]) -> dict:
    """Return the public JSON record of one code (codes.json, codes/<code>.json); rows are
    the code's Q.850 mappings."""
    reference = lambda ref: {"rfc": ref.rfc, "section": ref.section, "url": ref.url}  # noqa: E731
    return {
        "code": code.code,
        "phrase": code.phrase,
        "status": code.status,
        "class": code.class_key,
        "final": code.is_final,
        "summary": code.summary,
        "next_step": {
            "action": code.next_step.action,
            "rule": code.next_step.rule.markdown.strip(),
            "references": [reference(ref) for ref in code.next_step.references],
        },
        "url": code.url,
        "page": content.site.base_url and content.site.base_url + code.url,
        "references": [reference(ref) for ref in code.references],
        "cited": [reference(ref) for ref in page_references(code, q850_parts(code, rows))],
        "aliases": [{"phrase": a.phrase, "note": a.note} for a in code.aliases],
        "keywords": list(code.keywords),
        "description": code.description.markdown,
        "sent_by": code.sent_by.markdown,
        "causes": [cause.markdown for cause in code.causes],
        "what_to_do": code.what_to_do.markdown,
        "methods": [
            {
                "method": m.method,
                "anchor": f"{code.url}#{m.method}",
                "meaning": m.meaning.markdown.strip(),
            }
            for m in code.methods
        ],
        "guides": [guide.url for guide in content.guides_for(code.code)],
        "headers": [
            {
                "name": h.name,
                "requirement": h.requirement,
                "note": h.note,
                "reference": reference(h.reference),
            }
            for h in code.headers
        ],
        "example": code.example,
        "related": [{"code": r.code, "note": r.note} for r in code.related],
        "checked": code.checked
        and {
            "month": code.checked.month,
            "label": f"Checked against {code.checked.label}",
            "against": [reference(ref) for ref in code.checked.references],
            "sources": list(code.checked.sources),
        },
        "q850": [
            {
                "direction": m.direction,
                "cause": m.cause,
                "cause_name": content.causes[m.cause],
                "note": m.note,
                "reference": reference(m.reference),
            }
            for m in rows
        ],
    }


def render_code_records(content: Content, rows: dict[int, tuple[Mapping, ...]]) -> dict[str, bytes]:
    """Return codes.json (every code) and codes/<code>.json (one code), each record encoded once."""

    def encode(data: object) -> str:  # compact, so json uses its C encoder
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    header = encode({"version": API_VERSION, "content_version": content.site.version})[:-1]
    records = {n: encode(code_record(content, content.codes[n], rows[n])) for n in content.codes}
    files = {"codes.json": f'{header},"codes":[{",".join(records.values())}]}}\n'.encode()}
    for number, record_text in records.items():
        files[f"codes/{number}.json"] = f'{header},"code":{record_text}}}\n'.encode()
    return files


def render_log_records(content: Content, tables: Tables) -> dict[str, bytes]:
    """Return causes.json (every Q.850 cause across RFC 3398, RFC 4497 and the products) and
    warn-codes.json, versioned like codes.json."""

    def encode(data: object) -> bytes:
        return (json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n").encode()

    header = {"version": API_VERSION, "content_version": content.site.version}

    def mapped(rows: tuple[Mapping, ...]) -> list[dict]:
        return [
            {
                "code": m.code,
                "note": m.note,
                "reference": {"rfc": m.reference.rfc, "section": m.reference.section},
            }
            for m in rows
        ]

    causes = []
    for row in tables.causes:
        products = {}
        for side in row.sides:
            products[side.product.key] = {
                "names": [c.name for c in side.causes],
                "sends": side.sends,
                "sends_by_default": side.sends_by_default,
                "sends_differs_from_rfc3398": side.sends_differs,
                "chan_sip_sends": side.chan_sip_sends,
                "from_codes": list(side.from_codes),
                "from_codes_differing_from_rfc3398": list(side.from_differs),
                "page": side.causes and f"{side.product.url}#{side.causes[0].name}" or None,
            }
        causes.append(
            {
                "cause": row.cause,
                "name": row.name,
                "named_by": row.named_by or None,
                "url": f"q850.html#{row.anchor}",
                "rfc3398": {
                    "to_sip": mapped(row.to_sip),
                    "to_sip_by_default": row.to_sip_by_default,
                    "no_response": row.no_response or None,
                    "from_sip": mapped(row.from_sip),
                },
                "rfc4497": {
                    "to_sip": mapped(row.qsig_to_sip),
                    "from_sip": mapped(row.qsig_from_sip),
                },
                "products": products,
            }
        )
    files = {
        "causes.json": encode(
            {
                **header,
                "defaults": {
                    "rfc3398": {
                        "response_for_unlisted_cause": 500,
                        "cause_for_unlisted_response": 31,
                    },
                    **{
                        product.key: {
                            "response_for_unlisted_cause": product.default_code,
                            "cause_for_unlisted_response": product.unlisted,
                        }
                        for product in content.products.values()
                    },
                },
                "causes": causes,
            }
        )
    }
    if content.warn_codes:
        files["warn-codes.json"] = encode(
            {
                **header,
                "warn_codes": [
                    {
                        "code": w.code,
                        "text": w.text,
                        "meaning": w.meaning,
                        "range": next(
                            f"{r.first}-{r.last}"
                            for r in content.warn_ranges
                            if r.first <= w.code <= r.last
                        ),
                        "used_with": w.used_with and w.used_with.markdown.strip(),
                        "reference": {
                            "rfc": w.reference.rfc,
                            "section": w.reference.section,
                            "url": w.reference.url,
                        },
                        "url": f"warning.html#warn-{w.code}",
                    }
                    for w in content.warn_codes.values()
                ],
            }
        )
    return files


def render_headers_file() -> str:
    """Return _headers, read by Netlify and Cloudflare Pages: security headers on every path."""
    lines = "".join(f"  {name}: {value}\n" for name, value in SECURITY_HEADERS.items())
    return f"/*\n{lines}"


def render_code_markdown(content: Content, code: Code, rows: tuple[Mapping, ...]) -> str:
    """Return codes/<code>.md: the page's facts as plain Markdown, for terminals and programs."""
    code_class = content.classes[code.class_key]
    kind = "final" if code.is_final else "provisional"
    lines = [
        f"# {code.title}",
        "",
        code.summary,
        "",
        f"- Class: {code_class.title}, {kind} response",
        f"- Status: {code.status}",
        f"- Defined in: {code.references[0].label} ({code.references[0].url})",
    ]
    lines += [f'- Also seen as: "{alias.phrase}" ({alias.note})' for alias in code.aliases]
    lines += [
        "",
        "## Next step",
        "",
        f"**{code.next_step.label}.** " + code.next_step.rule.markdown.strip(),
    ]
    sections = [
        ("What it means", code.description.markdown),
        ("Who sends it", code.sent_by.markdown),
        ("Typical causes", "\n".join(f"- {cause.markdown}" for cause in code.causes)),
        ("What to do", code.what_to_do.markdown),
    ]
    sections += [(f"In answer to {m.name}", m.meaning.markdown) for m in code.methods]
    for heading, text in sections:
        lines += ["", f"## {heading}", "", text.strip()]
    lines += ["", "## Header fields", ""]
    lines += [
        f"- `{h.name}`: {h.requirement} ({h.reference.label})" + (f": {h.note}" if h.note else "")
        for h in code.headers
    ] or [f"No header field is specific to {code.code}."]
    lines += [
        "",
        "## Example",
        "",
        "```",
        code.example.rstrip("\n"),
        "```",
        "",
        "## Related codes",
        "",
    ]
    lines += [f"- [{content.codes[r.code].title}]({r.code}.md): {r.note}" for r in code.related]
    parts = q850_parts(code, rows)
    if parts:
        lines += ["", "## ISDN / Q.850 cause mapping"]
        for part in parts:
            lines += ["", f"### {part.heading}", "", part.lead]
            lines += [
                f"- Cause {row.cause} ({content.causes[row.cause]}), "
                f"{row.reference.label}{': ' + row.note if row.note else ''}"
                for row in part.rows
            ]
    lines += ["", "## References", ""]
    for rfc, sections_cited in grouped_references(page_references(code, parts), content.rfcs):
        cited = ", ".join(f"§{ref.section}" for ref in sections_cited)
        sections_text = f" ({cited})" if cited else ""
        lines.append(f"- RFC {rfc.number}: {rfc.title}{sections_text}, {rfc.url}")
    if code.checked:
        lines += ["", f"Checked against {code.checked.label}."]
    return "\n".join(lines) + "\n"


def render_llms_txt(content: Content) -> str:
    """Return llms.txt: what the site is, and where each code's Markdown rendition is."""
    lines = [
        f"# {content.site.title}",
        "",
        f"> {content.site.description}",
        "",
        "Each code has an HTML page (codes/<code>.html) and the same facts as Markdown "
        "(codes/<code>.md); codes.json holds them all as JSON.",
        "",
    ]
    for key, codes in codes_by_class(content).items():
        lines += [f"## {content.classes[key].title}", ""]
        lines += [f"- [{code.title}](codes/{code.code}.md): {code.summary}" for code in codes]
        lines.append("")
    return "\n".join(lines)


def render_sitemap(content: Content, pages: dict[str, bytes]) -> str:
    """Return sitemap.xml listing every HTML page but 404.html, with absolute URLs."""
    urls = [
        content.site.base_url + ("" if path == "index.html" else path)
        for path in sorted(pages)
        if path.endswith(".html") and path != "404.html"
    ]
    entries = "".join(f"<url><loc>{escape(url)}</loc></url>\n" for url in urls)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{entries}</urlset>\n"
    )


def rfc_codes(content: Content) -> dict[int, dict[str, list[Code]]]:
    """Return, per RFC, the codes it defines (first reference) and the codes that cite it."""
    index: dict[int, dict[str, list[Code]]] = {
        n: {"defines": [], "cites": []} for n in sorted(content.rfcs)
    }
    for code in content.codes.values():
        cited = {ref.rfc for ref in code.references} | {h.reference.rfc for h in code.headers}
        index[code.references[0].rfc]["defines"].append(code)
        for rfc in sorted(cited - {code.references[0].rfc}):
            index[rfc]["cites"].append(code)
    return index


def render_site(
    content: Content, env: jinja2.Environment, run: Runner = run_here, offline: bool = False
) -> dict[str, bytes]:
    """Return every generated file of the site as UTF-8 bytes, keyed by its path inside the
    output folder; offline=True gives the edition zipped and opened from disk.

    The HTML pages are PageJobs that run renders (forked by a build; serve renders only the
    jobs unequal to last time's); the JSON, search and text files are made here, each time.
    """
    tables = derive_tables(content)
    pages = render_pages(env, page_jobs(content, tables, offline), run)
    pages.update(render_code_records(content, tables.mappings))
    pages.update(render_log_records(content, tables))
    texts = render_search_files(content, tables)
    texts["llms.txt"] = render_llms_txt(content)
    texts.update(
        (f"codes/{n}.md", render_code_markdown(content, content.codes[n], tables.mappings[n]))
        for n in content.codes
    )
    hosted_at = content.site.base_url  # OpenSearch and sitemaps take absolute URLs only
    if hosted_at:
        texts["opensearch.xml"] = render_template(
            env, "opensearch.xml", "opensearch.xml", site=content.site
        )
    if not offline:  # only a hosted site is crawled or sends headers
        texts["_headers"] = render_headers_file()
        texts["robots.txt"] = "User-agent: *\nAllow: /\n"
        if hosted_at:
            texts["sitemap.xml"] = render_sitemap(content, pages)
            texts["robots.txt"] += f"Sitemap: {hosted_at}sitemap.xml\n"
    pages.update((path, text.encode("utf-8")) for path, text in texts.items())
    return pages
