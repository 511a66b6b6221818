"""Write: the only stage that touches the output folder, and it swaps a finished one in."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sipref.model import BuildError, display_path
from sipref.parallel import map_forked

# ---------------------------------------------------------------------------------------------
# Which folders a build may replace
# ---------------------------------------------------------------------------------------------

# Written into every site: an existing folder without it holds someone else's files, which a
# build must never replace (mkdocs and Hugo users expect a build to own its output and no more).
MARKER = ".sipref-site"
MARKER_TEXT = b"Written by build.py (SIP response codes); the next build replaces this folder.\n"

# The system's own folders: the output may be none of them, contain none, and lie inside none.
SYSTEM_TREES = (
    "/bin",
    "/boot",
    "/dev",
    "/etc",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/proc",
    "/run",
    "/sbin",
    "/sys",
    "/usr/bin",
    "/usr/include",
    "/usr/lib",
    "/usr/lib32",
    "/usr/lib64",
    "/usr/libexec",
    "/usr/sbin",
    "/usr/share",
    "/var/backups",
    "/var/cache",
    "/var/lib",
    "/var/log",
    "/var/mail",
    "/var/spool",
)
# Folders that hold other people's folders: the output may lie inside them (/var/www/html,
# ~/preview) but may not be one of them.
SHARED_FOLDERS = (
    "/",
    "/home",
    "/media",
    "/mnt",
    "/opt",
    "/root",
    "/srv",
    "/tmp",
    "/usr",
    "/usr/local",
    "/var",
    "/var/tmp",
)
# The project's own folders, all of them sources: the output lies outside them all.
PROJECT_SOURCES = (
    "bench",
    "content",
    "schema",
    "scripts",
    "sipref",
    "templates",
    "tests",
    "tools",
    ".git",
    ".github",
    ".venv",
)


@dataclass(frozen=True, slots=True)
class Guarded:
    """A folder the output folder must not be or contain, nor, if deep, lie inside."""

    path: Path
    what: str
    deep: bool


def guarded_folders(reads: Iterable[Path], project: Path) -> list[Guarded]:
    """Return every folder a build must not destroy: what it reads (content, templates), the
    project and its sources, the Python it runs on, the home folder and the system's."""
    guarded = [Guarded(path.resolve(), "a folder the build reads", True) for path in reads]
    guarded += [
        Guarded((project / name).resolve(), "a folder of the project", True)
        for name in PROJECT_SOURCES
    ]
    guarded.append(Guarded(project.resolve(), "the project folder", False))
    guarded.append(Guarded(Path(sys.prefix).resolve(), "the Python environment", True))
    guarded.append(Guarded(Path.home().resolve(), "your home folder", False))
    guarded += [Guarded(Path(path).resolve(), "a system folder", True) for path in SYSTEM_TREES]
    guarded += [Guarded(Path(path).resolve(), "a system folder", False) for path in SHARED_FOLDERS]
    return guarded


def guard_problems(out: Path, guards: list[Guarded]) -> Iterator[str]:
    """Yield how out would destroy each guard: first what it is, then what it contains, then
    what it lies inside, so '/' is called a system folder before a folder holding content."""
    shown = lambda guard: f"{guard.what} ({display_path(guard.path)})"  # noqa: E731
    yield from (f"it is {shown(g)}" for g in guards if out == g.path)
    yield from (f"it contains {shown(g)}" for g in guards if g.path.is_relative_to(out))
    yield from (
        f"it lies inside {shown(g)}" for g in guards if g.deep and out.is_relative_to(g.path)
    )


def check_output_dir(out: Path, reads: Iterable[Path], project: Path) -> None:
    """Refuse an output folder whose replacement would destroy sources or system files, and
    one that cannot be a folder: a file, or below a file."""
    out = out.resolve()
    for problem in guard_problems(out, guarded_folders(reads, project)):
        raise BuildError(
            f"{display_path(out)}: refusing to build into this folder, "
            f"{problem}; choose another --out"
        )
    try:
        check_can_be_folder(out, "--out")
    except OSError as err:
        raise BuildError(describe_os_error(err, out, write_advice(err))) from None


def check_can_be_folder(path: Path, option: str) -> None:
    """Refuse path if it, or the nearest of its parents that exists, is not a folder."""
    for folder in (path, *path.parents):
        try:
            status = os.stat(folder)
        except (FileNotFoundError, NotADirectoryError):  # missing, or below a file: look up
            continue
        if stat.S_ISDIR(status.st_mode):
            return
        if folder == path:
            raise BuildError(
                f"{display_path(path)}: exists and is not a folder; choose another {option}"
            )
        raise BuildError(
            f"{display_path(path)}: cannot create this folder, "
            f"{display_path(folder)} is a file; choose another {option}"
        )


def check_ours(out: Path) -> None:
    """Refuse to replace an existing folder that holds files but no marker of an earlier site."""
    try:
        names = os.listdir(out)
    except FileNotFoundError:
        return
    if names and not is_regular_file(out / MARKER):
        raise BuildError(
            f"{display_path(out)}: refusing to replace this folder, it holds files "
            f"no build wrote (it has no {MARKER} file); empty or delete it, or "
            "choose another --out"
        )


