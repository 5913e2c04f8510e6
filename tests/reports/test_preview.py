"""HTML preview: macros become readable HTML, images inline, hostile text stays text."""

from __future__ import annotations

import base64
import html.parser

from goldenthread.reports import storage as s
from goldenthread.reports.preview import render_preview_html, render_preview_index
from tests.reports.test_storage import HOSTILE


class _Tags(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(doc: str) -> _Tags:
    p = _Tags()
    p.feed(doc)
    return p


def test_macros_become_html() -> None:
    png = b"\x89PNG\r\n\x1a\nfake"
    storage = s.render_storage([
        s.paragraph([s.status_lozenge("In Progress", "Blue"), " ", s.Mentioner({"557058:a-b": "Dana"}, "cloud").mention("557058:a-b")]),
        s.expand("why", s.paragraph("RICE")),
        s.panel("warning", s.paragraph("careful"), title="Heads up"),
        s.paragraph(s.image("chart.png", width=700)),
    ])
    doc = render_preview_html("Roadmap", storage, {"chart.png": png}, {"557058:a-b": "Dana"})
    parsed = _parse(doc)
    tags = [t for t, _ in parsed.tags]
    assert "details" in tags and "summary" in tags
    img = next(a for t, a in parsed.tags if t == "img")
    assert img["src"] == "data:image/png;base64," + base64.b64encode(png).decode()
    text = "".join(parsed.text)
    assert "In Progress" in text and "@Dana" in text and "Heads up" in text and "careful" in text


def test_hostile_text_stays_text_in_the_preview() -> None:
    storage = s.render_storage([s.paragraph(h) for h in HOSTILE])
    parsed = _parse(render_preview_html("<b>title</b>", storage))
    assert not any(t in ("script", "img", "b") for t, _ in parsed.tags)
    text = "".join(parsed.text)
    assert "<script>alert(1)</script>" in text and "<b>title</b>" in text


def test_index_links_every_page() -> None:
    parsed = _parse(render_preview_index([("Roadmap", "roadmap.html"), ("What's new", "whats-new.html")]))
    assert [a["href"] for t, a in parsed.tags if t == "a"] == ["roadmap.html", "whats-new.html"]
