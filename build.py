"""Build the SIP response code reference: content/ -> templates/ -> site/.

The pipeline is one module per stage in sipref/: model, yamlfile (load), content (validate),
render, write. Everything is rendered in memory first, so a mistake in content or a template
stops the build before the output directory is touched. This file is the command line.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from pathlib import Path

from sipref.content import base_url_error, load_content
from sipref.model import BuildError, display_path
from sipref.parallel import usable_cpus
from sipref.render import make_env, render_site
from sipref.write import check_output_dir, remove_leftovers, write_site

ROOT = Path(__file__).resolve().parent



# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------


COMMANDS = ("build", "serve", "bundle")


@dataclasses.dataclass(frozen=True, slots=True)
class Options:
    """The command line, parsed."""

    command: str
    content: Path
    templates: Path
    out: Path
    base_url: str | None
    dist: Path
    port: int


def parse_args(argv: list[str] | None) -> Options:
    """Return the Options for argv: [build|serve|bundle] [options]."""
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv.pop(0) if argv and argv[0] in COMMANDS else "build"
    parser = argparse.ArgumentParser(
        prog=f"build.py {command}",
        description={"build": "Build content/ into site/.",
                     "serve": "Build, serve on localhost like a static host, rebuild on changes.",
                     "bundle": "Build the offline edition as dist/sip-response-codes-<version>"
                               ".zip."}[command])
    parser.add_argument("--content", type=Path, default=ROOT / "content",
                        help="content folder (default: content/)")
    parser.add_argument("--templates", type=Path, default=ROOT / "templates",
                        help="templates folder (default: templates/)")
    parser.add_argument("--out", type=Path, default=ROOT / "site",
                        help="output folder, replaced on success (default: site/)")
    parser.add_argument("--base-url", default=None,
                        help="absolute URL the site is hosted at (default: from site.yaml)")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist",
                        help="bundle: folder for the zip (default: dist/)")
    parser.add_argument("--port", type=int, default=8000, help="serve: port (default: 8000)")
    args = parser.parse_args(argv)
    if args.base_url is not None and (error := base_url_error(args.base_url)):
        parser.error(error)
    return Options(command, args.content, args.templates, args.out, args.base_url, args.dist,
                   args.port)


def build(options: Options) -> int:
    """Build the site described by options and return the number of files written."""
    check_output_dir(options.out, ROOT)
    remove_leftovers(options.out.resolve())  # first, so a failed build still restores a site
    processes = usable_cpus()
    content = load_content(options.content, options.base_url, processes=processes)
    pages = render_site(content, make_env(options.templates), processes=processes)
    return write_site(pages, options.templates / "static", options.out, processes)


def bundle(options: Options) -> Path:
    """Build the offline edition into a reproducible zip and return its path."""
    from sipref.bundle import write_bundle  # zipfile costs an import only this command needs
    processes = usable_cpus()
    content = load_content(options.content, options.base_url, processes=processes)
    pages = render_site(content, make_env(options.templates, offline=True), processes=processes)
    name = f"sip-response-codes-{content.site.version}"
    zip_path = options.dist / f"{name}.zip"
    write_bundle(pages, options.templates / "static", zip_path, name)
    return zip_path


def timed_build(options: Options) -> int:
    """Build once, report the result on stderr, and return the exit status."""
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


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    options = parse_args(argv)
    if options.command == "serve":
        from sipref import serve  # http.server costs an import only this command needs
        from sipref.incremental import Rebuilder
        if options.base_url is None:  # links in 404.html resolve from the server's root
            options = dataclasses.replace(options, base_url=f"http://127.0.0.1:{options.port}/")
        try:
            check_output_dir(options.out, ROOT)
        except BuildError as err:
            print(err, file=sys.stderr)
            return 1
        rebuild = Rebuilder(options.content, options.templates, options.out, options.base_url)
        return serve.run(options.out, [options.content, options.templates], rebuild,
                         options.port)
    if options.command == "bundle":
        try:
            zip_path = bundle(options)
        except BuildError as err:
            print(err, file=sys.stderr)
            return 1
        print(f"{display_path(zip_path)}: offline bundle written", file=sys.stderr)
        return 0
    return timed_build(options)


if __name__ == "__main__":
    status = main()
    # Every file is written and closed by now; skip the interpreter's teardown of thousands of
    # objects, a tenth of a build's time, as a short-lived command may.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
