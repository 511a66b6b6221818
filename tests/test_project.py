"""The project's own promises: two README commands, CI runs the tests, killed builds are safe."""

from __future__ import annotations

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
    assert re.search(r"^test: .*\n(\t.*\n)*\t\$\(BIN\)/python -m pytest$", makefile, re.M)


def test_a_killed_build_never_leaves_a_half_written_site(tmp_path: Path) -> None:
    out = tmp_path / "site"
    command = [sys.executable, str(PROJECT / "build.py"), "--out", str(out)]
    subprocess.run(command, check=True, capture_output=True)
    reference = snapshot(out)
    for delay in (0.05, 0.15, 0.25, 0.3, 0.35, 0.4, 0.5):
        process = subprocess.Popen(command, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert snapshot(out) == reference, f"site changed after a kill at {delay} s"
    subprocess.run(command, check=True, capture_output=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]
    assert snapshot(out) == reference
