"""Rebuilds for serve: keep Python, templates and validated content warm between saves, and
write only the files an edit changed."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from sipref.content import FileCache, load_content
from sipref.model import BuildError, display_path
from sipref.render import Memo, make_env, render_site
from sipref.serve import snapshot, unexpected_failure
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
    templates_seen: dict = field(default_factory=dict)

    def __call__(self) -> int:
        """Rebuild; report on stderr; return 0, or 1 after a content or template mistake."""
        started = time.perf_counter()
        try:
            templates_now = snapshot([self.templates])
            if self.env is None or templates_now != self.templates_seen:
                # A changed base template changes every page: start rendering afresh.
                self.env, self.templates_seen = make_env(self.templates), templates_now
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
        except Exception as error:  # noqa: BLE001 - serve goes on after any failed rebuild
            # E.g. {{ 1/0 }} in a template: not a mistake the pipeline names, but the author
            # still needs to hear of it, and the next save must still rebuild.
            self.templates_seen = {}  # make the environment afresh next time
            print(unexpected_failure(error), file=sys.stderr)
            return 1
        self.pages = pages
        elapsed = 1000 * (time.perf_counter() - started)
        print(f"{display_path(self.out)}: {written} files written in {elapsed:.0f} ms",
              file=sys.stderr)
        return 0
