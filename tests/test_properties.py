"""Property-based: whatever a contributor writes, the loader answers with our own error type."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import yaml
from conftest import code_fields, write_code
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sipref import serve
from sipref.model import ContentError
from sipref.validate import load_content

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False),
    st.text(max_size=40),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = list(code_fields(487, "Request Terminated"))


def check_loads_or_refuses(content: Path, document: bytes) -> None:
    (content / "codes" / "487.yaml").write_bytes(document)
    try:
        load_content(content)
    except ContentError as err:
        assert err.problems
        assert all(p.path.endswith("487.yaml") for p in err.problems), err


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(document=values)
def test_any_yaml_document_loads_or_raises_content_error(content: Path, document: object) -> None:
    check_loads_or_refuses(content, yaml.safe_dump(document).encode())


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(field=st.sampled_from(FIELDS), value=values)
def test_any_field_value_loads_or_raises_content_error(
    content: Path, field: str, value: object
) -> None:
    document = code_fields(487, "Request Terminated", **{field: value})
    check_loads_or_refuses(content, yaml.safe_dump(document, allow_unicode=True).encode())


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=st.binary(max_size=200))
def test_any_bytes_load_or_raise_content_error(content: Path, raw: bytes) -> None:
    check_loads_or_refuses(content, raw)


def test_watch_rebuilds_after_a_save_and_says_what_changed(content: Path) -> None:
    calls: list[set[Path] | None] = []
    stop = threading.Event()
    seen = serve.snapshot([content])  # taken before the save: no need to wait for the watcher
    watcher = threading.Thread(
        target=serve.watch,
        args=([content], calls.append, stop),
        kwargs={"interval": 0.02, "seen": seen},
        daemon=True,
    )
    watcher.start()
    path = write_code(content, 487, "Request Terminated", summary="Changed.")
    deadline = time.monotonic() + 5
    while not calls and time.monotonic() < deadline:
        time.sleep(0.02)
    stop.set()
    watcher.join()
    assert calls and calls[0] == {path}
