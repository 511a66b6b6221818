"""Load: bytes -> plain Python data, with strict YAML, and lines for error messages."""

from __future__ import annotations

import errno
import functools
import os
import re
import stat
import sys
import unicodedata
from pathlib import Path
from typing import Any

import yaml

from sipref.model import Problem, display_path

MAX_FILE_BYTES = 256 * 1024
# How long a found value may be when an error message quotes it.
SHOWN_LENGTH = 40


# ---------------------------------------------------------------------------------------------
# Characters that text must not hold, and printing found values safely
# ---------------------------------------------------------------------------------------------

# Invisible characters that change how text reads or how a terminal behaves: C0 and C1 controls
# (tab and newline are allowed; a one-line field refuses them itself), DEL, Unicode format
# characters (bidi embeddings, overrides, isolates and marks; zero-width space, joiners, word
# joiner, invisible operators; the byte-order mark; soft hyphen; interlinear annotation; tag
# characters), the line and paragraph separators, and lone surrogates (which no UTF-8 file can
# carry and "\ud800" escapes can). tests/test_hostile_input.py checks this is every Cc, Cf, Zl,
# Zp and Cs character.
REFUSED_CHARACTER = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2"
    "\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\ud800-\udfff\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]"
)
# The same, plus the tab and newline a message must not print raw either.
UNPRINTABLE = re.compile(f"{REFUSED_CHARACTER.pattern[:-1]}\t\n]")


def escaped(text: str) -> str:
    """Return text with every control and format character written as an escape (\\x1b,
    \\u202e), so content quoted in a message cannot drive the terminal."""
    return UNPRINTABLE.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), text)


def shown_text(text: str, length: int = SHOWN_LENGTH) -> str:
    """Return text quoted for a message: escaped, and cut to length characters with "…"."""
    cut = text if len(text) <= length else text[:length] + "…"
    return f'"{escaped(cut)}"'


def character_name(character: str) -> str:
    """Return e.g. "U+202E (RIGHT-TO-LEFT OVERRIDE)" or "U+001B (a control character)"."""
    name = unicodedata.name(character, "") or "a control character"
    return f"U+{ord(character):04X} ({name})"


# ---------------------------------------------------------------------------------------------
# Read: a file's bytes, refusing anything that is not a regular file of a sane size
# ---------------------------------------------------------------------------------------------

FILE_TYPES = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def file_type_problem(mode: int) -> str | None:
    """Return why a file of this st_mode cannot be read as content, or None for a regular
    file."""
    if stat.S_ISREG(mode):
        return None
    kind = next((name for test, name in FILE_TYPES if test(mode)), "not a regular file")
    return f"is {kind}, not a regular file; replace it with a YAML file or remove it"


def open_problem(path: Path, err: OSError) -> str:
    """Return what is wrong with a file that could not be opened, and what to do."""
    if err.errno == errno.ENOENT and os.path.islink(path):
        target = escaped(os.readlink(path))
        return f"is a symbolic link to '{target}', which does not exist; fix or remove the link"
    if err.errno == errno.ELOOP:
        return "is a symbolic link that leads back to itself; replace it with the file"
    if err.errno in (errno.EACCES, errno.EPERM):
        return "cannot be read (permission denied); make it readable, e.g. chmod a+r"
    return f"cannot be read ({err.strerror or err}); check the file"


def read_limited(path: Path, limit: int = MAX_FILE_BYTES) -> tuple[bytes | None, str | None]:
    """Return at most limit + 1 bytes of the regular file at path, or why it cannot be read.

    The type is checked before opening, so a named pipe cannot block the build and a device
    is never opened; O_NONBLOCK and a second check on the open file cover a file swapped in
    between. Reading stops past the limit, so /dev/zero behind a link cannot fill memory.
    """
    try:
        problem = file_type_problem(os.stat(path).st_mode)
        if problem:
            return None, problem
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as err:
        return None, open_problem(path, err)
    with os.fdopen(descriptor, "rb") as file:
        problem = file_type_problem(os.fstat(file.fileno()).st_mode)
        if problem:
            return None, problem
        try:
            return file.read(limit + 1), None
        except OSError as err:
            return None, open_problem(path, err)