def is_regular_file(path: Path) -> bool:
    """Return whether path is a regular file itself, not a symbolic link to one."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


# ---------------------------------------------------------------------------------------------
# What went wrong, in words
# ---------------------------------------------------------------------------------------------

# What an error number means to a user, and what to do about it when that is always the same.
OS_ERRORS = {
    errno.ENOSPC: ("no space left on the device", "free some space and try again"),
    errno.EDQUOT: ("over the disk quota", "free some space and try again"),
    errno.EMFILE: ("too many open files", "raise the limit (ulimit -n) and try again"),
    errno.ENFILE: ("too many open files", "raise the limit (ulimit -n) and try again"),
    errno.EIO: ("input/output error", "check the disk and try again"),
    errno.ENAMETOOLONG: ("a name in this path is too long", None),
    errno.EACCES: ("permission denied", None),
    errno.EPERM: ("operation not permitted", None),
    errno.EROFS: ("the file system is read-only", None),
    errno.ENOTDIR: ("a part of this path is a file, not a folder", None),
    errno.EISDIR: ("is a folder, not a file", None),
    errno.ENOENT: ("does not exist", None),
    errno.ELOOP: ("too many levels of symbolic links", None),
}


def describe_os_error(err: OSError, shown: Path | str | None, advice: str) -> str:
    """Return 'path: what is wrong; what to do' for an error of the operating system; shown is
    the path to name (err's own file name when None), advice what to do unless the error
    itself says (a full disk is freed, whichever file hit it)."""
    reason, fixed_advice = OS_ERRORS.get(err.errno, (None, None))
    if reason is None:
        reason = (err.strerror or type(err).__name__).lower()
    where = shown if shown is not None else err.filename
    prefix = f"{display_path(Path(os.fsdecode(where)))}: " if where is not None else ""
    return f"{prefix}{reason}; {fixed_advice or advice}"


# ---------------------------------------------------------------------------------------------
# One build at a time
# ---------------------------------------------------------------------------------------------


def lock_path(out: Path) -> Path:
    """Return the lock file beside out: inside it, the swap would replace it."""
    return out.parent / f".{out.name}.lock"


@contextlib.contextmanager
def output_lock(out: Path) -> Iterator[None]:
    """Hold the one lock that lets a build write out; refuse at once if another build has it.

    Without it, two builds compare with and link from a folder the other one is swapping out,
    and publish a mix of both. The lock file is removed on release, so a build that opened it
    just before checks that it still locks the file at that name."""
    path = lock_path(out)
    while True:
        handle = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(handle)
            raise BuildError(
                f"{display_path(out)}: another build is writing this folder; wait "
                "for it to finish, then build again"
            ) from None
        with contextlib.suppress(FileNotFoundError):
            if os.stat(path, follow_symlinks=False).st_ino == os.fstat(handle).st_ino:
                break
        os.close(handle)  # the file was removed by the build that held it: lock afresh
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        os.close(handle)


# ---------------------------------------------------------------------------------------------
# Write: the only stage that touches the output folder
# ---------------------------------------------------------------------------------------------


def write_site(pages: dict[str, bytes], static_dir: Path, out: Path, processes: int = 1) -> int:
    """Write pages and static files into a fresh folder, swap it in for out atomically, and
    return the number of files in the site.

    With processes > 1, the files are shared among that many forked processes. Out is refused
    if it holds files but no marker of an earlier site; a problem of the machine (a full disk,
    a read-only folder) becomes a BuildError naming the file, with out left as it was.
    """
    out = out.resolve()
    for relative in pages:
        if not is_inside(relative):
            raise BuildError(f"{relative}: output path escapes the site folder")
    try:
        static = static_files(static_dir)
        out.parent.mkdir(parents=True, exist_ok=True)
        with output_lock(out):
            check_ours(out)
            return write_and_swap(
                {**pages, MARKER: MARKER_TEXT},
                static,
                sorted([*pages, MARKER, *static]),
                out,
                processes,
            )
    except OSError as err:
        if err.filename is None:
            raise BuildError(describe_os_error(err, out, write_advice(err))) from None
        written = as_written(Path(os.path.abspath(os.fsdecode(err.filename))), out)
        advice = write_advice(err) if written else "make it readable"
        raise BuildError(describe_os_error(err, written, advice)) from None


def as_written(path: Path, out: Path) -> Path | None:
    """Return the path a user knows for a path the build writes (a file in the staging folder
    is named as in out, the lock and the staging folder as out), or None for one it reads."""
    if path.is_relative_to(out) or out.is_relative_to(path):
        return path
    if not path.is_relative_to(out.parent):
        return None
    first, *rest = path.relative_to(out.parent).parts
    if first == lock_path(out).name or first.startswith(f".{out.name}.tmp-"):
        return out.joinpath(*rest)
    return None


def write_and_swap(
    pages: dict[str, bytes], static: dict[str, Path], paths: list[str], out: Path, processes: int
) -> int:
    """Write paths into a staging folder beside out, swap it in, return len(paths)."""
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        for folder in sorted({(staging / relative).parent for relative in paths}):
            folder.mkdir(parents=True, exist_ok=True)

        def write(relative: str) -> None:
            target = staging / relative
            data = read_static(static[relative]) if relative in static else pages[relative]
            try:
                target.write_bytes(data)
            except OSError as err:  # a failed write names no file: name this one
                raise OSError(err.errno, err.strerror, str(target)) from None

        map_forked(write, paths, processes)
        os.chmod(staging, 0o755)
        swap_in(staging, out)
        return len(paths)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def static_files(static_dir: Path) -> dict[str, Path]:
    """Return the files of templates/static by their path in the site (static/...).

    Only regular files: a symbolic link could copy a private file from anywhere into the
    site and the bundle, and a FIFO or device would hang the build or never end."""
    if os.path.islink(static_dir):
        raise BuildError(
            f"{display_path(static_dir)}: is a symbolic link; static files must be regular files"
        )
    if not static_dir.is_dir():
        return {}
    files, problems = {}, []
    for folder, subfolders, names in os.walk(static_dir, onerror=raise_error):  # no links
        for name in sorted(subfolders + names):
            path = Path(folder) / name
            kind = os.lstat(path).st_mode
            if stat.S_ISLNK(kind):
                problems.append(
                    f"{display_path(path)}: is a symbolic link; static files must be regular files"
                )
            elif stat.S_ISREG(kind):
                files[f"static/{path.relative_to(static_dir).as_posix()}"] = path
            elif not stat.S_ISDIR(kind):
                problems.append(
                    f"{display_path(path)}: is not a regular file; static files "
                    "must be regular files"
                )
    if problems:
        raise BuildError("\n".join(sorted(problems)))
    return dict(sorted(files.items()))


def raise_error(err: OSError) -> None:
    """Raise err: an unreadable folder of static files stops the build, not skipped."""
    raise err


def read_static(path: Path) -> bytes:
    """Return the bytes of a static file, refusing one that became a symbolic link or stopped
    being a regular file since it was listed."""
    handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(handle, "rb") as file:
        if not stat.S_ISREG(os.fstat(handle).st_mode):
            raise BuildError(
                f"{display_path(path)}: is not a regular file; static files must be regular files"
            )
        return file.read()


def is_inside(relative: str) -> bool:
    """Return whether a page's relative path stays inside the site folder: no empty part
    (so no leading slash), no '.' and no '..'."""
    return all(part not in ("", ".", "..") for part in relative.split("/"))


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
    result = renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), rename_exchange)
    return result == 0


def remove_leftovers(out: Path) -> None:
    """Tidy what a killed build left beside out: restore a retired site if out is missing,
    then delete staging and retired folders. Under the lock, so that a build still writing
    keeps its staging folder."""
    if not out.parent.is_dir():
        return
    try:
        with output_lock(out):
            retired = sorted(out.parent.glob(f".{out.name}.old-*"))
            if not out.exists() and retired:
                retired.pop().rename(out)
            for prefix in (f".{out.name}.tmp-", f".{out.name}.old-"):
                for leftover in out.parent.glob(prefix + "*"):
                    if leftover.is_dir():
                        shutil.rmtree(leftover, ignore_errors=True)
    except OSError as err:
        raise BuildError(describe_os_error(err, out, write_advice(err))) from None


def write_advice(err: OSError) -> str:
    """Return what to do when the output folder cannot be written."""
    if err.errno == errno.ENAMETOOLONG:
        return "choose a shorter --out"
    return "choose another --out or make it writable"


def update_site(
    pages: dict[str, bytes], static_dir: Path, out: Path, previous: dict[str, bytes]
) -> int:
    """Write only what changed since previous into out, in place, and delete what went away;
    return the number of files written. For serve, where an edit must show up at once."""
    static = static_files(static_dir)
    written = 0
    try:
        with output_lock(out):
            for relative, data in sorted(pages.items()):
                if previous.get(relative) != data:
                    replace_file(out / relative, data)
                    written += 1
            for relative in sorted(set(previous) - set(pages)):
                (out / relative).unlink(missing_ok=True)
            for relative, path in static.items():
                target, data = out / relative, read_static(path)
                if not is_regular_file(target) or target.read_bytes() != data:
                    replace_file(target, data)
                    written += 1
    except OSError as err:
        raise BuildError(describe_os_error(err, None, write_advice(err))) from None
    return written


def replace_file(target: Path, data: bytes) -> None:
    """Write data to target through a temporary file, so a reader never sees half of it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    try:
        partial.write_bytes(data)
    except OSError as err:  # a write names no file: name the one a reader would see
        partial.unlink(missing_ok=True)
        raise OSError(err.errno, err.strerror, str(target)) from None
    partial.replace(target)
