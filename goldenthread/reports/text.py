"""Storage format -> the page's text, one line per block, for `publish --dry-run` diffs.

A reader of a dry run wants to see what changes on the page ("Now: 12 -> 13", a new row in the
Roadmap), not which markup changed. Headings keep a `#` per level, list items a `-`, table
rows their cells joined by ` | `, tasks `[ ]` / `[x]`, status lozenges become `[TITLE]`,
mentions `@name`, images `[image: file]`; expand and panel bodies are indented under their title.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping

from goldenthread.reports.storage import AC_NS, RI_NS, parse_page_storage

_AC, _RI = f"{{{AC_NS}}}", f"{{{RI_NS}}}"
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_BLOCKS = frozenset({"p", "div", "ul", "ol", "li", "table", "tbody", "thead", "tr", "hr", "pre", "blockquote",
                     *_HEADINGS, f"{_AC}structured-macro", f"{_AC}rich-text-body", f"{_AC}layout",
                     f"{_AC}layout-section", f"{_AC}layout-cell", f"{_AC}task-list", f"{_AC}task"})  # fmt: skip
_SPACES = re.compile(r"\s+")


def render_storage_text(storage: str, people: Mapping[str, str] | None = None) -> list[str]:
    """The text lines of a page's storage (raises ET.ParseError if it is not readable)."""
    return _Text(people or {}).blocks(parse_page_storage(storage), "")


class _Text:
    def __init__(self, people: Mapping[str, str]) -> None:
        self.people = people

    def blocks(self, node: ET.Element, indent: str) -> list[str]:
        """Lines for `node`'s children: block children give their own lines, runs of inline
        content between them one line each."""
        lines: list[str] = []
        run: list[str] = [node.text or ""]

        def flush() -> None:
            text = _SPACES.sub(" ", "".join(run)).strip()
            if text:
                lines.append(indent + text)
            run.clear()

        for child in node:
            if child.tag in _BLOCKS:
                flush()
                lines += self.block(child, indent)
            elif child.tag == "br":
                flush()
            else:
                run.append(self.inline(child))
            run.append(child.tail or "")
        flush()
        return lines

    def block(self, node: ET.Element, indent: str) -> list[str]:
        tag = node.tag
        if tag in _HEADINGS:
            return [f"{indent}{'#' * _HEADINGS[tag]} {self.inline_text(node)}"]
        if tag == "hr":
            return [f"{indent}---"]
        if tag == "li":
            inner = self.blocks(node, indent + "  ")
            return [f"{indent}- {inner[0].strip()}", *inner[1:]] if inner else [f"{indent}-"]
        if tag == "tr":
            cells = [self.inline_text(cell) for cell in node if cell.tag in ("td", "th")]
            return [f"{indent}| {' | '.join(cells)} |"]
        if tag == f"{_AC}structured-macro":
            return self.macro(node, indent)
        if tag == f"{_AC}task":
            done = (node.findtext(f"{_AC}task-status") or "").strip() == "complete"
            body = node.find(f"{_AC}task-body")
            return [f"{indent}[{'x' if done else ' '}] {self.inline_text(body) if body is not None else ''}"]
        return self.blocks(node, indent)

    def macro(self, node: ET.Element, indent: str) -> list[str]:
        name = node.get(f"{_AC}name", "")
        params = {p.get(f"{_AC}name", ""): p.text or "" for p in node.findall(f"{_AC}parameter")}
        body = node.find(f"{_AC}rich-text-body")
        if name == "status":
            return [f"{indent}[{params.get('title', '')}]"]
        if name == "toc":
            return [f"{indent}[table of contents]"]
        title = params.get("title", "")
        head = f"{indent}{name}: {title}" if title else f"{indent}{name}:"
        if name == "expand":
            head = f"{indent}▸ {title or 'Expand'}"
        return [head, *(self.blocks(body, indent + "  ") if body is not None else [])]

    def inline(self, node: ET.Element) -> str:
        tag = node.tag
        if tag == f"{_AC}structured-macro":
            return " ".join(line.strip() for line in self.macro(node, ""))
        if tag == f"{_AC}image":
            att = node.find(f"{_RI}attachment")
            return f"[image: {att.get(f'{_RI}filename', '') if att is not None else node.get(f'{_AC}alt', '')}]"
        if tag == f"{_AC}link":
            user = node.find(f"{_RI}user")
            if user is not None:
                uid = user.get(f"{_RI}account-id") or user.get(f"{_RI}username") or "?"
                return "@" + self.people.get(uid, uid)
        if tag == f"{_AC}parameter":
            return ""
        # a block inside inline content (a <p> in a table cell) still separates words
        return (node.text or "") + "".join(
            (f" {self.inline(child)} " if child.tag in _BLOCKS else self.inline(child)) + (child.tail or "")
            for child in node
        )

    def inline_text(self, node: ET.Element) -> str:
        return _SPACES.sub(" ", self.inline(node)).strip()