# ---------------------------------------------------------------------------------------------
# Load: bytes -> plain Python data, with strict YAML
# ---------------------------------------------------------------------------------------------

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class UnusableValue(yaml.constructor.ConstructorError):
    """Well-formed YAML that makes no value: its message says what to write instead."""


class StrictLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe YAML loader that also refuses duplicate keys and aliases (no "billion laughs"),
    and turns every value it cannot construct into a ConstructorError at that value."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        if node in self.constructed_objects:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                "anchors and aliases (&name, *name) are not allowed; write the value out in full",
                node.start_mark,
            )
        try:
            return super().construct_object(node, deep)
        except (ValueError, TypeError, OverflowError) as err:
            raise UnusableValue(None, None, unconstructable(node, err), node.start_mark) from None

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                kind = "a list" if isinstance(key_node, yaml.SequenceNode) else "a mapping"
                raise UnusableValue(
                    None,
                    None,
                    f"a key must be a plain name, found {kind} used as a key; "
                    "write the key as one word",
                    key_node.start_mark,
                )
            key = key_node.value
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"duplicate key '{escaped(key[:SHOWN_LENGTH])}'; keep one of them",
                    key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep)


StrictLoader.add_constructor("tag:yaml.org,2002:map", StrictLoader.construct_yaml_map)


def unconstructable(node: yaml.Node, err: Exception) -> str:
    """Return what is wrong with a scalar YAML could parse but not turn into a value."""
    found = shown_text(node.value) if isinstance(node.value, str) else "this value"
    tag = node.tag.rsplit(":", 1)[-1]
    if "integer string conversion" in str(err):
        digits = sum(c.isdigit() for c in node.value) if isinstance(node.value, str) else 0
        return (
            f"the number has {digits:,} digits, more than the "
            f"{sys.get_int_max_str_digits():,} Python reads; write a smaller number"
        )
    if tag == "timestamp":
        return f"{found} is not a real date ({err}); write a date that exists, as YYYY-MM-DD"
    if tag in ("int", "float"):
        kind = "a whole number" if tag == "int" else "a number"
        return f"{found} is not {kind}; remove the !!{tag} tag or write the number in digits"
    return f"{found} cannot be read as !!{tag} ({err}); remove the tag or fix the value"


def read_yaml(path: Path) -> tuple[Any, list[Problem]]:
    """Return the parsed YAML document at path, or the Problems saying why it cannot be used."""
    shown = display_path(path)
    data, unreadable = read_limited(path)
    if unreadable is not None or data is None:
        return None, [Problem(shown, 1, unreadable or "cannot be read")]
    if len(data) > MAX_FILE_BYTES:
        size = max(os.stat(path).st_size, len(data))
        return None, [
            Problem(
                shown,
                1,
                f"file is {size:,} bytes, more than the "
                f"{MAX_FILE_BYTES // 1024} KB limit; split or shorten it",
            )
        ]
    if data.startswith(b"\xef\xbb\xbf"):
        return None, [
            Problem(shown, 1, "file starts with a byte-order mark; save it as UTF-8 without BOM")
        ]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        return None, [
            Problem(
                shown,
                line,
                f"not valid UTF-8 (byte 0x{data[err.start]:02x}); save the file as UTF-8",
            )
        ]
    try:
        document = yaml.load(text, Loader=StrictLoader)  # noqa: S506 - StrictLoader is safe
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark else 1
        if isinstance(err, UnusableValue):
            return None, [Problem(shown, line, err.problem)]
        reason = " ".join(filter(None, [err.context, err.problem]))
        return None, [Problem(shown, line, f"invalid YAML: {escaped(reason)}; fix the syntax")]
    except yaml.reader.ReaderError as err:  # a character YAML itself refuses, such as ESC
        line = text[: err.position].count("\n") + 1
        character = chr(err.character) if isinstance(err.character, int) else err.character
        return None, [
            Problem(
                shown,
                line,
                f"contains {character_name(character)}, which YAML does not allow; delete it",
            )
        ]
    except yaml.YAMLError as err:
        return None, [Problem(shown, 1, f"invalid YAML: {escaped(str(err))}; fix the syntax")]
    except RecursionError:
        return None, [Problem(shown, 1, "invalid YAML: nested too deeply; flatten the structure")]
    if document is None:
        return None, [
            Problem(shown, 1, "file is empty; add the required fields (see content/README.md)")
        ]
    refused = refused_characters(path, document)
    return (None, refused) if refused else (document, [])


