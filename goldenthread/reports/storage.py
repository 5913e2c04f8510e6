"""Confluence storage format: the ONLY module that emits storage markup.

Everything is built as an `xml.etree.ElementTree` tree and serialised by ElementTree, so every
value (Jira summaries, names, option values) is escaped by the serialiser: a summary such as
`<ac:structured-macro ac:name="html">` or `]]>` or `{html}` can only ever become visible text.
Tag and attribute names come from constants in this module, never from data.

Storage is an XML *fragment* whose `ac:`/`ri:` prefixes are undeclared (Confluence declares them
implicitly); `parse_storage` wraps a fragment with the declarations so it can be parsed.

Characters XML 1.0 forbids (control characters, lone surrogates, U+FFFE/U+FFFF) are dropped from
text: Confluence answers 400 to a body that is not well-formed, so one stray control character in
a Jira summary would otherwise block the whole page.
"""

from __future__ import annotations

import html.entities
import re
import xml.etree.ElementTree as ET
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Literal, Union, cast
from urllib.parse import urlsplit

from goldenthread.mappings.deployment import Deployment, DeploymentKind, compute_user_id_problem

AC_NS = "http://atlassian.com/content"
RI_NS = "http://atlassian.com/resource/identifier"
NAMESPACES: dict[str, str] = {"ac": AC_NS, "ri": RI_NS}

Colour = Literal["Grey", "Red", "Yellow", "Green", "Blue", "Purple"]
PanelKind = Literal["info", "note", "tip", "warning"]
#: Inline content: plain strings become (escaped) text, elements are appended as they are.
Inline = Union[str, ET.Element, None]
Content = Union[Inline, Sequence[Inline]]

_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean_text(value: object) -> str:
    """Text safe to put in XML: str() of the value without characters XML 1.0 forbids."""
    return _ILLEGAL_XML.sub("", "" if value is None else str(value))


def _el(tag: str, attrs: Mapping[str, str] | None = None, text: str | None = None) -> ET.Element:
    node = ET.Element(tag, {k: clean_text(v) for k, v in (attrs or {}).items()})
    if text is not None:
        node.text = clean_text(text)
    return node


def append(parent: ET.Element, content: Content) -> ET.Element:
    """Append strings (as escaped text) and elements to `parent`, in order; returns parent."""
    items: Iterable[Inline] = (
        # anything but a list or tuple is one inline (a str is a Sequence too, but one text)
        content if isinstance(content, (list, tuple)) else [cast(Inline, content)]
    )
    for item in items:
        if item is None:
            continue
        if isinstance(item, ET.Element):
            parent.append(item)
            continue
        text = clean_text(item)
        if len(parent):
            last = parent[-1]
            last.tail = (last.tail or "") + text
        else:
            parent.text = (parent.text or "") + text
    return parent


# --- blocks ----------------------------------------------------------------------------------


def heading(level: int, content: Content) -> ET.Element:
    return append(_el(f"h{min(max(level, 1), 6)}"), content)


def paragraph(content: Content) -> ET.Element:
    return append(_el("p"), content)


def strong(content: Content) -> ET.Element:
    return append(_el("strong"), content)


def emphasis(content: Content) -> ET.Element:
    return append(_el("em"), content)


def small(content: Content) -> ET.Element:
    return append(_el("span", {"style": "color: #6b778c;"}), content)


def rule() -> ET.Element:
    return _el("hr")


def bullet_list(items: Iterable[Content]) -> ET.Element:
    ul = _el("ul")
    for item in items:
        ul.append(append(_el("li"), item))
    return ul


