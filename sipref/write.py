"""Write: the only stage that touches the output folder, and it swaps a finished one in."""

from __future__ import annotations

import ctypes
import os
import shutil
import stat
import sys
import tempfile
from pathlib import Path

from sipref.model import BuildError, display_path
from sipref.parallel import map_forked

# ---------------------------------------------------------------------------------------------
# Write: the only stage that touches the output folder
# ---------------------------------------------------------------------------------------------


def check_output_dir(out: Path, project: Path) -> None:
    """Refuse an output folder whose replacement would destroy sources."""
    out = out.resolve()
    protected = [project, project / "content", project / "templates", project / "tests",
                 Path.home().resolve(), Path("/").resolve()]
    for path in protected:
        if out == path or path.is_relative_to(out):
            raise BuildError(f"{display_path(out)}: refusing to build into this folder, it is "
                             f"or contains {display_path(path)}; choose another --out")
    if out.exists() and not out.is_dir():
        raise BuildError(f"{display_path(out)}: output path exists and is not a folder; "
                         "choose another --out")


def write_site(pages: dict[str, bytes], static_dir: Path, out: Path,
               processes: int = 1) -> int:
    """Write pages and static files into a fresh folder, swap it in for out atomically, and
    return the number of files in the site.

    A file identical to the one out already has is hard-linked, not written again: creating
    and filling a file costs far more than linking it, and an unchanged file keeps its
    modification time, which hosts and rsync use to skip it. With processes > 1, the files
    are shared among that many forked processes.
    """
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    previous = out if out.is_dir() else None
    static = static_files(static_dir)
    paths = sorted([*pages, *static])
    for relative in paths:
        if not is_inside(relative):
            raise BuildError(f"{relative}: output path escapes the site folder")
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        for folder in sorted({(staging / relative).parent for relative in paths}):
            folder.mkdir(parents=True, exist_ok=True)

        def write(relative: str) -> None:
            data = static[relative].read_bytes() if relative in static else pages[relative]
            target = staging / relative
            if previous is None or not link_if_same(previous / relative, data, target):
                target.write_bytes(data)

        map_forked(write, paths, processes)
        os.chmod(staging, 0o755)
        swap_in(staging, out)
        return len(paths)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def static_files(static_dir: Path) -> dict[str, Path]:
    """Return the files of templates/static by their path in the site (static/...)."""
    if not static_dir.is_dir():
        return {}
    return {f"static/{path.relative_to(static_dir).as_posix()}": path
            for path in sorted(static_dir.rglob("*")) if path.is_file()}


def is_inside(relative: str) -> bool:
    """Return whether a page's relative path stays inside the site folder: no empty part
    (so no leading slash), no '.' and no '..'."""
    return all(part not in ("", ".", "..") for part in relative.split("/"))


COMPARE_CHUNK = 1 << 20


def link_if_same(old: Path, data: bytes, target: Path) -> bool:
    """Hard-link old to target if old is a regular file holding exactly data."""
    try:
        status = os.lstat(old)
        if not stat.S_ISREG(status.st_mode) or status.st_size != len(data):
            return False
        with old.open("rb") as file:  # in pieces: a large file is not held twice
            view = memoryview(data)
            for start in range(0, len(data), COMPARE_CHUNK):
                if file.read(COMPARE_CHUNK) != view[start:start + COMPARE_CHUNK]:
                    return False
        os.link(old, target, follow_symlinks=False)
        return True
    except OSError:  # gone, unreadable, or a file system without hard links: write it
        return False


def swap_in(staging: Path, out: Path) -> None:
    """Replace out with staging so that no moment exists without a complete site at out."""
    if not out.exists():
        staging.rename(out)
        return
    if exchange(staging, out):  # one atomic step: out is the new site, staging the old one
        shutil.rmtree(staging, ignore_errors=True)
        return
    # Without an atomic exchange, two renames; a kill between them leaves the previous site
    # in the .old- folder, which the next build restores before anything else.
    retired = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    retired.rmdir()
    out.rename(retired)
    staging.rename(out)
    shutil.rmtree(retired, ignore_errors=True)


def exchange(first: Path, second: Path) -> bool:
    """Atomically swap two paths with Linux renameat2(RENAME_EXCHANGE); False if unsupported."""
    if sys.platform != "linux":
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second),
                       rename_exchange)
    return result == 0


def remove_leftovers(out: Path) -> None:
    """Tidy what a killed build left beside out: restore a retired site if out is missing,
    then delete staging and retired folders."""
    retired = sorted(out.parent.glob(f".{out.name}.old-*"))
    if not out.exists() and retired:
        retired.pop().rename(out)
    for prefix in (f".{out.name}.tmp-", f".{out.name}.old-"):
        for leftover in out.parent.glob(prefix + "*"):
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)


def update_site(pages: dict[str, bytes], static_dir: Path, out: Path,
                previous: dict[str, bytes]) -> int:
    """Write only what changed since previous into out, in place, and delete what went away;
    return the number of files written. For serve, where an edit must show up at once."""
    written = 0
    for relative, data in sorted(pages.items()):
        if previous.get(relative) != data:
            replace_file(out / relative, data)
            written += 1
    for relative in sorted(set(previous) - set(pages)):
        (out / relative).unlink(missing_ok=True)
    for relative, path in static_files(static_dir).items():
        target, data = out / relative, path.read_bytes()
        if not target.is_file() or target.read_bytes() != data:
            replace_file(target, data)
            written += 1
    return written


def replace_file(target: Path, data: bytes) -> None:
    """Write data to target through a temporary file, so a reader never sees half of it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.write_bytes(data)
    partial.replace(target)