def refused_characters(path: Path, document: Any) -> list[Problem]:
    """Return a Problem for every text (key or value) in document that holds a refused
    character, naming the first such character and where its field starts."""
    problems = []
    for keys, text in texts_in(document):
        if found := REFUSED_CHARACTER.search(text):
            problems.append(
                Problem(
                    display_path(path),
                    line_of(path, keys),
                    f"{field_label(keys)} contains {character_name(found.group(0))}, an invisible "
                    "control or formatting character; delete it (retype the text around it)",
                )
            )
    return problems


def texts_in(document: Any) -> list[tuple[tuple[Any, ...], str]]:
    """Return (key path, text) for every string key and value in document, in file order.

    Iterative, with each node's key path kept as a link to its parent's, so deep nesting
    costs neither Python's stack nor a copy of the path per node."""
    found: list[tuple[tuple[Any, ...], str]] = []
    pending: list[tuple[Any, Any, tuple | None]] = [(document, None, None)]
    while pending:
        value, key, parent = pending.pop()
        here = (key, parent) if parent is not None or key is not None else None
        if isinstance(value, str):
            found.append((unlink(here), value))
        elif isinstance(value, dict):
            for child_key in value:
                if isinstance(child_key, str):
                    found.append((unlink((child_key, here)), child_key))
            pending += [(v, k, here) for k, v in reversed(value.items())]
        elif isinstance(value, list | tuple):
            pending += [(v, i, here) for i, v in reversed(list(enumerate(value)))]
    return found


def unlink(linked: tuple | None) -> tuple[Any, ...]:
    """Return the key path of a (key, parent) chain, outermost key first."""
    keys = []
    while linked is not None:
        keys.append(linked[0])
        linked = linked[1]
    return tuple(reversed(keys))


def field_label(keys: tuple[Any, ...]) -> str:
    """Return how a message names the field at keys: "'note'", "'causes' item 2"."""
    names = [key for key in keys if isinstance(key, str)]
    if not names:
        return "the text"
    label = f"'{escaped(names[-1][:SHOWN_LENGTH])}'"
    if isinstance(keys[-1], int):
        label += f" item {keys[-1] + 1}"
    return label


# ---------------------------------------------------------------------------------------------
# Lines for error messages: one pass per file over the parser's events
# ---------------------------------------------------------------------------------------------


class LineNode:
    """Where one YAML node starts, and the nodes inside it by key or index."""

    __slots__ = ("line", "is_mapping", "children")

    def __init__(self, line: int, is_mapping: bool = False) -> None:
        self.line = line
        self.is_mapping = is_mapping
        self.children: dict[str | int, LineNode] = {}


def line_tree(text: str) -> LineNode:
    """Return the line tree of a YAML document, from one pass over its parser events.

    A mapping entry's line is its key's; a list item's line is its own. The event stream is
    flat, so an explicit stack follows the nesting and 900 levels cost no recursion."""
    root = LineNode(1)
    # Each open collection: its node, then for a mapping the key awaiting its value
    # (None before a key, a LineNode placeholder for a key that is not plain text).
    stack: list[list[Any]] = []
    try:
        for event in yaml.parse(text, Loader=_BaseLoader):
            if not isinstance(event, yaml.NodeEvent):
                if isinstance(event, yaml.CollectionEndEvent) and stack:
                    stack.pop()
                continue
            line = event.start_mark.line + 1
            node = place_node(root, stack, event, line)
            if isinstance(event, yaml.CollectionStartEvent):
                stack.append([node, None])
    except yaml.YAMLError:
        pass  # the lines found so far are still right
    return root


def place_node(
    root: LineNode, stack: list[list[Any]], event: yaml.NodeEvent, line: int
) -> LineNode:
    """Return the LineNode for a node event, attached where it sits in its parent."""
    is_mapping = isinstance(event, yaml.MappingStartEvent)
    if not stack:
        root.line, root.is_mapping = line, is_mapping
        return root
    frame = stack[-1]
    parent: LineNode = frame[0]
    if not parent.is_mapping:
        return parent.children.setdefault(len(parent.children), LineNode(line, is_mapping))
    if frame[1] is None:  # this node is a key
        plain = isinstance(event, yaml.ScalarEvent)
        frame[1] = (event.value if plain else None, line)
        return LineNode(line, is_mapping)  # a key's own insides are never looked up
    key, key_line = frame[1]
    frame[1] = None
    node = LineNode(key_line, is_mapping)
    if key is not None:
        parent.children.setdefault(key, node)  # the first of two equal keys, as a loader sees
    return node


