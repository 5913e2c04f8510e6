"""Reading a goldenthread.yaml safely, with the line of every key: bounded (size, aliases, the
nodes aliases expand to) so a hostile file is refused before anything walks it, and a line map
so every config problem can name the line it is about.

Tests: tests/mappings/test_config.py
"""

from __future__ import annotations

from typing import Any

import yaml


#: dotted path -> 1-based line where that key (or list item) starts.
LineMap = dict[str, int]


#: A goldenthread.yaml is a few KiB. Anything near these bounds is a mistake or an attack: the
#: "billion laughs" alias bomb expands nine short lists into 9^9 nodes through aliases alone.
MAX_CONFIG_BYTES = 1024 * 1024
MAX_ALIASES = 100
MAX_NODES = 100_000  # nodes once every alias is expanded (what the validators would walk)


class _BoundedLoader(yaml.SafeLoader):
    """yaml's safe loader, counting aliases as it composes (refused past MAX_ALIASES)."""

    aliases = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise Refused(f"more than {MAX_ALIASES} YAML aliases (*name); write the values out",
                               self.line + 1)
        return super().compose_node(parent, index)


def _date_as_text(loader: _BoundedLoader, node: yaml.Node) -> str:
    """Dates stay text: PyYAML raises a bare ValueError (no line) for a date such as 2026-13-01,
    while pydantic parses the text and names the YAML line when it is wrong."""
    assert isinstance(node, yaml.ScalarNode)  # the timestamp resolver only matches scalars
    return str(loader.construct_scalar(node))


_BoundedLoader.add_constructor("tag:yaml.org,2002:timestamp", _date_as_text)


class Refused(Exception):
    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def _expanded_size(root: yaml.Node) -> int:
    """Nodes of the document with every alias expanded, counted without expanding anything:
    each node's size is computed once, capped just past MAX_NODES. A recursive anchor (`&a [*a]`)
    expands forever, so it counts as over the bound."""
    size: dict[int, int] = {}
    open_: set[int] = set()  # the nodes being counted: the path from the root
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if children_done:
            open_.discard(id(node))
            size[id(node)] = min(MAX_NODES + 1, 1 + sum(size[id(k)] for k in _children(node)))
            continue
        if id(node) in size:
            continue
        if id(node) in open_:
            return MAX_NODES + 1  # reached again inside itself
        open_.add(id(node))
        stack.append((node, True))
        stack.extend((k, False) for k in _children(node) if id(k) not in size)
    return size[id(root)]


def parse_yaml(text: str) -> tuple[Any, LineMap]:
    """The document and its line map, composed once. Raises Refused for a document over the
    bounds above and yaml.YAMLError for invalid YAML."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_CONFIG_BYTES:
        raise Refused(f"file is over {MAX_CONFIG_BYTES // 1024} KiB; a goldenthread.yaml is a few KiB", None)
    loader = _BoundedLoader(text)
    try:
        try:
            root = loader.get_single_node()
        except RecursionError:
            raise Refused("YAML nested too deeply", None) from None
        if root is None:
            return None, {}
        if _expanded_size(root) > MAX_NODES:
            raise Refused(f"YAML expands to more than {MAX_NODES:,} values through its aliases", root.start_mark.line + 1)
        return loader.construct_document(root), _build_line_map(root)
    finally:
        loader.dispose()


def _build_line_map(root: yaml.Node) -> LineMap:
    lines: LineMap = {}
    stack: list[tuple[yaml.Node, str]] = [(root, "")]
    while stack:
        node, path = stack.pop()
        todo: list[tuple[yaml.Node, str]] = []
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                child = f"{path}.{key_node.value}" if path else str(key_node.value)
                lines[child] = key_node.start_mark.line + 1
                todo.append((value_node, child))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                child = f"{path}.{i}"
                lines[child] = item.start_mark.line + 1
                todo.append((item, child))
        stack.extend(reversed(todo))  # document order, so a repeated key's last line wins as in yaml
    return lines


def line_for(lines: LineMap, path: str) -> int | None:
    """The line of `path`, or of its closest ancestor present in the file."""
    parts = path.split(".") if path else []
    while parts:
        found = lines.get(".".join(parts))
        if found:
            return found
        parts.pop()
    return None
