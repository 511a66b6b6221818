"""The command line end to end on small content: what it writes and what it refuses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PROJECT, run_build, write_code

import build
from sipref.model import display_path


def snapshot(folder: Path) -> dict[str, bytes]:
    """Return every file under folder with its bytes, for exact comparison."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_build_writes_every_page(
    content: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "site"
    assert run_build(content, out) == 0
    files = set(snapshot(out))
    assert {
        "index.html",
        "q850.html",
        "rfcs.html",
        "search.json",
        "search-index.js",
        "static/style.css",
        "codes/180.html",
        "codes/486.html",
        "codes/487.html",
    } <= files
    assert {f"classes/{n}xx.html" for n in range(1, 7)} <= files
    message = capsys.readouterr().err
    assert message.startswith(f"{display_path(out)}: {len(files)} files written in ")


def test_two_builds_are_byte_identical(content: Path, tmp_path: Path) -> None:
    assert run_build(content, tmp_path / "a") == 0
    assert run_build(content, tmp_path / "b") == 0
    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b")


def test_build_is_independent_of_hash_seed(content: Path, tmp_path: Path) -> None:
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / f"seed{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run(
            [
                sys.executable,
                str(PROJECT / "build.py"),
                "--content",
                str(content),
                "--out",
                str(out),
            ],
            check=True,
            env=env,
            capture_output=True,
        )
        outputs.append(snapshot(out))
    assert outputs[0] == outputs[1]


