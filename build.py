"""Build the SIP response code reference: content/ -> templates/ -> site/.

The pipeline is one module per stage in sipref/: model, yamlfile (load), content (validate),
render, write. Everything is rendered in memory first, so a mistake in content or a template
stops the build before the output directory is touched. This file is the command line.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from sipref.content import base_url_error, load_content
from sipref.model import BuildError, display_path
from sipref.render import make_env, render_site
from sipref.write import check_output_dir, write_site

ROOT = Path(__file__).resolve().parent



# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Options:
    """The command line, parsed."""

    content: Path
    templates: Path
    out: Path
    base_url: str | None


def parse_args(argv: list[str] | None) -> Options:
    """Return the Options for argv."""
    parser = argparse.ArgumentParser(description="Build the SIP response code reference site.")
    parser.add_argument("--content", type=Path, default=ROOT / "content",
                        help="content folder (default: content/)")
    parser.add_argument("--templates", type=Path, default=ROOT / "templates",
                        help="templates folder (default: templates/)")
    parser.add_argument("--out", type=Path, default=ROOT / "site",
                        help="output folder, replaced on success (default: site/)")
    parser.add_argument("--base-url", default=None,
                        help="absolute URL the site is hosted at (default: from site.yaml)")
    args = parser.parse_args(argv)
    if args.base_url is not None and (error := base_url_error(args.base_url)):
        parser.error(error)
    return Options(args.content, args.templates, args.out, args.base_url)


def build(options: Options) -> int:
    """Build the site described by options and return the number of files written."""
    check_output_dir(options.out, ROOT)
    content = load_content(options.content, options.base_url)
    pages = render_site(content, make_env(options.templates))
    return write_site(pages, options.templates / "static", options.out)


def main(argv: list[str] | None = None) -> int:
    """Build site/ from content/ and templates/; return the exit status."""
    options = parse_args(argv)
    started = time.perf_counter()
    try:
        written = build(options)
    except BuildError as err:
        print(err, file=sys.stderr)
        return 1
    elapsed = time.perf_counter() - started
    print(f"{display_path(options.out)}: {written} files written in {elapsed:.2f} s",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
