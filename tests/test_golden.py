"""A golden site: the whole output of a tiny content folder (tests/golden/content) is checked in
(tests/golden/site) and compared byte for byte, so any change to what the build writes shows up
as a diff in review. After checking that a change is intended, run
`.venv/bin/python tests/test_golden.py` to write the new output."""

from __future__ import annotations

import difflib
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden"
sys.path.insert(0, str(HERE.parent))

import build  # noqa: E402

STATIC = HERE.parent / "templates" / "static"


def output(site: Path) -> dict[str, bytes]:
    """Every file the build wrote, by path, but static/ (copied as it is; checked apart)."""
    return {
        path.relative_to(site).as_posix(): path.read_bytes()
        for path in sorted(site.rglob("*"))
        if path.is_file() and path.relative_to(site).parts[0] != "static"
    }


def build_golden(out: Path) -> None:
    assert build.main(["--content", str(GOLDEN / "content"), "--out", str(out)]) == 0


def test_the_build_writes_exactly_the_golden_site(tmp_path: Path) -> None:
    out = tmp_path / "site"
    build_golden(out)
    written, expected = output(out), output(GOLDEN / "site")
    assert sorted(written) == sorted(expected), "files added or missing; see the module doc"
    for path, data in written.items():
        if data != expected[path]:
            diff = difflib.unified_diff(
                expected[path].decode().splitlines(),
                data.decode().splitlines(),
                f"golden/{path}",
                f"built/{path}",
                lineterm="",
                n=2,
            )
            raise AssertionError("\n".join(list(diff)[:60]) + "\n(see the module doc)")
    for path in STATIC.rglob("*"):
        if path.is_file():
            assert (out / "static" / path.relative_to(STATIC)).read_bytes() == path.read_bytes()


if __name__ == "__main__":
    import tempfile

    target = GOLDEN / "site"
    with tempfile.TemporaryDirectory() as folder:  # the build refuses folders of the project
        build_golden(Path(folder) / "site")
        shutil.rmtree(Path(folder) / "site" / "static")
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(Path(folder) / "site", target)
    print(f"wrote {target}")
