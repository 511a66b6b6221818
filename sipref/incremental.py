"""Rebuilds for serve: keep Python, templates and the results of unchanged jobs warm between
saves, and write only the files an edit changed. serve watches the folders and says what
changed; this module owns what is kept between rebuilds and does not know how watching is
done. It builds through the same make_site as build.py, with a Memo as each stage's runner."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from sipref.model import BuildError, display_path
from sipref.pipeline import make_site
from sipref.render import make_env
from sipref.write import remove_leftovers, update_site, write_site


@dataclass
class Memo:
    """Runs a stage's jobs, keeping each result from one run to the next: a job equal to the
    one of the same path last time is not run again. A job is a tuple whose first item is its
    path and whose other items are everything its result depends on (a FileJob, a PageJob),
    compared by value; what a job cannot show (the function, the templates) is the caller's
    to watch, by clearing the memo."""

    kept: dict[Any, tuple[tuple, Any]] = field(default_factory=dict)

    def run(self, function: Callable[[Any], Any], jobs: Sequence[tuple]) -> list[Any]:
        """Return [function(job) for job in jobs], reusing the results of unchanged jobs."""
        kept = self.kept
        results = [
            kept[job[0]][1] if job[0] in kept and kept[job[0]][0] == job else function(job)
            for job in jobs
        ]
        self.kept = {job[0]: (job, result) for job, result in zip(jobs, results, strict=True)}
        return results

    def clear(self) -> None:
        self.kept = {}


@dataclass
class Rebuilder:
    """Called on every change; the first call is a full, atomic build."""

    content: Path
    templates: Path
    out: Path
    base_url: str | None
    files: Memo = field(default_factory=Memo)
    pages: Memo = field(default_factory=Memo)
    written: dict[str, bytes] | None = None
    env: jinja2.Environment | None = None

    def __call__(self, changed: set[Path] | None = None) -> int:
        """Rebuild after the files in changed changed (None: any file may have); report on
        stderr; return 0, or 1 after a content or template mistake. Any other failure is
        raised, for serve to report, after making sure the next call starts afresh."""
        started = time.perf_counter()
        try:
            templates = self.templates.resolve()
            if (
                self.env is None
                or changed is None
                or any(path.resolve().is_relative_to(templates) for path in changed)
            ):
                # A page job cannot show its templates: a changed base template changes
                # every page, so rendering starts afresh.
                self.env = make_env(self.templates)
                self.pages.clear()
            site = make_site(
                self.content,
                self.env,
                self.base_url,
                run_files=self.files.run,
                run_pages=self.pages.run,
            )
            if self.written is None:
                remove_leftovers(self.out.resolve())
                written = write_site(site.files, self.templates / "static", self.out)
            else:
                written = update_site(site.files, self.templates / "static", self.out, self.written)
        except BuildError as err:
            print(err, file=sys.stderr)
            return 1
        except BaseException:
            self.env = None  # whatever broke, the next rebuild starts with a fresh environment
            raise
        self.written = site.files
        elapsed = 1000 * (time.perf_counter() - started)
        print(
            f"{display_path(self.out)}: {written} files written in {elapsed:.0f} ms",
            file=sys.stderr,
        )
        return 0