@functools.lru_cache(maxsize=16)
def cached_line_tree(path: Path, stamp: tuple[int, int, int]) -> LineNode:
    """Return the line tree of the file at path as it was at stamp (inode, time, size).

    Kept for the few files being reported on: a file with thousands of problems is parsed
    once, not once per problem."""
    data, _ = read_limited(path)
    try:
        return line_tree((data or b"").decode("utf-8"))
    except UnicodeDecodeError:
        return LineNode(1)


def line_of(path: Path, keys: tuple[str | int, ...]) -> int:
    """Return the 1-based line of a key path in a YAML file; used only to report errors."""
    try:
        status = os.stat(path)
    except OSError:
        return 1
    node = cached_line_tree(path, (status.st_ino, status.st_mtime_ns, status.st_size))
    for key in keys:
        child = (
            node.children.get(str(key) if node.is_mapping else key)
            if node.is_mapping or isinstance(key, int)
            else None
        )
        if child is None:
            break
        node = child
    return node.line


# ---------------------------------------------------------------------------------------------
# Which files the content folder holds
# ---------------------------------------------------------------------------------------------

GUIDE_FILE = re.compile(r"^[a-z][a-z0-9-]{0,40}\.yaml$")
CODE_FILE = re.compile(r"^[1-6][0-9][0-9]\.yaml$")  # ASCII digits: \d would take "1٤٨"


def find_code_files(codes_dir: Path) -> list[Problem | Path]:
    """Return, in file order, what codes_dir holds: a code file's path, or a Problem for a
    file that is not named like one or a folder that is."""
    if not codes_dir.is_dir():
        return [
            Problem(
                display_path(codes_dir),
                1,
                "missing folder codes/; add one YAML file per response code",
            )
        ]
    try:
        paths = sorted(codes_dir.iterdir())
    except OSError as err:
        return [
            Problem(
                display_path(codes_dir),
                1,
                f"cannot list the folder ({err.strerror}); make it readable",
            )
        ]
    found: list[Problem | Path] = []
    for path in paths:
        shown = escaped(display_path(path))  # a file name can hold a terminal escape
        if path.is_dir():
            if CODE_FILE.match(path.name):
                found.append(
                    Problem(shown, 1, "is a folder, not a code file; remove it or rename it")
                )
            continue  # other folders (an editor's, a backup) are not content
        if path.name.startswith(".") and path.suffix != ".yaml":
            continue  # editor swap files and the like
        if not CODE_FILE.match(path.name):
            found.append(
                Problem(
                    shown,
                    1,
                    f"file name '{escaped(path.name)}' is not a "
                    "code file; name it <code>.yaml, e.g. 487.yaml",
                )
            )
            continue
        found.append(path)
    return found


def find_guide_files(guides_dir: Path) -> list[Problem | Path]:
    """Return, in file order, the guide files of guides_dir (a folder that may be absent),
    or a Problem for a file not named like one."""
    if not guides_dir.is_dir():
        return []
    try:
        paths = sorted(guides_dir.iterdir())
    except OSError as err:
        return [
            Problem(
                display_path(guides_dir),
                1,
                f"cannot list the folder ({err.strerror}); make it readable",
            )
        ]
    found: list[Problem | Path] = []
    for path in paths:
        if path.is_dir() or (path.name.startswith(".") and path.suffix != ".yaml"):
            continue  # an editor's folder or swap file
        if not GUIDE_FILE.match(path.name):
            found.append(
                Problem(
                    escaped(display_path(path)),
                    1,
                    f"file name "
                    f"'{escaped(path.name)}' is not a guide file; name it "
                    "<slug>.yaml in lowercase letters, digits and hyphens, e.g. "
                    "declining.yaml",
                )
            )
            continue
        found.append(path)
    return found


def file_stamp(path: Path) -> tuple[int, int] | None:
    """Return a file's modification time and size, or None if it is missing."""
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size
