"""Load: bytes -> plain Python data, with strict YAML, and lines for error messages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from sipref.model import Problem, display_path

MAX_FILE_BYTES = 256 * 1024


# ---------------------------------------------------------------------------------------------
# Load: bytes -> plain Python data, with strict YAML
# ---------------------------------------------------------------------------------------------

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class StrictLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe YAML loader that also refuses duplicate keys and aliases (no "billion laughs")."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        if node in self.constructed_objects:
            raise yaml.constructor.ConstructorError(
                None, None, "anchors and aliases (&name, *name) are not allowed; "
                "write the value out in full", node.start_mark)
        return super().construct_object(node, deep)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = key_node.value
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key '{key}'; keep one of them", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


StrictLoader.add_constructor("tag:yaml.org,2002:map", StrictLoader.construct_yaml_map)


def read_yaml(path: Path) -> tuple[Any, Problem | None]:
    """Return the parsed YAML document at path, or a Problem saying why it cannot be read."""
    shown = display_path(path)
    data = path.read_bytes()
    if len(data) > MAX_FILE_BYTES:
        return None, Problem(shown, 1, f"file is {len(data):,} bytes, more than the "
                             f"{MAX_FILE_BYTES // 1024} KB limit; split or shorten it")
    if data.startswith(b"\xef\xbb\xbf"):
        return None, Problem(shown, 1, "file starts with a byte-order mark; "
                             "save it as UTF-8 without BOM")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        return None, Problem(shown, line, f"not valid UTF-8 (byte 0x{data[err.start]:02x}); "
                             "save the file as UTF-8")
    try:
        document = yaml.load(text, Loader=StrictLoader)  # noqa: S506 - StrictLoader is safe
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark else 1
        reason = " ".join(filter(None, [err.context, err.problem]))
        return None, Problem(shown, line, f"invalid YAML: {reason}; fix the syntax")
    except yaml.YAMLError as err:
        return None, Problem(shown, 1, f"invalid YAML: {err}; fix the syntax")
    except RecursionError:
        return None, Problem(shown, 1, "invalid YAML: nested too deeply; flatten the structure")
    if document is None:
        return None, Problem(shown, 1, "file is empty; add the required fields "
                             "(see content/README.md)")
    return document, None


def line_of(path: Path, keys: tuple[str | int, ...]) -> int:
    """Return the 1-based line of a key path in a YAML file; used only to report errors."""
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (yaml.YAMLError, OSError, UnicodeDecodeError):
        return 1
    line = node.start_mark.line + 1 if node is not None else 1
    for key in keys:
        if isinstance(node, yaml.MappingNode):
            match = [(k, v) for k, v in node.value if k.value == str(key)]
            if not match:
                return line
            line, node = match[0][0].start_mark.line + 1, match[0][1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
            if key >= len(node.value):
                return line
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            return line
    return line


