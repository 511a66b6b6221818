"""The project's own promises: two README commands, CI runs the tests, killed builds are safe."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import PROJECT
from test_build import snapshot


def test_readme_gives_exactly_two_setup_commands_and_ci_runs_the_test_one() -> None:
    readme = (PROJECT / "README.md").read_text()
    block = re.search(r"## Two commands\n\n```sh\n(.*?)```", readme, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["make site", "make test"]
    ci = (PROJECT / ".ci" / "run").read_text()
    assert "make test" in ci.splitlines()[-1]
    assert "set -euo pipefail" in ci
    makefile = (PROJECT / "Makefile").read_text()
    # The whole suite: pytest's own test paths, the tests marked alone (they time this
    # machine) after all the others in one worker per CPU; nothing else is left out.
    recipe = re.search(r"^test: .*\n((?:\t.*\n)*)", makefile, re.M).group(1)
    assert recipe.splitlines()[-2:] == [
        '\t$(BIN)/python -m pytest -n auto --dist worksteal -m "not alone"',
        "\t$(BIN)/python -m pytest -m alone",
    ]


def files_under(folders: list[Path]) -> int:
    return sum(len(names) for folder in folders for _, _, names in os.walk(folder))


def inode(path: Path) -> int | None:
    try:
        return path.stat().st_ino
    except FileNotFoundError:
        return None


# Moments of a build as seen from outside: before it writes, while it fills a folder beside
# the site, and as soon as the site folder changes (the swap: then it deletes the old site).
KILL_MOMENTS = ("as it starts", "with half the files staged", "when the site changes")


def reached(moment: str, out: Path, before: set[Path], site: int | None, files: int) -> bool:
    """Return whether a build into out that started when out.parent held before (and out had
    inode site) has reached moment; files is the number of files a site has."""
    if moment == "with half the files staged":
        staged = [p for p in out.parent.iterdir() if p not in before and p.is_dir()]
        return 2 * files_under(staged) >= files
    if moment == "when the site changes":  # replaced, missing, or gaining or losing files
        return inode(out) != site or files_under([out]) != files
    return True


def test_a_killed_build_never_leaves_a_half_written_site(tmp_path: Path) -> None:
    out = tmp_path / "site"
    command = [sys.executable, str(PROJECT / "build.py"), "--out", str(out)]
    subprocess.run(command, check=True, capture_output=True)
    reference = snapshot(out)
    for moment in KILL_MOMENTS:
        before, site = set(tmp_path.iterdir()), inode(out)
        process = subprocess.Popen(command, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while process.poll() is None and not reached(moment, out, before, site, len(reference)):
            assert time.monotonic() < deadline, f"the build never got to {moment}"
            time.sleep(0.002)
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert snapshot(out) == reference, f"site changed after a kill {moment}"
    subprocess.run(command, check=True, capture_output=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]
    assert snapshot(out) == reference
