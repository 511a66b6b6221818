"""Render: model -> {output path: UTF-8 bytes}. Pure: no file is read or written here."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
from markupsafe import escape

from sipref.model import (
    CLASS_KEYS,
    DIRECTIONS,
    Code,
    Content,
    Mapping,
    TemplateProblem,
    display_path,
)
from sipref.parallel import map_forked

SEARCH_INDEX_VERSION = 1
# One policy for the meta tag in every page and for the hosts' _headers file: only the site's
# own files, no inline script or style. frame-ancestors works only as a real header.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; "
                           "img-src 'self'; connect-src 'self'; base-uri 'self'; "
                           "form-action 'self'; object-src 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY + "; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


# ---------------------------------------------------------------------------------------------
# Render: model -> {output path: text}, no I/O
# ---------------------------------------------------------------------------------------------


def make_env(templates_dir: Path, offline: bool = False) -> jinja2.Environment:
    """Return the one Jinja environment: autoescaped, strict about undefined names.

    offline marks the zipped edition opened from disk: its home page says which version it is.
    """
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
    env.globals["offline"] = offline
    env.globals["content_security_policy"] = CONTENT_SECURITY_POLICY
    return env


def template_cache() -> jinja2.BytecodeCache | None:
    """Return a cache of compiled templates in the user's temporary folder, keyed by a checksum
    of each template's source, so a build compiles only the templates that changed; None where
    no private temporary folder can be made (then every build compiles them)."""
    try:
        return jinja2.FileSystemBytecodeCache()
    except (OSError, RuntimeError):
        return None


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


# For serve: rendered texts by output path, with the inputs they were rendered from. A page
# whose inputs compare equal is not rendered again.
Memo = dict[str, tuple[Any, str | bytes]]


def is_memoised(memo: Memo | None, key: str, inputs: Any) -> bool:
    """Return whether memo holds key's text rendered from these same inputs."""
    return memo is not None and key in memo and memo[key][0] == inputs


def memoised(memo: Memo | None, key: str, inputs: Any, render: Any) -> str:
    """Return memo[key]'s text if its inputs are unchanged, else render() and remember it.
    Without a memo (a one-off build), remember nothing: each text is held once."""
    if is_memoised(memo, key, inputs):
        return memo[key][1]  # type: ignore[index]
    text = render()
    if memo is not None:
        memo[key] = (inputs, text)
    return text


