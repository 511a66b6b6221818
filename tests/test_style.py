"""The code follows the project's lint rules and layout (ruff, configured in pyproject.toml)."""

import subprocess
import sys

from conftest import PROJECT


def test_ruff_finds_nothing() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "build.py", "sipref", "tests", "scripts", "bench"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_changes_nothing() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "format",
            "--check",
            "build.py",
            "sipref",
            "tests",
            "scripts",
            "bench",
        ],
        cwd=PROJECT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
