"""The command line follows its own help: each option only on the command it applies to."""

from __future__ import annotations

import subprocess
import sys
import tomllib

import pytest
from conftest import PROJECT


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(PROJECT / "build.py"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=PROJECT,
    )


def test_version_is_the_project_version() -> None:
    version = tomllib.loads((PROJECT / "pyproject.toml").read_text())["project"]["version"]
    for command in ([], ["serve"], ["bundle"]):
        result = run(*command, "--version")
        assert (result.returncode, result.stdout, result.stderr) == (0, f"build.py {version}\n", "")


@pytest.mark.parametrize(
    ("command", "option"),
    [("build", "--port"), ("bundle", "--port"), ("build", "--dist"), ("serve", "--dist")],
)
def test_an_option_of_another_command_is_refused(command: str, option: str) -> None:
    result = run(command, option, "1")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        f"build.py {command}: error: unrecognized arguments: {option} 1"
    )
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("command", "option"), [("serve", "--port"), ("bundle", "--dist")])
def test_each_command_lists_only_its_own_options(command: str, option: str) -> None:
    text = run(command, "--help").stdout
    others = {"--port", "--dist"} - {option}
    assert option in text and not any(other in text for other in others)
