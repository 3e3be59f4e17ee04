"""Bounded YAML reading: the one reader for configs and sweep specs.

Whatever file a user names, reading it must end quickly with either plain data or
one clear message: never hang, crash with a traceback or exhaust memory. So the
reader:

* refuses anything that is not a regular file (a named pipe, a device, a folder)
  without opening it for a blocking read;
* reads at most :data:`MAX_BYTES`, and only UTF-8 text;
* refuses duplicate mapping keys (YAML would silently keep the last one);
* limits nesting to :data:`MAX_DEPTH` levels and the document, with every alias
  expanded, to :data:`MAX_NODES` nodes (a "billion laughs" file is a few lines that
  expand to billions of nodes once anything walks them), and refuses an alias that
  contains itself.

Every refusal is a :class:`YamlInputError` whose text says what is wrong and what
would be valid; the caller adds the file name (``economy.config.read_yaml``).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

MAX_BYTES = 2_000_000
"""Largest file read (bytes). The baseline is ~110 kB; a study spec a few kB."""

MAX_DEPTH = 50
"""Deepest nesting of mappings and lists. The baseline nests 6 levels."""

MAX_NODES = 500_000
"""Most values in a document with every alias expanded. The baseline has ~5,000."""

_MERGE_TAG = "tag:yaml.org,2002:merge"


class YamlInputError(Exception):
    """A file that cannot be read as YAML data; ``str()`` says why and what would be valid."""


def read_text(path: Path) -> str:
    """The text of a regular UTF-8 file of at most :data:`MAX_BYTES`.

    Raises:
        FileNotFoundError: If nothing is at ``path``.
        YamlInputError: If it is not a regular file, too large, or not UTF-8 text.
        OSError: If it cannot be read (permissions...).
    """
    # stat first: opening a named pipe for reading blocks until someone writes to it
    _require_regular(os.stat(path), path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    fd = os.open(path, flags)
    with os.fdopen(fd, "rb") as f:
        _require_regular(os.fstat(f.fileno()), path)  # it may have been swapped since the stat
        data = f.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise YamlInputError(f"the file is larger than {MAX_BYTES:,} bytes, the most a config or spec may be; "
                             "give a smaller file")
    return _decode(data)


def _require_regular(st: os.stat_result, path: Path) -> None:
    if stat.S_ISDIR(st.st_mode):
        raise YamlInputError("is a folder, not a file; give a YAML config or spec file")
    if not stat.S_ISREG(st.st_mode):
        kind = "a named pipe (FIFO)" if stat.S_ISFIFO(st.st_mode) else "not a regular file (a device or socket)"
        raise YamlInputError(f"is {kind}; give a regular YAML file")


def _decode(data: bytes) -> str:
    """UTF-8 text (a leading byte-order mark is allowed), or an error saying where it is not."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        hint = " (UTF-16: save it as UTF-8)" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ""
        raise YamlInputError(f"not UTF-8 text{hint}: byte 0x{data[err.start]:02x} at line {line} is not UTF-8; "
                             "save the file as UTF-8 (a binary file cannot be a config)") from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise YamlInputError(f"not UTF-8 text: a NUL byte at line {line} (a binary file, or UTF-16/32?); "
                             "save the file as UTF-8 text")
    return text


def parse(text: str) -> Any:
    """Parse one YAML document within the limits above, refusing duplicate keys.

    Raises:
        YamlInputError: For a limit exceeded or a duplicate key, with the line.
        yaml.YAMLError: For a syntax error (the caller reports it with its line).
    """
    _check_nesting(text)
    loader = _BoundedLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_size(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


# libyaml parses and composes ten times faster than the pure-Python reader (half a second of every run
# was the baseline's YAML); its composer recurses in C, so the nesting is checked on its events first
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_OPEN_EVENTS = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_CLOSE_EVENTS = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


def _check_nesting(text: str) -> None:
    """Refuse a document nested deeper than :data:`MAX_DEPTH`, from the parser's events, before composing it."""
    depth = 0
    for event in yaml.parse(text, Loader=_FAST_LOADER):
        if isinstance(event, _OPEN_EVENTS):
            depth += 1
            if depth > MAX_DEPTH:
                raise YamlInputError(f"line {event.start_mark.line + 1}: nested more than {MAX_DEPTH} levels deep, "
                                     "the most allowed")
        elif isinstance(event, _CLOSE_EVENTS):
            depth -= 1


class _BoundedLoader(_FAST_LOADER):
    """The safe loader (libyaml's where installed) with duplicate keys refused, and a nesting limit while composing.

    libyaml composes in C, past :meth:`compose_node`: there :func:`_check_nesting` has set the limit already.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        # composing recurses once per level: stop long before Python's recursion limit
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise YamlInputError(f"line {mark.line + 1}: nested more than {MAX_DEPTH} levels deep, the most allowed")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        first_line: dict[Any, int] = {}
        for key_node, _value in node.value:
            if key_node.tag == _MERGE_TAG:
                continue  # keys brought in by '<<' may be overridden: that is what a merge key is for
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                if key in first_line:
                    raise YamlInputError(f"line {line}: duplicate key {key!r} (first at line {first_line[key]}); "
                                         "each key may appear once in a mapping: remove or merge one of them")
                first_line[key] = line
            except TypeError:
                continue  # an unhashable key (a list as a key): the base constructor reports it
        return super().construct_mapping(node, deep=deep)


def _check_size(root: Node) -> None:
    """Refuse a document whose alias-expanded size or depth is over the limits, or that contains itself.

    Sizes are memoised per node, so a node shared through many aliases is measured once:
    the check takes time in proportion to the text, not to the expansion.
    """
    size: dict[int, tuple[int, int]] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:  # iterative: a deep document must not hit the recursion limit here either
        node, children_done = stack.pop()
        key = id(node)
        if key in size:
            continue
        kids = _children(node)
        if not children_done:
            open_nodes.add(key)  # the open nodes are the path from the root to this one
            stack.append((node, True))
            for kid in kids:
                if id(kid) in open_nodes:
                    raise YamlInputError(f"line {kid.start_mark.line + 1}: an alias refers to a value that contains it "
                                         "(a recursive structure); give plain values")
                stack.append((kid, False))
            continue
        open_nodes.discard(key)
        nodes = 1 + sum(size[id(k)][0] for k in kids)
        depth = 1 + max((size[id(k)][1] for k in kids), default=0)
        if nodes > MAX_NODES:
            raise YamlInputError(f"line {node.start_mark.line + 1}: with its aliases expanded the document holds more than "
                                 f"{MAX_NODES:,} values, the most allowed (aliases that repeat each other, "
                                 "a 'billion laughs'?)")
        if depth > MAX_DEPTH:
            raise YamlInputError(f"line {node.start_mark.line + 1}: with its aliases expanded the document nests more than "
                                 f"{MAX_DEPTH} levels deep, the most allowed")
        size[key] = (nodes, depth)


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    assert isinstance(node, ScalarNode)
    return []
