"""A hostile machine (issue 13): output folders a build would destroy, two builds at once,
symbolic links out of the project, full disks, unreadable and unwritable files, a deleted
working folder, no temporary folder, Ctrl-C and SIGTERM, template code that fails, a shared
template cache, and bad bundle settings. Each gets its whole message, a non-zero exit, no
traceback, and nothing changed outside the output folder (on failure, nor inside it)."""

from __future__ import annotations

import errno
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import jinja2
import pytest
from conftest import PROJECT, run_build, write_code

import build
from sipref.bundle import zip_timestamp
from sipref.model import display_path
from sipref.parallel import map_forked
from sipref.render import PrivateBytecodeCache, private_cache_folder, template_cache
from sipref.write import MARKER, guarded_folders, lock_path, output_lock

# Root ignores file permissions; without these two capabilities it obeys them like anyone.
AS_A_USER = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]


def tree(folder: Path) -> dict[str, object]:
    """Return every entry under folder by what it is, without following links."""
    found: dict[str, object] = {}
    for root, folders, files in os.walk(folder):
        for name in files + folders:
            path = Path(root, name)
            status = path.lstat()
            if stat.S_ISLNK(status.st_mode):
                found[str(path)] = ("link", os.readlink(path))
            elif stat.S_ISREG(status.st_mode):
                found[str(path)] = ("file", status.st_mode, path.read_bytes())
            else:
                found[str(path)] = ("other", status.st_mode)
    return found


def failed(status: int, capsys: pytest.CaptureFixture[str], expected_status: int = 1) -> str:
    """Assert the exit status and no traceback; return stderr without its final newline."""
    err = capsys.readouterr().err
    assert status == expected_status, err
    assert "Traceback" not in err
    return err.rstrip("\n")


@pytest.fixture
def site(content: Path, tmp_path: Path) -> Path:
    """A previous site of ours in tmp_path/site."""
    out = tmp_path / "site"
    assert run_build(content, out) == 0
    return out


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    """A copy of the real templates in tmp_path/templates, to break."""
    copy = tmp_path / "templates"
    shutil.copytree(PROJECT / "templates", copy)
    return copy


def build_with(content: Path, templates: Path, out: Path, *extra: str) -> int:
    """Run the command line with these templates and return its exit status."""
    return run_build(content, out, "--templates", str(templates), *extra)


