"""Storage format -> a standalone HTML page a person can open (demo, `--dry-run --preview`).

The storage is parsed (never string-substituted) and walked: status macros become lozenges,
expand macros `<details>`, panels coloured boxes, attached images inline `data:` URIs, user
mentions "@name". Text nodes are re-escaped by ElementTree on output, so the preview is as
safe as the page.
"""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from datetime import date
from collections.abc import Mapping

from goldenthread.reports.storage import AC_NS, RI_NS, parse_storage

_AC, _RI = f"{{{AC_NS}}}", f"{{{RI_NS}}}"
_PANEL_COLOURS = {"info": "#deebff", "note": "#eae6ff", "tip": "#e3fcef", "warning": "#fffae6"}
_PANEL_BORDER = {"info": "#0052cc", "note": "#5243aa", "tip": "#00875a", "warning": "#ff8b00"}
_LOZENGE = {
    "grey": ("#dfe1e6", "#42526e"), "red": ("#ffebe6", "#bf2600"), "yellow": ("#fff0b3", "#172b4d"),
    "green": ("#e3fcef", "#006644"), "blue": ("#deebff", "#0747a6"), "purple": ("#eae6ff", "#403294"),
}  # fmt: skip

CSS = """
body { font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: #172b4d; margin: 0; background: #f4f5f7; }
main { max-width: 1160px; margin: 24px auto; background: #fff; padding: 32px 48px;
       border-radius: 6px; box-shadow: 0 1px 3px rgba(9,30,66,.2); }
.crumbs { color: #6b778c; font-size: 13px; margin-bottom: 4px; }
h1 { font-size: 28px; margin: 0 0 16px; }
h2 { font-size: 21px; margin: 32px 0 8px; border-bottom: 1px solid #ebecf0; padding-bottom: 4px; }
h3 { font-size: 16px; margin: 20px 0 6px; color: #253858; }
p { line-height: 1.5; margin: 6px 0; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 16px; font-size: 14px; }
th { background: #f4f5f7; text-align: left; font-weight: 600; }
th, td { border: 1px solid #dfe1e6; padding: 6px 8px; vertical-align: top; }
.lozenge { display: inline-block; font-size: 11px; font-weight: 700; text-transform: uppercase;
           border-radius: 3px; padding: 1px 5px; line-height: 16px; white-space: nowrap; }
.lozenge.subtle { background: #fff !important; border: 1px solid currentColor; }
details { margin: 4px 0; font-size: 13px; }
details summary { cursor: pointer; color: #0052cc; }
details > div { padding: 4px 8px; border-left: 2px solid #dfe1e6; }
.panel { border-left: 4px solid; border-radius: 3px; padding: 8px 16px; margin: 12px 0; }
.panel-title { font-weight: 600; margin-bottom: 4px; }
.mention { background: #deebff; color: #0052cc; border-radius: 10px; padding: 0 6px; }
.toc { color: #6b778c; font-size: 13px; }
img { max-width: 100%; border: 1px solid #ebecf0; }
a { color: #0052cc; text-decoration: none; }
ul { margin: 4px 0; padding-left: 20px; }
.index li { margin: 6px 0; font-size: 16px; }
ul.tasks { list-style: none; padding-left: 4px; }
.date { background: #f4f5f7; border-radius: 3px; padding: 0 4px; }
.page-link { color: #0052cc; }
"""


