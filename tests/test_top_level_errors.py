"""Each file beside codes/ gets one exact message per problem, with its line, like the code
files: the table-driven validation of site.yaml, classes.yaml, rfcs.yaml, q850.yaml, the
product files, warn-codes.yaml, reason.yaml and the guides."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from test_errors import build_errors

PRODUCT = {
    "product": "FreeSWITCH",
    "read_from": [{"source": "signalwire/freeswitch at cc93a683ca6e", "files": "mod_sofia.c"}],
    "sends_for_unlisted_cause": 480,
    "cause_for_unlisted_response": {"other": "NORMAL"},
    "causes": [
        {"name": "NORMAL", "number": 16, "reason": "Q.850;cause=16"},
        {
            "name": "USER_BUSY",
            "number": 17,
            "sends": 486,
            "reason": 'Q.850;cause=17;text="USER_BUSY"',
        },
    ],
    "responses": [{"code": 486, "cause": "USER_BUSY"}],
}
WARN = {
    "title": "Warnings",
    "summary": "Warn-codes.",
    "ranges": [{"first": 300, "last": 329, "name": "SDP", "rfc": 3261, "section": "20.43"}],
    "codes": [
        {
            "code": 300,
            "text": "Incompatible network protocol",
            "rfc": 3261,
            "section": "20.43",
            "meaning": "A network protocol is not available.",
        }
    ],
}
REASON = {
    "title": "Reason",
    "summary": "The Reason header.",
    "protocols": [
        {
            "value": "SIP",
            "cause": "Status code",
            "registered_by": "RFC 3261",
            "means": "A SIP status code.",
        }
    ],
    "locations": [{"token": "U", "bits": "0000", "meaning": "user"}],
}


def edit(path: Path, change) -> None:  # noqa: ANN001 - a function of the loaded document
    data = yaml.safe_load(path.read_text()) if path.exists() else None
    path.write_text(yaml.safe_dump(change(data), sort_keys=False, allow_unicode=True))


CASES = [
    (
        "classes.yaml",
        lambda d: {k: v for k, v in d.items() if k != "6xx"},
        "classes.yaml:1: missing required field '6xx' in classes.yaml; see content/README.md",
    ),
    (
        "rfcs.yaml",
        lambda d: {**d, 3261: {"title": "SIP"}},
        "rfcs.yaml:1: missing required field 'status' in RFC 3261; see content/README.md",
    ),
    (
        "q850.yaml",
        lambda d: {**d, "causes": d["causes"] + [{"cause": 17, "name": "Again"}]},
        "q850.yaml:4: cause 17 is listed twice; keep one",
    ),
    (
        "freeswitch.yaml",
        lambda d: {**PRODUCT, "responses": [{"code": 486, "cause": "BUSY"}]},
        "freeswitch.yaml:18: cause BUSY is not in 'causes'",
    ),
    (
        "freeswitch.yaml",
        lambda d: {
            **PRODUCT,
            "causes": [{"name": "user busy", "number": 17, "reason": "Q.850;cause=17"}],
        },
        "freeswitch.yaml:9: a cause name must be capital letters, digits and underscores, as the "
        'product writes it (USER_BUSY), found "user busy"',
    ),
    (
        "freeswitch.yaml",
        lambda d: {**PRODUCT, "causes": [{"name": "NORMAL", "number": 16, "reason": "cause 16"}]},
        "freeswitch.yaml:11: 'reason' must be the Reason header value, or a list of them, as "
        'PROTOCOL;cause=N[;text="…"], found "cause 16"',
    ),
    (
        "warn-codes.yaml",
        lambda d: {**WARN, "codes": [{**WARN["codes"][0], "code": 335}]},
        "warn-codes.yaml:10: warn-code 335 is in none of the 'ranges'",
    ),
    (
        "reason.yaml",
        lambda d: {**REASON, "locations": [{"token": "U", "bits": "0", "meaning": "user"}]},
        "reason.yaml:10: 'bits' must be four binary digits in quotes, found \"0\"",
    ),
    (
        "guides/busy.yaml",
        lambda d: {
            "title": "Busy",
            "summary": "Busy.",
            "intro": "Two.",
            "codes": [{"code": 486, "sent_by": "A UAS.", "tells": "Busy."}],
            "which_to_send": ["Send 486."],
        },
        [
            "guides/busy.yaml:5: missing required field 'tells_caller' in a guide row; see "
            "content/README.md",
            "guides/busy.yaml:7: unknown field 'tells' in a guide row (allowed: code, sent_by, "
            "tells_caller)",
        ],
    ),
]


@pytest.mark.parametrize(
    ("name", "change", "message"),
    CASES,
    ids=[f"{name}-{i}" for i, (name, _, _) in enumerate(CASES)],
)
def test_a_mistake_in_a_top_level_file_gets_its_exact_message(
    content: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    change,
    message: str,
) -> None:
    path = content / name
    path.parent.mkdir(exist_ok=True)
    edit(path, change)
    expected = message if isinstance(message, list) else [message]
    assert build_errors(content, tmp_path, capsys) == expected