# ---------------------------------------------------------------------------------------------
# Output folders a build would destroy
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("relative", "problem"),
    [
        (".", "it is the project folder (.)"),
        ("..", "it contains a folder the build reads (content)"),
        ("content", "it is a folder the build reads (content)"),
        ("content/codes", "it lies inside a folder the build reads (content)"),
        ("templates", "it is a folder the build reads (templates)"),
        ("templates/static", "it lies inside a folder the build reads (templates)"),
        ("templates/static/site", "it lies inside a folder the build reads (templates)"),
        ("sipref", "it is a folder of the project (sipref)"),
        ("tests", "it is a folder of the project (tests)"),
        (".git", "it is a folder of the project (.git)"),
        (".venv", "it is a folder of the project (.venv)"),
    ],
)
def test_a_folder_of_the_project_is_refused(
    relative: str, problem: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = PROJECT / relative
    listing = sorted(os.listdir(out.resolve())) if out.exists() else None
    status = build.main(["--out", str(out)])
    shown = display_path(out.resolve())
    problem = re.sub(r"\((.*)\)", lambda m: f"({display_path(PROJECT / m[1])})", problem)
    # Where the project itself sits in a guarded folder (a clone in /tmp or the home folder),
    # that folder is named first: what the output is comes before what it contains.
    itself = [guard for guard in guarded_folders([], PROJECT) if guard.path == out.resolve()]
    if relative == ".." and itself:
        problem = f"it is {itself[0].what} ({display_path(itself[0].path)})"
    assert failed(status, capsys) == (
        f"{shown}: refusing to build into this folder, {problem}; choose another --out"
    )
    assert (sorted(os.listdir(out.resolve())) if out.exists() else None) == listing


@pytest.mark.parametrize(
    ("folder", "problem"),
    [
        ("/", "it is a system folder (/)"),
        ("/etc", "it is a system folder (/etc)"),
        ("/etc/sipref-site", "it lies inside a system folder (/etc)"),
        ("/usr", "it is a system folder (/usr)"),
        ("/usr/share/doc/sipref", "it lies inside a system folder (/usr/share)"),
        ("/var", "it is a system folder (/var)"),
        ("/var/lib/sipref", "it lies inside a system folder (/var/lib)"),
        ("/bin", "it is a system folder (/usr/bin)"),
        ("/lib", "it is a system folder (/usr/lib)"),
        ("/tmp", "it is a system folder (/tmp)"),
        ("~", "it is your home folder ({home})"),
    ],
)
def test_a_system_folder_is_refused(
    content: Path, folder: str, problem: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = Path(folder).expanduser().resolve()
    problem = (
        problem.replace("(/usr/bin)", f"({Path('/bin').resolve()})")
        .replace("(/usr/lib)", f"({Path('/lib').resolve()})")
        .replace("{home}", str(Path.home().resolve()))
    )
    status = run_build(content, out)
    assert failed(status, capsys) == (
        f"{display_path(out)}: refusing to build into this folder, {problem}; choose another --out"
    )
    assert not Path("/etc/sipref-site").exists()


def test_the_folders_of_a_custom_content_and_templates_are_refused(
    content: Path, templates: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = tree(tmp_path)
    for out, problem in [
        (tmp_path, f"it contains a folder the build reads ({display_path(content)})"),
        (content / "site", f"it lies inside a folder the build reads ({display_path(content)})"),
        (templates, f"it is a folder the build reads ({display_path(templates)})"),
        (
            templates / "static" / "site",
            f"it lies inside a folder the build reads ({display_path(templates)})",
        ),
    ]:
        status = build_with(content, templates, out)
        assert failed(status, capsys) == (
            f"{display_path(out)}: refusing to build into this "
            f"folder, {problem}; choose another --out"
        )
    assert tree(tmp_path) == before


def test_a_folder_of_someone_elses_files_is_refused(
    content: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "photos"
    out.mkdir()
    (out / "holiday.jpg").write_bytes(b"\xff\xd8 not ours")
    (out / MARKER).symlink_to(tmp_path / "elsewhere")  # a marker must be a file of its own
    before = tree(tmp_path)
    assert failed(run_build(content, out), capsys) == (
        f"{display_path(out)}: refusing to replace this folder, it holds files no build wrote "
        f"(it has no {MARKER} file); empty or delete it, or choose another --out"
    )
    assert tree(tmp_path) == before


def test_an_empty_folder_and_a_previous_site_are_ours(
    content: Path, site: Path, tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run_build(content, empty) == 0
    assert (empty / MARKER).is_file() and (empty / "index.html").is_file()
    (site / "stray.txt").write_text("left in our site")  # replaced with the rest of it
    assert run_build(content, site) == 0
    assert not (site / "stray.txt").exists()
    assert (site / MARKER).read_text().startswith("Written by build.py")


# ---------------------------------------------------------------------------------------------
# Two builds at once
# ---------------------------------------------------------------------------------------------


def test_a_second_build_into_the_same_folder_is_refused(
    content: Path, site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_code(content, 487, "Request Terminated", summary="Changed meanwhile.")
    with output_lock(site):
        before = tree(tmp_path)
        assert failed(run_build(content, site), capsys) == (
            f"{display_path(site)}: another build is writing this folder; wait for it to "
            "finish, then build again"
        )
        assert tree(tmp_path) == before
    assert not lock_path(site).exists()
    assert run_build(content, site) == 0
    assert "Changed meanwhile." in (site / "codes/487.html").read_text()


def test_a_lock_file_left_by_a_killed_build_does_not_block(content: Path, site: Path) -> None:
    lock_path(site).write_text("")  # a killed build's lock is released, its file stays
    assert run_build(content, site) == 0
    assert not lock_path(site).exists()


# ---------------------------------------------------------------------------------------------
# Symbolic links and other files that are not files
# ---------------------------------------------------------------------------------------------


def test_a_symbolic_link_in_static_is_refused(
    content: Path, templates: Path, site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("private")
    (templates / "static" / "secret.txt").symlink_to(secret)
    (templates / "static" / "more").symlink_to(tmp_path, target_is_directory=True)
    os.mkfifo(templates / "static" / "pipe.css")
    before = tree(tmp_path)
    static = display_path(templates / "static")
    expected = (
        f"{static}/more: is a symbolic link; static files must be regular files\n"
        f"{static}/pipe.css: is not a regular file; static files must be regular files\n"
        f"{static}/secret.txt: is a symbolic link; static files must be regular files"
    )
    assert failed(build_with(content, templates, site), capsys) == expected
    dist = tmp_path / "dist"
    status = build.main(
        ["bundle", "--content", str(content), "--templates", str(templates), "--dist", str(dist)]
    )
    assert failed(status, capsys) == expected
    assert tree(tmp_path) == before


def test_the_static_folder_as_a_symbolic_link_is_refused(
    content: Path, templates: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.move(templates / "static", tmp_path / "elsewhere")
    (templates / "static").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    before = tree(tmp_path)
    assert failed(build_with(content, templates, tmp_path / "site"), capsys) == (
        f"{display_path(templates / 'static')}: is a symbolic link; static files must be "
        "regular files"
    )
    assert tree(tmp_path) == before


# ---------------------------------------------------------------------------------------------
# The machine: paths, permissions, disks, signals
# ---------------------------------------------------------------------------------------------


def test_an_output_folder_below_a_file_is_refused(
    content: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.txt").write_text("a file")
    before = tree(tmp_path)
    out = tmp_path / "notes.txt" / "site"
    assert failed(run_build(content, out), capsys) == (
        f"{display_path(out)}: cannot create this folder, {display_path(tmp_path / 'notes.txt')} "
        "is a file; choose another --out"
    )
    assert failed(run_build(content, tmp_path / "notes.txt"), capsys) == (
        f"{display_path(tmp_path / 'notes.txt')}: exists and is not a folder; choose another --out"
    )
    assert tree(tmp_path) == before


@pytest.mark.parametrize("length", [300, 250])  # 250: the name fits, its lock file's does not
def test_a_name_too_long_is_refused(
    content: Path, tmp_path: Path, length: int, capsys: pytest.CaptureFixture[str]
) -> None:
    before = tree(tmp_path)
    out = tmp_path / ("s" * length)
    assert failed(run_build(content, out), capsys) == (
        f"{display_path(out)}: a name in this path is too long; choose a shorter --out"
    )
    assert tree(tmp_path) == before


def run_as_a_user(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run build.py in a new process that file permissions apply to, even as root."""
    prefix: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("root ignores permissions and setpriv is missing to drop that")
        prefix = AS_A_USER
    return subprocess.run(
        [*prefix, sys.executable, str(PROJECT / "build.py"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def test_an_unwritable_parent_folder_is_reported(content: Path, tmp_path: Path) -> None:
    parent = tmp_path / "locked"
    parent.mkdir()
    parent.chmod(0o555)
    before = tree(tmp_path)
    result = run_as_a_user("--content", "content", "--out", "locked/site", cwd=tmp_path)
    parent.chmod(0o755)
    assert result.returncode == 1
    assert result.stderr == (
        "locked/site: permission denied; choose another --out or make it writable\n"
    )
    assert tree(tmp_path) == before | {str(parent): ("other", parent.lstat().st_mode)}


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "_macros.html",
            "templates/_macros.html:1: cannot read the template: permission denied; "
            "make it a readable file (rendering index.html)",
        ),
        ("static/style.css", "templates/static/style.css: permission denied; make it readable"),
    ],
)
def test_an_unreadable_template_or_static_file_is_reported(
    content: Path, templates: Path, site: Path, tmp_path: Path, name: str, message: str
) -> None:
    (templates / name).chmod(0)
    before = tree(tmp_path)
    result = run_as_a_user(
        "--content", "content", "--templates", "templates", "--out", "site", cwd=tmp_path
    )
    assert (result.returncode, result.stderr) == (1, message + "\n")
    assert tree(tmp_path) == before


def fail_writing(name: str, error: BaseException | None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make writing a file called name raise error (None: SIGTERM this process) while a build
    writes its new site; every other file is written as usual."""
    write_bytes = Path.write_bytes

    def write(path: Path, data: bytes) -> int:
        if path.name == name and ".tmp-" in str(path):
            if error is None:
                os.kill(os.getpid(), signal.SIGTERM)
            else:
                raise error
        return write_bytes(path, data)

    monkeypatch.setattr(Path, "write_bytes", write)


def test_a_full_disk_is_reported(
    content: Path,
    site: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A write that fills the disk raises ENOSPC with no file name, as a real one does.
    fail_writing("rfcs.html", OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)), monkeypatch)
    before = tree(tmp_path)
    status = run_build(content, site, "--base-url", "https://other.example/")
    assert failed(status, capsys) == (
        f"{display_path(site / 'rfcs.html')}: no space left on "
        "the device; free some space and try again"
    )
    assert tree(tmp_path) == before


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs of 2 MB in tmp_path/disk, where root can mount one."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here; test_a_full_disk_is_reported simulates one")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_a_really_full_disk_is_reported(
    content: Path, tiny_disk: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tiny_disk / "site"
    assert run_build(content, out) == 0
    with (tiny_disk / "filler").open("wb") as filler:  # fill the disk but a few pages
        try:
            while True:
                filler.write(b"\0" * 65536)
                filler.flush()
        except OSError:
            pass
        filler.truncate(filler.tell() - 8 * 4096)
    capsys.readouterr()
    before = tree(tiny_disk)
    status = run_build(content, out, "--base-url", "https://other.example/")  # every page new
    message = failed(status, capsys)
    assert re.fullmatch(
        re.escape(display_path(out)) + r"(/[\w./-]+)?: no space left on the "
        r"device; free some space and try again",
        message,
    ), message
    assert tree(tiny_disk) == before


def test_a_deleted_working_folder_is_reported(
    content: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    before = tree(tmp_path)
    assert failed(run_build(content, tmp_path / "site"), capsys) == (
        "build.py: the working folder no longer exists; cd into a folder that does and run it again"
    )
    assert tree(tmp_path) == before


def test_no_temporary_folder_and_no_cache_folder_still_build(
    content: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    monkeypatch.setattr(tempfile, "tempdir", str(not_a_folder / "tmp"))
    monkeypatch.setenv("TMPDIR", str(not_a_folder / "tmp"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(not_a_folder / "cache"))  # below a file
    assert template_cache() is None
    assert run_build(content, tmp_path / "site") == 0
    assert (tmp_path / "site" / "codes" / "487.html").is_file()


@pytest.mark.parametrize(
    ("error", "status", "message"),
    [
        (KeyboardInterrupt(), 130, "interrupted; {out} left as it was"),
        (None, 143, "terminated; {out} left as it was"),
    ],
)
def test_ctrl_c_and_sigterm_leave_the_site_as_it_was(
    content: Path,
    site: Path,
    tmp_path: Path,
    error: BaseException | None,
    status: int,
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fail_writing("index.html", error, monkeypatch)
    before = tree(tmp_path)
    result = run_build(content, site, "--base-url", "https://other.example/")
    assert failed(result, capsys, status) == message.format(out=display_path(site))
    assert tree(tmp_path) == before
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # put back after the build


# ---------------------------------------------------------------------------------------------
# Template code that fails
# ---------------------------------------------------------------------------------------------


def break_template(templates: Path, name: str, old: str, new: str) -> int:
    """Replace old with new once in a template; return the 1-based line it is on."""
    path = templates / name
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return path.read_text()[: path.read_text().index(new)].count("\n") + 1


@pytest.mark.parametrize(
    ("name", "old", "new", "what", "page"),
    [
        (
            "class.html",
            "{{ code_class.summary }}",
            "{{ 1 / 0 }}",
            "ZeroDivisionError: division by zero",
            "classes/1xx.html",
        ),
        (
            "class.html",
            "{{ code_class.summary }}",
            "{{ codes[99] }}",
            "list object has no element 99",
            "classes/1xx.html",
        ),
        (
            "opensearch.xml",
            "{{ site.description }}",
            '{{ 1 + "a" }}',
            "TypeError: unsupported operand type(s) for +: 'int' and 'str'",
            "opensearch.xml",
        ),
    ],
)
def test_a_failing_template_names_its_file_and_line(
    content: Path,
    templates: Path,
    site: Path,
    tmp_path: Path,
    name: str,
    old: str,
    new: str,
    what: str,
    page: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    line = break_template(templates, name, old, new)
    before = tree(tmp_path)
    assert failed(build_with(content, templates, site), capsys) == (
        f"{display_path(templates / name)}:{line}: {what} (rendering {page})"
    )
    assert tree(tmp_path) == before


def test_a_template_that_is_not_utf8_is_refused(
    content: Path, templates: Path, site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    macros = templates / "_macros.html"
    macros.write_bytes(macros.read_bytes() + b"{# caf\xe9 #}\n")
    line = macros.read_bytes().count(b"\n")
    before = tree(tmp_path)
    assert failed(build_with(content, templates, site), capsys) == (
        f"{display_path(macros)}:{line}: not valid UTF-8 (byte 0xe9); save the template as "
        "UTF-8 (rendering index.html)"
    )
    assert tree(tmp_path) == before


def test_templates_that_include_each_other_are_refused(
    content: Path, templates: Path, site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (templates / "_a.html").write_text('{% include "_b.html" %}\n')
    (templates / "_b.html").write_text('x\n{% include "_a.html" %}\n')
    break_template(templates, "class.html", "{{ code_class.summary }}", '{% include "_a.html" %}')
    before = tree(tmp_path)
    # Where in the cycle Python's stack runs out depends on the stack's depth: either file
    # of the cycle is the right one to name.
    message = failed(build_with(content, templates, site), capsys)
    assert message in [
        f"{display_path(templates / name)}: templates include, import or extend "
        "each other without end; break the cycle (rendering classes/1xx.html)"
        for name in ("_a.html:1", "_b.html:2")
    ]
    assert tree(tmp_path) == before


def test_the_first_failing_item_is_reported_whatever_the_processes() -> None:
    def check(number: int) -> int:
        if number in (5, 8):  # 8 is this process's share of four, 5 a forked worker's
            raise ValueError(number)
        return number

    for processes in (1, 2, 4):
        with pytest.raises(ValueError, match="^5$"):
            map_forked(check, list(range(64)), processes)


# ---------------------------------------------------------------------------------------------
# The template cache
# ---------------------------------------------------------------------------------------------


def test_the_template_cache_is_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    cache = template_cache()
    folder = tmp_path / "cache" / "sipref" / "jinja"
    assert isinstance(cache, PrivateBytecodeCache) and cache.directory == str(folder)
    for path in (folder, folder.parent, folder.parent.parent):
        assert stat.S_IMODE(path.stat().st_mode) == 0o700


@pytest.mark.parametrize("trap", ["symlink", "group-writable", "other-owner", "shared-root"])
def test_a_cache_folder_others_could_write_is_not_used(
    tmp_path: Path, trap: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(root))
    folder = root / "sipref" / "jinja"
    if trap == "symlink":  # planted in advance: a folder someone else fills
        (root / "sipref").mkdir(parents=True, mode=0o700)
        (tmp_path / "planted").mkdir(mode=0o700)
        folder.symlink_to(tmp_path / "planted", target_is_directory=True)
    elif trap == "group-writable":
        folder.mkdir(parents=True, mode=0o700)
        folder.chmod(0o770)
    elif trap == "other-owner":
        if os.geteuid() != 0:
            pytest.skip("only root can give a folder to another user")
        folder.mkdir(parents=True, mode=0o700)
        os.chown(folder, 65534, 65534)
    else:  # a cache root anyone may rename folders in
        root.mkdir(mode=0o700)
        root.chmod(0o777)
    assert private_cache_folder() is None
    assert template_cache() is None


def test_a_cache_file_that_is_a_symbolic_link_is_not_read(tmp_path: Path) -> None:
    env = jinja2.Environment()
    cache = PrivateBytecodeCache(str(tmp_path))
    compiled = jinja2.bccache.Bucket(env, "real", "sum")
    compiled.code = compile("x = 1", "<t>", "exec")
    cache.dump_bytecode(compiled)
    (tmp_path / "__jinja2_planted.cache").symlink_to(tmp_path / "__jinja2_real.cache")
    planted = jinja2.bccache.Bucket(env, "planted", "sum")
    cache.load_bytecode(planted)
    assert planted.code is None
    real = jinja2.bccache.Bucket(env, "real", "sum")
    cache.load_bytecode(real)
    assert real.code is not None
    shutil.rmtree(tmp_path)
    cache.dump_bytecode(real)  # the folder is gone: no cache, no failure


# ---------------------------------------------------------------------------------------------
# The bundle
# ---------------------------------------------------------------------------------------------


def bundle(content: Path, dist: Path) -> int:
    """Run build.py bundle on content into dist and return its exit status."""
    return build.main(["bundle", "--content", str(content), "--dist", str(dist)])


@pytest.mark.parametrize(
    "epoch",
    [
        "soon",
        "-1",
        "315532799",
        "4354819200",
        "1e9",
        " 1700000000",
        "99999999999999999999999",
        "1700000000\x1b[2J",
    ],
)
def test_a_bad_source_date_epoch_is_refused(
    content: Path,
    tmp_path: Path,
    epoch: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
    before = tree(tmp_path)
    shown = (epoch if len(epoch) <= 40 else epoch[:40] + "…").replace("\x1b", "\\u001b")
    assert failed(bundle(content, tmp_path / "dist"), capsys) == (
        "SOURCE_DATE_EPOCH: must be a whole number of seconds since 1970 from 315532800 "
        "(1980-01-01) to 4354819199 (2107-12-31), the dates a zip can hold, found "
        f'"{shown}"; fix it or unset it'
    )
    assert tree(tmp_path) == before


def test_source_date_epoch_sets_the_zip_dates() -> None:
    assert zip_timestamp(None) == zip_timestamp("") == (1980, 1, 1, 0, 0, 0)
    assert zip_timestamp("315532800") == (1980, 1, 1, 0, 0, 0)
    assert zip_timestamp("1767312000") == (2026, 1, 2, 0, 0, 0)
    assert zip_timestamp("4354819199") == (2107, 12, 31, 23, 59, 59)


def test_a_dist_that_is_a_file_is_refused(
    content: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "dist").write_text("a file")
    before = tree(tmp_path)
    assert failed(bundle(content, tmp_path / "dist"), capsys) == (
        f"{display_path(tmp_path / 'dist')}: exists and is not a folder; choose another --dist"
    )
    assert failed(bundle(content, tmp_path / "dist" / "zips"), capsys) == (
        f"{display_path(tmp_path / 'dist' / 'zips')}: cannot create this folder, "
        f"{display_path(tmp_path / 'dist')} is a file; choose another --dist"
    )
    assert tree(tmp_path) == before


@pytest.mark.parametrize(
    ("error", "status", "message"),
    [
        (
            OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)),
            1,
            "{zip}: no space left on the device; free some space and try again",
        ),
        (KeyboardInterrupt(), 130, "interrupted; {dist} left as it was"),
    ],
)
def test_a_failed_bundle_leaves_no_partial_zip(
    content: Path,
    tmp_path: Path,
    error: BaseException,
    status: int,
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    dist = tmp_path / "dist"
    assert bundle(content, dist) == 0
    zip_path = dist / "sip-response-codes-1.0.zip"
    write_code(content, 487, "Request Terminated", summary="Changed since.")
    writestr = zipfile.ZipFile.writestr

    def fail(archive: zipfile.ZipFile, info: zipfile.ZipInfo, *args: object, **kw: object) -> None:
        if info.filename.endswith("/index.html"):
            raise error
        writestr(archive, info, *args, **kw)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", fail)
    capsys.readouterr()
    before = tree(tmp_path)
    assert failed(bundle(content, dist), capsys, status) == message.format(
        zip=display_path(zip_path), dist=display_path(dist)
    )
    assert tree(tmp_path) == before
