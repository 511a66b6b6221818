"""The one orchestration of a build: load and validate the content folder, render every file.

build, bundle and serve's rebuilds all call make_site; they differ in the options (offline or
hosted), in how the jobs run (forked, or keeping last time's results) and in where the files
go afterwards (write_site, write_bundle, update_site).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jinja2

from sipref.model import Content
from sipref.parallel import Runner, run_here
from sipref.render import make_env, render_site
from sipref.validate import load_content


@dataclass(frozen=True, slots=True)
class RenderedSite:
    """A site rendered in memory: its content and every file, by path in the output folder."""

    content: Content
    files: dict[str, bytes]


def make_site(
    content_dir: Path,
    templates: Path | jinja2.Environment,
    base_url: str | None,
    *,
    offline: bool = False,
    run_files: Runner = run_here,
    run_pages: Runner = run_here,
) -> RenderedSite:
    """Return the site built from content_dir with templates (a folder, or the environment
    made from one); raise BuildError on a mistake in either, before anything is written.

    run_files runs the check of each content file and run_pages the rendering of each page."""
    content = load_content(content_dir, base_url, run_files)
    env = templates if isinstance(templates, jinja2.Environment) else make_env(templates)
    return RenderedSite(content, render_site(content, env, run_pages, offline))