def table(headers: Sequence[str], rows: Iterable[Sequence[Content]], *, widths: Sequence[int] | None = None) -> ET.Element:
    """A table with a header row; each cell is inline content (or a list of blocks)."""
    tbl = _el("table", {"data-layout": "full-width"})
    if widths:
        colgroup = ET.SubElement(tbl, "colgroup")
        for w in widths:
            colgroup.append(_el("col", {"style": f"width: {int(w)}px;"}))
    body = ET.SubElement(tbl, "tbody")
    head = ET.SubElement(body, "tr")
    for h in headers:
        head.append(_el("th", text=h))
    for row in rows:
        tr = ET.SubElement(body, "tr")
        for cell in row:
            tr.append(append(_el("td"), cell))
    return tbl


def link(href: str, content: Content) -> ET.Element | str:
    """`<a href>` for http(s) URLs only; any other scheme (javascript:, data:) degrades to text."""
    href = clean_text(href).strip()
    label = content if content not in (None, "") else href
    if urlsplit(href).scheme.lower() not in ("http", "https"):
        return label if isinstance(label, str) else clean_text(href)
    return append(_el("a", {"href": href}), label)


def jira_link(key: str, url: str) -> ET.Element | str:
    """A plain link to the issue's browse URL (no Jira macro: it needs the app link configured)."""
    return link(url, key) if url else clean_text(key)


def page_link(title: str, content: Content = None) -> ET.Element:
    """A link to another page of the same space, by title (Confluence resolves it, and keeps it
    working when the page is renamed in the editor)."""
    node = _el("ac:link")
    node.append(_el("ri:page", {"ri:content-title": title}))
    append(ET.SubElement(node, "ac:link-body"), content if content not in (None, "") else title)
    return node


def date(day: str) -> ET.Element:
    """A date ('YYYY-MM-DD') as Confluence's date lozenge (`<time datetime>`)."""
    return _el("time", {"datetime": day})


def task_list(bodies: Iterable[Content], done: Collection[int] = ()) -> ET.Element:
    """A Confluence task list (`ac:task-list`) numbered from 1; the tasks at the 0-based
    positions in `done` are complete, the others incomplete."""
    tasks = _el("ac:task-list")
    for n, body in enumerate(bodies, start=1):
        task = ET.SubElement(tasks, "ac:task")
        task.append(_el("ac:task-id", text=str(n)))
        task.append(_el("ac:task-status", text="complete" if n - 1 in done else "incomplete"))
        append(ET.SubElement(task, "ac:task-body"), body)
    return tasks


# --- macros ----------------------------------------------------------------------------------


def _macro(name: str, params: Mapping[str, str] | None = None) -> ET.Element:
    macro = _el("ac:structured-macro", {"ac:name": name, "ac:schema-version": "1"})
    for key, value in (params or {}).items():
        macro.append(_el("ac:parameter", {"ac:name": key}, value))
    return macro


def _rich_body(macro: ET.Element, blocks: Content) -> ET.Element:
    body = ET.SubElement(macro, "ac:rich-text-body")
    append(body, blocks)
    return macro


def status_lozenge(title: str, colour: Colour = "Grey", *, subtle: bool = False) -> ET.Element:
    params = {"colour": colour, "title": title}
    if subtle:
        params["subtle"] = "true"
    return _macro("status", params)


def expand(title: str, blocks: Content) -> ET.Element:
    """Collapsed section (the expand macro); the title is a parameter, so plain text."""
    return _rich_body(_macro("expand", {"title": title}), blocks)


def panel(kind: PanelKind, blocks: Content, *, title: str | None = None) -> ET.Element:
    return _rich_body(_macro(kind, {"title": title} if title else None), blocks)


def toc(max_level: int = 2) -> ET.Element:
    return _macro("toc", {"maxLevel": str(max_level), "minLevel": "2"})


def children_macro() -> ET.Element:
    """Lists the child pages (used on the parent pages we create)."""
    return _macro("children", {"all": "false", "sort": "title", "reverse": "true"})


def image(filename: str, *, width: int | None = None, alt: str = "") -> ET.Element:
    """An image attached to the page itself."""
    attrs = {"ac:alt": alt} if alt else {}
    if width:
        attrs["ac:width"] = str(int(width))
    node = _el("ac:image", attrs)
    node.append(_el("ri:attachment", {"ri:filename": filename}))
    return node


