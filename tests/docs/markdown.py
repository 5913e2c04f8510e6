"""Reading the repository's Markdown the way the doc tests need it: sections under a heading,
table rows, code spans, list items and links, with fenced code blocks left out (an example in a
code block is not a claim the doc makes)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^```.*?^```[^\n]*$", re.MULTILINE | re.DOTALL)
HEADING = re.compile(r"^(#{1,6}) +(.+?) *#*$", re.MULTILINE)
CODE_SPAN = re.compile(r"`([^`]+)`")  # a span may wrap onto the next line
CELL_SPLIT = re.compile(r"(?<!\\)\|")
# [text](target) with the text possibly wrapped over lines; images too
INLINE_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_LINK = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.MULTILINE)
SKIPPED_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".mypy_cache", ".pytest_cache"}


def doc_files(root: Path = ROOT) -> list[Path]:
    """Every Markdown file of the repository (not of its virtualenvs or caches)."""
    found = []
    for path in sorted(root.rglob("*.md")):
        parts = path.relative_to(root).parts
        if any(p in SKIPPED_DIRS or p.endswith(".egg-info") for p in parts):
            continue
        found.append(path)
    return found


def read(rel: str) -> str:
    return (ROOT / rel).read_text(encoding="utf-8")


def strip_fences(text: str) -> str:
    return FENCE.sub("", text)


def sections(text: str, level: int) -> dict[str, str]:
    """Heading text -> the body under it, up to the next heading of `level` or higher (fenced
    code kept out, so a `# comment` in a shell block is no heading)."""
    text = strip_fences(text)
    marks = [(m.start(), m.end(), len(m.group(1)), m.group(2)) for m in HEADING.finditer(text)]
    out: dict[str, str] = {}
    for i, (_, end, depth, title) in enumerate(marks):
        if depth != level:
            continue
        stop = next((s for s, _, d, _ in marks[i + 1:] if d <= level), len(text))
        out[title] = text[end:stop]
    return out


def section(text: str, level: int, title: str) -> str:
    found = sections(text, level)
    assert title in found, f"no {'#' * level} {title} heading (headings: {sorted(found)})"
    return found[title]


def table_rows(text: str) -> Iterator[list[str]]:
    """The cells of each body row of each Markdown table (header and separator rows skipped)."""
    lines = strip_fences(text).splitlines()
    for i, line in enumerate(lines):
        if not line.startswith("|") or re.fullmatch(r"[|\s:-]+", line):
            continue
        if i + 1 < len(lines) and re.fullmatch(r"\|[\s:|-]+", lines[i + 1]):
            continue  # a header: the next line is the separator
        yield [c.strip() for c in CELL_SPLIT.split(line.strip().strip("|"))]


def tables(text: str) -> list[tuple[list[str], list[list[str]]]]:
    """Each Markdown table as (its header cells, its body rows' cells)."""
    out: list[tuple[list[str], list[list[str]]]] = []
    lines = strip_fences(text).splitlines()
    for i, line in enumerate(lines):
        if i + 1 < len(lines) and line.startswith("|") and re.fullmatch(r"\|[\s:|-]+", lines[i + 1]):
            out.append((_cells(line), []))
        elif out and line.startswith("|") and not re.fullmatch(r"\|[\s:|-]+", line) and i > 0 \
                and lines[i - 1].startswith("|"):
            out[-1][1].append(_cells(line))
    return out


def _cells(line: str) -> list[str]:
    return [c.strip() for c in CELL_SPLIT.split(line.strip().strip("|"))]


def code_span(cell: str) -> str | None:
    """The text of a cell that is exactly one code span, else None."""
    m = re.fullmatch(r"`([^`]+)`", cell.strip())
    return m.group(1) if m else None


def cell_names(cell: str) -> list[str]:
    """The names of a cell made only of code spans separated by commas (`a`, `b`), else []."""
    cell = cell.strip()
    if not re.fullmatch(r"`[^`]+`(\s*,\s*`[^`]+`)*", cell):
        return []
    return CODE_SPAN.findall(cell)


def code_spans(text: str) -> list[str]:
    return [" ".join(span.split()) for span in CODE_SPAN.findall(strip_fences(text))]


def list_items(text: str) -> list[str]:
    """Top-level `- ` items, each with its indented continuation lines joined on."""
    items: list[str] = []
    open_item = False
    for line in strip_fences(text).splitlines():
        if line.startswith("- "):
            items.append(line[2:])
            open_item = True
        elif open_item and line.startswith(" ") and line.strip():
            items[-1] += " " + line.strip()
        else:
            open_item = False
    return items


def slug(title: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", title.strip().lower())
    return text.replace(" ", "-")


def anchors(text: str) -> set[str]:
    seen: dict[str, int] = {}
    out: set[str] = set()
    for m in HEADING.finditer(strip_fences(text)):
        base = slug(m.group(2))
        n = seen.get(base, 0)
        out.add(base if n == 0 else f"{base}-{n}")
        seen[base] = n + 1
    return out


def links(text: str) -> list[str]:
    body = strip_fences(text)
    return INLINE_LINK.findall(body) + REFERENCE_LINK.findall(body)
