"""Build the SIP response code reference: content/ -> templates/ -> site/.

The pipeline is one module per stage in sipref/: load (files to plain data), validate (plain
data to the model in model.py), render (the model to files in memory) and write (the files into
the output folder); pipeline.make_site runs the first three for every command. Everything is
rendered in memory first, so a mistake in content or a template stops the build before the
output folder is touched. This file is the command line.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from sipref.model import BuildError, display_path
from sipref.parallel import forked, usable_cpus
from sipref.pipeline import make_site
from sipref.validate import base_url_error
from sipref.write import check_output_dir, describe_os_error, remove_leftovers, write_site

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
        description={
            "build": "Build content/ into site/.",
            "serve": "Build, serve on localhost like a static host, rebuild on changes.",
            "bundle": "Build the offline edition as dist/sip-response-codes-<version>.zip.",
        }[command],
    )
    parser.add_argument(
        "--content", type=Path, default=ROOT / "content", help="content folder (default: content/)"
    )
    parser.add_argument(
        "--templates",
        type=Path,
        default=ROOT / "templates",
        help="templates folder (default: templates/)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=ROOT / "site",
        help="output folder, replaced on success (default: site/)",
    )
    parser.add_argument(
        "--base-url",
        default=None,
        help="absolute URL the site is hosted at (default: from site.yaml)",
    )
    if command == "bundle":  # each option only where it applies, as the help says
        parser.add_argument(
            "--dist", type=Path, default=ROOT / "dist", help="folder for the zip (default: dist/)"
        )
    if command == "serve":
        parser.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    parser.add_argument("--version", action="version", version=f"build.py {project_version()}")
    args = parser.parse_args(argv)
    if args.base_url is not None and (error := base_url_error(args.base_url)):
        parser.error(error)
    return Options(
        command,
        args.content,
        args.templates,
        args.out,
        args.base_url,
        getattr(args, "dist", ROOT / "dist"),
        getattr(args, "port", 8000),
    )


def project_version() -> str:
    """Return the generator's version from pyproject.toml (the content has its own, in
    site.yaml, shown in every footer)."""
    import tomllib  # only for --version

    try:
        with open(ROOT / "pyproject.toml", "rb") as file:
            return tomllib.load(file)["project"]["version"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


def build(options: Options) -> int:
    """Build the site described by options and return the number of files written."""
    check_output_dir(options.out, [options.content, options.templates], ROOT)
    remove_leftovers(options.out.resolve())  # first, so a failed build still restores a site
    processes = usable_cpus()
    site = make_site(
        options.content,
        options.templates,
        options.base_url,
        run_files=forked(processes),
        run_pages=forked(processes),
    )
    say_if_no_base_url(options, site.content.site.base_url)
    return write_site(site.files, options.templates / "static", options.out, processes)


def say_if_no_base_url(options: Options, base_url: str | None) -> None:
    """Say once how to set the base URL, where none is set: the site is built without the
    absolute URLs that need one rather than with an invented domain."""
    if base_url is None:
        print(
            f"{display_path(options.content / 'site.yaml')}: no base_url set, so pages have "
            "no canonical link or og:url and there is no sitemap.xml or opensearch.xml; set "
            "base_url there or pass --base-url https://your.host/path/",
            file=sys.stderr,
        )


def bundle(options: Options) -> Path:
    """Build the offline edition into a reproducible zip and return its path."""
    from sipref.bundle import check_dist, write_bundle, zip_timestamp  # zipfile: only here

    stamp = zip_timestamp(os.environ.get("SOURCE_DATE_EPOCH"))  # before the work it would waste
    check_dist(options.dist)
    processes = usable_cpus()
    site = make_site(
        options.content,
        options.templates,
        options.base_url,
        offline=True,
        run_files=forked(processes),
        run_pages=forked(processes),
    )
    say_if_no_base_url(options, site.content.site.base_url)
    name = f"sip-response-codes-{site.content.site.version}"
    zip_path = options.dist / f"{name}.zip"
    write_bundle(site.files, options.templates / "static", zip_path, name, stamp)
    return zip_path


class Terminated(BaseException):
    """SIGTERM, raised like Ctrl-C's KeyboardInterrupt so the same clean-up runs."""


def raise_terminated(signum: int, frame: object) -> None:
    """Turn SIGTERM into Terminated (forked workers inherit this and send it back)."""
    raise Terminated


@contextlib.contextmanager
def terminate_as_exception() -> Iterator[None]:
    """Within the block, SIGTERM raises Terminated; outside, it does what it did before."""
    try:
        previous = signal.signal(signal.SIGTERM, raise_terminated)
    except ValueError:  # not the main thread (a test calling main): leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_reporting(work: Callable[[], str], kept: str) -> int:
    """Run work and print the line it returns; print a mistake, an error of the machine or an
    interruption as one line instead, saying what was kept, and return the exit status."""
    try:
        with terminate_as_exception():
            print(work(), file=sys.stderr)
        return 0
    except BuildError as err:
        print(err, file=sys.stderr)
        return 1
    except OSError as err:  # the stages name the files they fail on; this one may not
        print(
            describe_os_error(err, None, f"fix it and try again; {kept} left as it was"),
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        print(f"interrupted; {kept} left as it was", file=sys.stderr)
        return 128 + signal.SIGINT
    except Terminated:
        print(f"terminated; {kept} left as it was", file=sys.stderr)
        return 128 + signal.SIGTERM


def timed_build(options: Options) -> int:
    """Build once, report the result on stderr, and return the exit status."""

    def work() -> str:
        started = time.perf_counter()
        written = build(options)
        elapsed = time.perf_counter() - started
        return f"{display_path(options.out)}: {written} files written in {elapsed:.2f} s"

    return run_reporting(work, display_path(options.out))


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    try:
        os.getcwd()
    except FileNotFoundError:  # every relative path, and each message's paths, start there
        print(
            "build.py: the working folder no longer exists; cd into a folder that does and "
            "run it again",
            file=sys.stderr,
        )
        return 1
    options = parse_args(argv)
    if options.command == "serve":
        from sipref import serve  # http.server costs an import only this command needs
        from sipref.incremental import Rebuilder

        if options.base_url is None:  # links in 404.html resolve from the server's root
            options = dataclasses.replace(options, base_url=f"http://127.0.0.1:{options.port}/")
        try:
            check_output_dir(options.out, [options.content, options.templates], ROOT)
        except BuildError as err:
            print(err, file=sys.stderr)
            return 1
        rebuild = Rebuilder(options.content, options.templates, options.out, options.base_url)
        return serve.run(options.out, [options.content, options.templates], rebuild, options.port)
    if options.command == "bundle":
        return run_reporting(
            lambda: f"{display_path(bundle(options))}: offline bundle written",
            display_path(options.dist),
        )
    return timed_build(options)


if __name__ == "__main__":
    sys.exit(main())