def code_page_inputs(content: Content, code: Code, rows: tuple[Mapping, ...]) -> tuple:
    """Return everything codes/<code>.html shows, for comparison with the last rendering."""
    title = lambda other: other and (other.code, other.phrase)  # noqa: E731 - links show these
    cited = sorted({r.rfc for r in code.references} | {h.reference.rfc for h in code.headers})
    return (code, tuple(map(title, neighbours(content, code))),
            tuple(title(content.codes[r.code]) for r in code.related), rows,
            tuple((row.cause, content.causes[row.cause]) for row in rows),
            tuple(content.rfcs[n] for n in cited), title(content.codes.get(code.code // 100 * 100)))


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


# One HTML page to render: its output path, everything it shows (compared with the memo), and
# how to render it.
PageJob = tuple[str, tuple, Callable[[], str]]


def page_jobs(env: jinja2.Environment, content: Content,
              rows: dict[int, tuple[Mapping, ...]]) -> list[PageJob]:
    """Return a job for every HTML page of the site; rows are each code's Q.850 mappings."""
    groups = codes_by_class(content)
    frame = (content.site, tuple(content.classes.values()))  # head, nav and footer of every page
    titles = tuple((c.code, c.phrase, c.status) for c in content.codes.values())

    def page(path: str, template: str, inputs: tuple, canonical: str | None = None,
             **context: Any) -> PageJob:
        return path, (frame, inputs), lambda: render_template(
            env, template, path, **page_context(content, path, canonical), **context)

    jobs = [
        page("index.html", "index.html", tuple(content.codes.values()), "", groups=groups),
        page("q850.html", "q850.html", (tuple(content.causes.items()), content.mappings, titles),
             causes=content.causes, mappings=content.mappings, codes=content.codes,
             directions=DIRECTIONS),
        page("rfcs.html", "rfcs.html",
             (tuple(content.rfcs.values()), titles,
              tuple((c.references, tuple(h.reference for h in c.headers))
                    for c in content.codes.values())),
             rfcs=content.rfcs, rfc_codes=rfc_codes(content)),
    ]
    jobs += [page(f"classes/{key}.html", "class.html", tuple(groups[key]),
                  code_class=content.classes[key], codes=groups[key]) for key in CLASS_KEYS]
    jobs += [(code.url, (frame, code_page_inputs(content, code, rows[code.code])),
              lambda code=code: render_code_page(env, content, code))
             for code in (content.codes[n] for n in sorted(content.codes))]
    jobs.append(page("404.html", "404.html", titles,
                     base_path=urlsplit(content.site.base_url).path, codes=sorted(content.codes)))
    return jobs


def render_pages(memo: Memo | None, jobs: list[PageJob], processes: int) -> dict[str, bytes]:
    """Return the bytes of every job's page, rendering only those not in the memo."""
    stale = [job for job in jobs if not is_memoised(memo, job[0], job[1])]
    # Encoded where rendered: UTF-8 bytes take half the memory of text with one typographic
    # quote in it, and half the time to send back from a worker.
    texts = dict(zip([path for path, _, _ in stale],
                     map_forked(lambda job: job[2]().encode("utf-8"), stale, processes),
                     strict=True))
    if memo is not None:
        memo.update((path, (inputs, texts[path])) for path, inputs, _ in stale)
    return {path: texts[path] if path in texts else memo[path][1]  # type: ignore[index]
            for path, _, _ in jobs}


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


def render_code_records(content: Content, memo: Memo | None,
                        rows: dict[int, tuple[Mapping, ...]]) -> dict[str, bytes]:
    """Return codes.json (every code) and codes/<code>.json (one code), each record encoded once."""
    def encode(data: object) -> str:  # compact, so json uses its C encoder
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    def record(code: Code) -> str:
        inputs = (code, content.site.base_url, rows[code.code],
                  tuple(content.causes[row.cause] for row in rows[code.code]))
        return memoised(memo, f"record:{code.code}", inputs,
                        lambda: encode(code_record(content, code)))

    header = encode({"version": API_VERSION, "content_version": content.site.version})[:-1]
    records = {n: record(content.codes[n]) for n in sorted(content.codes)}
    files = {"codes.json": f'{header},"codes":[{",".join(records.values())}]}}\n'.encode()}
    for number, record_text in records.items():
        files[f"codes/{number}.json"] = f'{header},"code":{record_text}}}\n'.encode()
    return files


def render_headers_file() -> str:
    """Return _headers, read by Netlify and Cloudflare Pages: security headers on every path."""
    lines = "".join(f"  {name}: {value}\n" for name, value in SECURITY_HEADERS.items())
    return f"/*\n{lines}"


def render_sitemap(content: Content, pages: dict[str, bytes]) -> str:
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


def render_site(content: Content, env: jinja2.Environment, memo: Memo | None = None,
                processes: int = 1) -> dict[str, bytes]:
    """Return every generated file of the site as UTF-8 bytes, keyed by its path inside the
    output folder.

    A memo kept between calls (by serve) skips every page whose inputs are unchanged; the
    caller clears it when a template changes. With processes > 1, the HTML pages are shared
    among that many forked processes.
    """
    rows = {n: tuple(m for m in content.mappings if m.code == n) for n in content.codes}
    pages = render_pages(memo, page_jobs(env, content, rows), processes)
    pages.update(render_code_records(content, memo, rows))
    texts = {"opensearch.xml": render_template(env, "opensearch.xml", "opensearch.xml",
                                               site=content.site),
             **render_search_files(content)}
    if not env.globals["offline"]:  # only a hosted site is crawled or sends headers
        texts["_headers"] = render_headers_file()
        texts["sitemap.xml"] = render_sitemap(content, pages)
        texts["robots.txt"] = (f"User-agent: *\nAllow: /\n"
                               f"Sitemap: {content.site.base_url}sitemap.xml\n")
    pages.update((path, text.encode("utf-8")) for path, text in texts.items())
    return pages


