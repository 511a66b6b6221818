"""Shared fixtures: a small valid content/ written into tmp_path, and the real site built once."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

import build  # noqa: E402

DATA = Path(__file__).parent / "data"

CLASS_NAMES = {
    "1xx": "Provisional",
    "2xx": "Successful",
    "3xx": "Redirection",
    "4xx": "Request Failure",
    "5xx": "Server Failure",
    "6xx": "Global Failures",
}


def code_fields(code: int, phrase: str, /, **overrides: object) -> dict:
    """Return a complete, valid code document; overrides replace or add fields."""
    fields: dict = {
        "code": code,
        "phrase": phrase,
        "status": "standard",
        "summary": f"The {phrase} response.",
        "next_step": {
            "action": "do-not-retry",
            "rule": "Stop here (RFC 3261 §21.4).",
            "references": [{"rfc": 3261, "section": "21.4"}],
        },
        "references": [{"rfc": 3261, "section": "21.4.24"}],
        "description": f"The server answers **{phrase}**.",
        "sent_by": "The **UAS**.",
        "causes": ["The callee pressed a button."],
        "what_to_do": "- Check the trace.",
        "headers": [],
        "example": f"SIP/2.0 {code} {phrase}\nContent-Length: 0\n",
        "related": [{"code": 486 if code != 486 else 487, "note": "Compare."}],
    }
    fields.update(overrides)
    return {key: value for key, value in fields.items() if value is not None}


def write_yaml(path: Path, data: object) -> Path:
    """Write data as YAML to path and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def write_code(content: Path, code: int, phrase: str, /, **overrides: object) -> Path:
    """Write content/codes/<code>.yaml with a valid document plus overrides."""
    return write_yaml(content / "codes" / f"{code}.yaml", code_fields(code, phrase, **overrides))


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """A valid three-code content/ folder in tmp_path."""
    root = tmp_path / "content"
    write_yaml(
        root / "site.yaml",
        {
            "title": "SIP Test",
            "description": "Test site.",
            "base_url": "https://codes.example.org/",
            "version": "1.0",
            "date": "2026-01-02",
        },
    )
    write_yaml(
        root / "classes.yaml",
        {
            key: {"name": name, "summary": f"{name} responses.", "description": f"About {key}."}
            for key, name in CLASS_NAMES.items()
        },
    )
    standard = "Proposed Standard"
    write_yaml(
        root / "rfcs.yaml",
        {
            3261: {"title": "SIP", "status": standard},
            3398: {"title": "ISUP mapping", "status": standard},
            4497: {"title": "QSIG mapping", "status": "BCP"},
            6432: {"title": "Q.850 in Reason", "status": standard},
        },
    )
    write_yaml(
        root / "q850.yaml",
        {
            "causes": [{"cause": 17, "name": "User busy"}],
            "mappings": [
                {
                    "direction": "isup-to-sip",
                    "cause": 17,
                    "code": 486,
                    "source": {"rfc": 3398, "section": "7.2.4.1"},
                }
            ],
        },
    )
    write_code(root, 180, "Ringing")
    write_code(root, 486, "Busy Here", related=[{"code": 487, "note": "Cancelled, not busy."}])
    write_code(
        root,
        487,
        "Request Terminated",
        description="Not [busy](486.html#causes); see [RFC 3261]"
        "(https://www.rfc-editor.org/rfc/rfc3261#section-21.4.25).",
    )
    return root


def run_build(content: Path, out: Path, *extra: str) -> int:
    """Run the command line on content into out and return its exit status."""
    return build.main(["--content", str(content), "--out", str(out), *extra])


@pytest.fixture(scope="session")
def real_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real content/ built once per test session."""
    out = tmp_path_factory.mktemp("real") / "site"
    assert build.main(["--out", str(out)]) == 0
    return out


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole session."""
    from browser import launch
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def real_site_url(real_site: Path):
    """The real site served over http on loopback."""
    from browser import serve

    with serve(real_site) as url:
        yield url
