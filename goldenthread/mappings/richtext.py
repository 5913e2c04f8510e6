"""Jira rich text to plain text: Atlassian Document Format (Cloud v3) and wiki markup (Data
Center, v2 webhooks). Pure; `parse_description` picks the right one for a description value.

Tests: tests/mappings/test_jira.py"""

from __future__ import annotations

import re
from typing import Any

from goldenthread.mappings.values import is_map as _is_map
from goldenthread.mappings.values import parse_datetime

_BLOCKS = {"paragraph", "heading", "blockquote", "codeBlock", "listItem", "tableRow", "panel", "rule", "mediaSingle"}


def parse_adf_text(doc: Any) -> str:
    """Atlassian Document Format -> plain text: block nodes become lines, mentions their names."""
    lines: list[str] = []
    current: list[str] = []
    _walk_adf(doc, lines, current)
    _flush_adf(lines, current)
    return "\n".join(lines)


# Module-level rather than closures: a recursive nested function is a reference cycle, and one
# per description (a full sync parses tens of thousands) left the cyclic GC most of the garbage.
def _flush_adf(lines: list[str], current: list[str]) -> None:
    text = "".join(current).strip()
    if text and text != "-":
        lines.append(text)
    current.clear()


def _walk_adf(node: Any, lines: list[str], current: list[str]) -> None:
    if isinstance(node, list):
        for child in node:
            # most nodes are text leaves: handled here without a call
            if type(child) is dict and child.get("type") == "text" and "content" not in child:
                current.append(str(child.get("text", "")))
            else:
                _walk_adf(child, lines, current)
        return
    if not _is_map(node):
        return
    kind = node.get("type")
    attrs = node.get("attrs") or {}
    if kind == "text":
        current.append(str(node.get("text", "")))
    elif kind == "hardBreak":
        _flush_adf(lines, current)
    elif kind == "mention":
        current.append(str(attrs.get("text") or "@" + str(attrs.get("id", ""))))
    elif kind in ("emoji",):
        current.append(str(attrs.get("text") or attrs.get("shortName") or ""))
    elif kind in ("inlineCard", "blockCard"):
        current.append(str(attrs.get("url", "")))
    elif kind == "status":
        current.append(str(attrs.get("text", "")))
    elif kind == "date" and attrs.get("timestamp"):
        try:
            ts = parse_datetime(int(attrs["timestamp"]))
        except (TypeError, ValueError, OverflowError, OSError):  # a garbage timestamp: no date, not a failure
            ts = None
        current.append(ts.date().isoformat() if ts else "")
    if kind == "listItem":
        _flush_adf(lines, current)
        current.append("- ")
    _walk_adf(node.get("content", []), lines, current)
    if kind in _BLOCKS:
        _flush_adf(lines, current)
    elif kind in ("tableCell", "tableHeader"):
        current.append(" ")


_WIKI_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^h[1-6]\.\s*", re.M), ""),
    (re.compile(r"\{\{(.*?)\}\}"), r"\1"),
    (re.compile(r"\{(code|noformat|quote|panel)(:[^}]*)?\}"), ""),
    (re.compile(r"\{color(:[^}]*)?\}"), ""),
    (re.compile(r"\[~(?:accountid:)?([^\]]+)\]"), r"@\1"),
    (re.compile(r"\[([^|\]]+)\|([^\]]+)\]"), r"\1"),
    (re.compile(r"\[(https?://[^\]]+)\]"), r"\1"),
    (re.compile(r"!([^!\s|]+)(\|[^!]*)?!"), ""),
    (re.compile(r"(?<![\w*])\*(\S(?:[^*\n]*\S)?)\*(?![\w*])"), r"\1"),
    (re.compile(r"(?<![\w_])_(\S(?:[^_\n]*\S)?)_(?![\w_])"), r"\1"),
    (re.compile(r"^\s*[*#-]+\s+", re.M), "- "),
    (re.compile(r"^\|\|?|\|\|?$", re.M), ""),
    (re.compile(r"\|\|?"), " "),
)


def parse_wiki_text(text: str) -> str:
    """Jira wiki markup -> readable plain text (headings, emphasis, links, macros stripped)."""
    out = text.replace("\r\n", "\n")
    for pattern, repl in _WIKI_RULES:
        out = pattern.sub(repl, out)
    return "\n".join(line.rstrip() for line in out.split("\n")).strip()


def parse_description(value: Any) -> str:
    if value is None:
        return ""
    if _is_map(value):
        return parse_adf_text(value)
    return parse_wiki_text(str(value))