class _Converter:
    def __init__(self, attachments: Mapping[str, bytes], people: Mapping[str, str]) -> None:
        self.attachments, self.people = attachments, people

    def convert(self, node: ET.Element, out: ET.Element) -> None:
        """Append the HTML for `node`'s children (and their tails) to `out`."""
        if node.text:
            _add_text(out, node.text)
        for child in node:
            html = self.element(child)
            if html is not None:
                out.append(html)
            if child.tail:
                _add_text(out, child.tail)

    def element(self, node: ET.Element) -> ET.Element | None:
        tag = node.tag
        if tag == f"{_AC}structured-macro":
            return self.macro(node)
        if tag == f"{_AC}image":
            return self.image(node)
        if tag == f"{_AC}link":
            return self.link(node)
        if tag == f"{_AC}task-list":
            return self.tasks(node)
        if tag == "time":
            span = ET.Element("span", {"class": "date"})
            day = node.get("datetime", "")
            try:
                span.text = date.fromisoformat(day).strftime("%-d %b %Y")
            except ValueError:
                span.text = day
            return span
        if tag.startswith("{"):
            return None  # anything else from the ac:/ri: namespaces has no preview
        out = ET.Element(tag, {k: v for k, v in node.attrib.items() if k in ("href", "style", "colspan")})
        self.convert(node, out)
        return out

    def link(self, node: ET.Element) -> ET.Element | None:
        """A user mention as "@name"; a link to another page as its link text."""
        user = node.find(f"{_RI}user")
        if user is not None:
            uid = user.get(f"{_RI}account-id") or user.get(f"{_RI}username") or "?"
            span = ET.Element("span", {"class": "mention"})
            span.text = "@" + self.people.get(uid, uid)
            return span
        page = node.find(f"{_RI}page")
        if page is not None:
            out = ET.Element("span", {"class": "page-link"})
            body = node.find(f"{_AC}link-body")
            if body is not None:
                self.convert(body, out)
            else:
                out.text = page.get(f"{_RI}content-title", "")
            return out
        return None

    def tasks(self, node: ET.Element) -> ET.Element:
        """A Confluence task list: a checkbox per task, ticked when complete."""
        ul = ET.Element("ul", {"class": "tasks"})
        for task in node.findall(f"{_AC}task"):
            li = ET.SubElement(ul, "li")
            done = (task.findtext(f"{_AC}task-status") or "").strip() == "complete"
            li.text = "☑ " if done else "☐ "
            body = task.find(f"{_AC}task-body")
            if body is not None:
                self.convert(body, li)
        return ul

    def macro(self, node: ET.Element) -> ET.Element:
        name = node.get(f"{_AC}name", "")
        params = {p.get(f"{_AC}name", ""): p.text or "" for p in node.findall(f"{_AC}parameter")}
        body = node.find(f"{_AC}rich-text-body")
        if name == "status":
            bg, fg = _LOZENGE.get(params.get("colour", "grey").lower(), _LOZENGE["grey"])
            cls = "lozenge subtle" if params.get("subtle") == "true" else "lozenge"
            span = ET.Element("span", {"class": cls, "style": f"background:{bg};color:{fg}"})
            span.text = params.get("title", "")
            return span
        if name == "expand":
            details = ET.Element("details")
            ET.SubElement(details, "summary").text = params.get("title") or "Expand"
            inner = ET.SubElement(details, "div")
            if body is not None:
                self.convert(body, inner)
            return details
        if name in _PANEL_COLOURS:
            div = ET.Element("div", {"class": "panel", "style":
                             f"background:{_PANEL_COLOURS[name]};border-color:{_PANEL_BORDER[name]}"})
            if params.get("title"):
                ET.SubElement(div, "div", {"class": "panel-title"}).text = params["title"]
            if body is not None:
                self.convert(body, div)
            return div
        if name == "toc":
            p = ET.Element("p", {"class": "toc"})
            p.text = "[table of contents]"
            return p
        div = ET.Element("div")
        div.text = f"[{name} macro]"
        return div

    def image(self, node: ET.Element) -> ET.Element:
        att = node.find(f"{_RI}attachment")
        filename = att.get(f"{_RI}filename", "") if att is not None else ""
        data = self.attachments.get(filename)
        src = "data:image/png;base64," + base64.b64encode(data).decode("ascii") if data else filename
        attrs = {"src": src, "alt": node.get(f"{_AC}alt", filename)}
        if node.get(f"{_AC}width"):
            attrs["width"] = node.get(f"{_AC}width", "")
        return ET.Element("img", attrs)


def _add_text(out: ET.Element, text: str) -> None:
    if len(out):
        out[-1].tail = (out[-1].tail or "") + text
    else:
        out.text = (out.text or "") + text


def render_preview_html(
    title: str,
    storage: str,
    attachments: Mapping[str, bytes] | None = None,
    people: Mapping[str, str] | None = None,
    breadcrumbs: tuple[str, ...] = (),
) -> str:
    """A complete HTML document showing `storage` roughly as Confluence renders it."""
    html = ET.Element("html", {"lang": "en"})
    head = ET.SubElement(html, "head")
    ET.SubElement(head, "meta", {"charset": "utf-8"})
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "style").text = CSS
    main = ET.SubElement(ET.SubElement(html, "body"), "main")
    if breadcrumbs:
        ET.SubElement(main, "div", {"class": "crumbs"}).text = " / ".join(breadcrumbs)
    ET.SubElement(main, "h1").text = title
    _Converter(attachments or {}, people or {}).convert(parse_storage(storage), main)
    return "<!DOCTYPE html>\n" + ET.tostring(html, encoding="unicode", method="html")


def render_preview_index(entries: list[tuple[str, str]]) -> str:
    """index.html linking (title, filename) pairs."""
    html = ET.Element("html", {"lang": "en"})
    head = ET.SubElement(html, "head")
    ET.SubElement(head, "meta", {"charset": "utf-8"})
    ET.SubElement(head, "title").text = "goldenthread preview"
    ET.SubElement(head, "style").text = CSS
    main = ET.SubElement(ET.SubElement(html, "body"), "main")
    ET.SubElement(main, "h1").text = "goldenthread: page previews"
    ET.SubElement(main, "p").text = "What would be published to Confluence. Open a page:"
    ul = ET.SubElement(main, "ul", {"class": "index"})
    for title, filename in entries:
        ET.SubElement(ET.SubElement(ul, "li"), "a", {"href": filename}).text = title
    return "<!DOCTYPE html>\n" + ET.tostring(html, encoding="unicode", method="html")
