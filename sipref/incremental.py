"""Rebuilds for serve: keep Python, templates and validated content warm between saves, and
write only the files an edit changed. serve watches the folders and says what changed; this
module owns what is kept between rebuilds (the validated files and the rendered pages) and
does not know how watching is done."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from sipref.content import FileCache, load_content
from sipref.model import BuildError, display_path
from sipref.render import Memo, make_env, render_site
from sipref.write import remove_leftovers, update_site, write_site


@dataclass
class Rebuilder:
    """Called on every change; the first call is a full, atomic build."""

    content: Path
    templates: Path
    out: Path
    base_url: str | None
    cache: FileCache = field(default_factory=dict)
    memo: Memo = field(default_factory=dict)
    pages: dict[str, bytes] | None = None
    env: jinja2.Environment | None = None

    def __call__(self, changed: set[Path] | None = None) -> int:
        """Rebuild after the files in changed changed (None: any file may have); report on
        stderr; return 0, or 1 after a content or template mistake. Any other failure is
        raised, for serve to report, after making sure the next call starts afresh."""
        started = time.perf_counter()
        try:
            templates = self.templates.resolve()
            if self.env is None or changed is None or any(
                    path.resolve().is_relative_to(templates) for path in changed):
                # The memo cannot see into templates: a changed base template changes every
                # page, so rendering starts afresh.
                self.env = make_env(self.templates)
                self.memo.clear()
            content = load_content(self.content, self.base_url, self.cache)
            pages = render_site(content, self.env, self.memo)
            if self.pages is None:
                remove_leftovers(self.out.resolve())
                written = write_site(pages, self.templates / "static", self.out)
            else:
                written = update_site(pages, self.templates / "static", self.out, self.pages)
        except BuildError as err:
            print(err, file=sys.stderr)
            return 1
        except BaseException:
            self.env = None  # whatever broke, the next rebuild starts with a fresh environment
            raise
        self.pages = pages
        elapsed = 1000 * (time.perf_counter() - started)
        print(f"{display_path(self.out)}: {written} files written in {elapsed:.0f} ms",
              file=sys.stderr)
        return 0