class Mentioner:
    """@mentions only for configured people whose id is valid for the deployment.

    Anyone else (ids from Jira, people missing from `stakeholders.people`, malformed ids) is
    written as their plain name: a mention notifies a person, so it must never be produced from
    unvalidated data.
    """

    def __init__(self, people: Mapping[str, str], deployment: DeploymentKind | None) -> None:
        self.deployment = deployment
        self.people = {
            pid.casefold(): (pid, name)
            for pid, name in people.items()
            if compute_user_id_problem(pid, deployment) is None
        }

    def mention(self, user_id: str, fallback_name: str = "") -> ET.Element | str:
        found = self.people.get(user_id.casefold())
        if found is None:
            return clean_text(fallback_name or user_id)
        pid, _ = found
        # unknown deployment: the Cloud form (the deployment pages are previewed for)
        attr = Deployment.of(self.deployment or "cloud").mention_attribute
        node = _el("ac:link")
        node.append(_el("ri:user", {attr: pid}))
        return node

    def name_of(self, user_id: str, fallback: str = "") -> str:
        found = self.people.get(user_id.casefold())
        return (found[1] if found and found[1] else fallback) or user_id


# --- serialisation ---------------------------------------------------------------------------


def render_storage(blocks: Iterable[ET.Element]) -> str:
    """Serialise top-level blocks as one storage-format string (deterministic: attribute order
    is insertion order, no pretty-printing)."""
    return "".join(ET.tostring(b, encoding="unicode", short_empty_elements=True) for b in blocks)


def parse_storage(storage: str) -> ET.Element:
    """Parse a storage fragment (raises ET.ParseError if not well-formed); ac:/ri: tags come back
    in Clark notation ({http://atlassian.com/content}link)."""
    decl = " ".join(f'xmlns:{p}="{u}"' for p, u in NAMESPACES.items())
    return ET.fromstring(f"<storage-root {decl}>{storage}</storage-root>")


_NAMED_ENTITY = re.compile(r"&([A-Za-z][A-Za-z0-9]*);")
_XML_ENTITIES = frozenset(("amp", "lt", "gt", "quot", "apos"))


def parse_page_storage(storage: str) -> ET.Element:
    """Parse storage a person wrote in the editor (raises ET.ParseError if it is not readable).

    Pages saved by the editor use HTML's named entities (`&nbsp;`, `&rsquo;`), which XML does
    not define: they become the characters they stand for before parsing. Unknown namespace
    prefixes (Confluence has a few more than ac:/ri:) are declared too."""

    def numeric(m: re.Match[str]) -> str:
        name = m.group(1)
        if name in _XML_ENTITIES:
            return m.group(0)
        char = html.entities.html5.get(name + ";")
        return f"&#{ord(char)};" if char and len(char) == 1 else m.group(0)

    text = _NAMED_ENTITY.sub(numeric, storage)
    extra = sorted(set(re.findall(r"(?:</?|\s)([A-Za-z][\w.-]*):[A-Za-z_]", text)) - set(NAMESPACES) - {"xml"})
    decl = " ".join([*(f'xmlns:{p}="{u}"' for p, u in NAMESPACES.items()),
                     *(f'xmlns:{p}="urn:confluence:{p}"' for p in extra)])
    return ET.fromstring(f"<storage-root {decl}>{text}</storage-root>")


def count_confluence_elements(storage: str) -> dict[str, int]:
    """How many elements of each ac:/ri: tag a storage fragment holds (for safety checks)."""
    counts: dict[str, int] = {}
    inverse = {f"{{{u}}}": f"{p}:" for p, u in NAMESPACES.items()}
    for node in parse_storage(storage).iter():
        for clark, prefix in inverse.items():
            if node.tag.startswith(clark):
                name = prefix + node.tag[len(clark):]
                counts[name] = counts.get(name, 0) + 1
    return counts