def test_a_symlink_in_the_previous_site_is_not_followed(content: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    assert run_build(content, out) == 0
    outside = tmp_path / "outside.html"
    outside.write_bytes((out / "codes/180.html").read_bytes())
    (out / "codes/180.html").unlink()
    (out / "codes/180.html").symlink_to(outside)
    assert run_build(content, out) == 0
    page = out / "codes/180.html"
    assert not page.is_symlink()
    assert page.stat().st_ino != outside.stat().st_ino
    assert page.read_bytes() == outside.read_bytes()


def test_builds_without_a_usable_temporary_folder(
    content: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    monkeypatch.setattr(tempfile, "tempdir", str(not_a_folder))  # no template cache possible
    assert run_build(content, tmp_path / "site") == 0
    assert (tmp_path / "site" / "codes" / "487.html").is_file()


def test_removed_code_disappears_from_output(content: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    assert run_build(content, out) == 0
    (content / "codes" / "180.yaml").unlink()
    assert run_build(content, out) == 0
    assert not (out / "codes" / "180.html").exists()
    assert "180" not in (out / "index.html").read_text()


def test_failed_build_leaves_output_untouched(content: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    assert run_build(content, out) == 0
    (out / "marker.txt").write_text("from the previous build")
    before = snapshot(out)
    write_code(content, 488, "Not Acceptable Here", summary=None)
    assert run_build(content, out) == 1
    assert snapshot(out) == before


def test_no_staging_folders_left_behind(content: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    (tmp_path / ".site.tmp-killed").mkdir()
    (tmp_path / ".site.old-killed").mkdir()
    assert run_build(content, out) == 0
    assert run_build(content, out) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["content", "site"]


@pytest.mark.parametrize("relative", [".", "content", "templates", "tests", ".."])
def test_refuses_dangerous_output_folder(relative: str, capsys: pytest.CaptureFixture[str]) -> None:
    out = (PROJECT / relative).resolve()
    assert build.main(["--out", str(out)]) == 1
    message = capsys.readouterr().err
    assert message.startswith(f"{display_path(out)}: refusing to build into this folder")
    assert (PROJECT / "build.py").exists()


def test_base_url_flag_is_checked(
    content: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run_build(content, tmp_path / "site", "--base-url", "ftp://x")
    assert exit_info.value.code == 2
    assert "base URL must be an absolute http(s) URL" in capsys.readouterr().err


def test_base_url_sets_canonical_links(content: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    assert run_build(content, out, "--base-url", "https://sip.example.net/ref") == 0
    page = (out / "codes" / "487.html").read_text()
    assert '<link rel="canonical" href="https://sip.example.net/ref/codes/487.html">' in page


def test_without_a_base_url_no_domain_is_invented(
    content: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site_yaml = content / "site.yaml"
    site_yaml.write_text(
        "".join(
            line
            for line in site_yaml.read_text().splitlines(True)
            if not line.startswith("base_url:")
        )
    )
    out = tmp_path / "site"
    assert run_build(content, out) == 0
    assert capsys.readouterr().err.splitlines()[0] == (
        f"{display_path(site_yaml)}: no base_url set, so pages have no canonical link or "
        "og:url and there is no sitemap.xml or opensearch.xml; set base_url there or pass "
        "--base-url https://your.host/path/"
    )
    for page in out.rglob("*.html"):
        text = page.read_text()
        assert 'rel="canonical"' not in text and "og:url" not in text, page
        assert "opensearch" not in text, page
    assert not (out / "sitemap.xml").exists() and not (out / "opensearch.xml").exists()
    assert (out / "robots.txt").read_text() == "User-agent: *\nAllow: /\n"
    assert '"page":null' in (out / "codes" / "487.json").read_text()
    # with one, everything is as before
    assert run_build(content, out, "--base-url", "https://sip.example.net/ref/") == 0
    assert "no base_url" not in capsys.readouterr().err
    assert (out / "sitemap.xml").exists() and (out / "opensearch.xml").exists()


def test_markdown_code_links_point_at_code_pages(content: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    (content / "classes.yaml").write_text(
        (content / "classes.yaml").read_text().replace("About 4xx.", "See [486](486.html).")
    )
    assert run_build(content, out) == 0
    assert '<a href="486.html#causes">busy</a>' in (out / "codes/487.html").read_text()
    assert '<a href="../codes/486.html">486</a>' in (out / "classes/4xx.html").read_text()


def test_site_retired_by_a_killed_swap_is_restored(content: Path, tmp_path: Path) -> None:
    # Where the atomic exchange is unavailable, a kill between the two renames leaves the
    # previous site in .site.old-*; the next build puts it back even if that build fails.
    retired = tmp_path / ".site.old-killed"
    retired.mkdir()
    (retired / "index.html").write_text("previous site")
    write_code(content, 488, "Not Acceptable Here", summary=None)
    assert run_build(content, tmp_path / "site") == 1
    assert (tmp_path / "site" / "index.html").read_text() == "previous site"
    assert not retired.exists()


def test_incremental_rebuild_matches_a_full_build(content: Path, tmp_path: Path) -> None:
    import shutil

    from sipref.incremental import Rebuilder

    templates = tmp_path / "templates"
    shutil.copytree(PROJECT / "templates", templates)
    out, fresh = tmp_path / "site", tmp_path / "fresh"
    rebuild = Rebuilder(content, templates, out, None)
    assert rebuild() == 0

    def edit_and_compare(*changed: Path) -> None:  # as serve calls it: with what changed
        assert rebuild(set(changed)) == 0
        shutil.rmtree(fresh, ignore_errors=True)
        assert (
            build.main(
                ["--content", str(content), "--templates", str(templates), "--out", str(fresh)]
            )
            == 0
        )
        assert snapshot(out) == snapshot(fresh)

    codes = content / "codes"
    write_code(content, 487, "Request Terminated", summary="Edited once.")
    edit_and_compare(codes / "487.yaml")
    write_code(content, 486, "Busy Here Now", related=[{"code": 487, "note": "Renamed."}])
    edit_and_compare(codes / "486.yaml")
    (codes / "180.yaml").unlink()
    edit_and_compare(codes / "180.yaml")
    base = templates / "base.html"
    base.write_text(base.read_text().replace("Skip to content", "Skip to the content"))
    edit_and_compare(base)  # a base template: every page, although no context changed
    q850 = content / "q850.yaml"
    q850.write_text(q850.read_text().replace("User busy", "User busy (edited)"))
    edit_and_compare(q850)
    classes = content / "classes.yaml"
    classes.write_text(classes.read_text().replace("About 4xx.", "About [486](486.html)."))
    edit_and_compare(classes)
    write_code(content, 487, "Request Terminated", summary=None)
    assert rebuild() == 1  # a broken edit keeps the last good site
    assert snapshot(out) == snapshot(fresh)
    (content / "codes" / "486.yaml").unlink()  # the class text's link now points nowhere
    write_code(content, 180, "Ringing", related=[{"code": 487, "note": "See."}])
    write_code(content, 487, "Request Terminated", related=[{"code": 180, "note": "See."}])
    assert rebuild() == 1  # an unchanged file is checked again when the codes it links change
    write_code(content, 486, "Busy Here")
    edit_and_compare(codes / "486.yaml")


@pytest.mark.parametrize(
    "relative",
    ["../outside.html", "/etc/passwd", "codes/../../x", "codes//487.html", "./index.html", ""],
)
def test_an_output_path_outside_the_site_is_refused(relative: str, tmp_path: Path) -> None:
    from sipref.model import BuildError
    from sipref.write import write_site

    out = tmp_path / "site"
    with pytest.raises(BuildError, match="output path escapes the site folder"):
        write_site({"index.html": b"ok", relative: b"x"}, tmp_path / "no-static", out)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_the_memo_runs_only_jobs_unequal_to_last_time() -> None:
    from sipref.incremental import Memo

    memo, ran = Memo(), []

    def work(job: tuple) -> str:
        ran.append(job)
        return f"{job[0]}={job[1]}"

    assert memo.run(work, [("a", 1), ("b", 1)]) == ["a=1", "b=1"]
    assert memo.run(work, [("a", 1), ("b", 2), ("c", 1)]) == ["a=1", "b=2", "c=1"]
    assert ran == [("a", 1), ("b", 1), ("b", 2), ("c", 1)]  # a was kept
    memo.run(work, [("c", 1)])
    assert memo.run(work, [("a", 1)]) == ["a=1"] and ran[-1] == ("a", 1)  # forgotten when absent
    memo.clear()
    memo.run(work, [("c", 1)])
    assert ran[-1] == ("c", 1)
