"""Storage builder: well-formed, namespaced, and hostile text stays text."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from goldenthread.reports import storage as s

HOSTILE = [
    '<ac:structured-macro ac:name="html"><ac:plain-text-body><![CDATA[<script>alert(1)</script>]]>'
    "</ac:plain-text-body></ac:structured-macro>",
    "]]>",
    "<script>alert(1)</script><b>bold</b>",
    '<ac:link><ri:user ri:account-id="557058:evil"/></ac:link>',
    "{html}<img src=x onerror=alert(1)>{html}",
    "مرحبا \u202e evil",
    "🚀 ship it 👩🏽‍💻",
    "&amp; &lt; &#x3C; \"quotes\" 'single'",
    "@Dana (Finance) [~dana] [~accountid:557058:evil]",
]


def _text(storage: str) -> str:
    return "".join(s.parse_storage(storage).itertext())


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_visible_text_and_adds_no_elements(text: str) -> None:
    def page(value: str) -> str:
        return s.render_storage([
            s.heading(2, value),
            s.paragraph([value, s.strong(value)]),
            s.table(("a", value), [[value, s.status_lozenge(value, "Green")]]),
            s.expand(value, s.paragraph(value)),
            s.panel("info", s.paragraph(value), title=value),
        ])

    benign, hostile = page("plain words"), page(text)
    assert s.count_confluence_elements(hostile) == s.count_confluence_elements(benign)
    assert len(list(s.parse_storage(hostile).iter())) == len(list(s.parse_storage(benign).iter()))
    # every occurrence survives as text: 1 heading, 2 in the paragraph, 1 table header, 1 cell,
    # 1 lozenge title, 1 expand title, 1 in the expand, 1 panel title, 1 in the panel = 10
    assert _text(hostile).count(text) == 10


def test_control_characters_are_dropped_so_the_body_stays_well_formed() -> None:
    storage = s.render_storage([s.paragraph("a\x00b\x07c\x1bd\ud800e")])
    assert _text(storage) == "abcde"


def test_confluence_namespaces_and_macro_shapes() -> None:
    storage = s.render_storage([
        s.paragraph(s.status_lozenge("In Progress", "Blue")),
        s.expand("why", s.paragraph("x")),
        s.paragraph(s.image("throughput.png", width=700)),
    ])
    root = s.parse_storage(storage)
    ac, ri = f"{{{s.AC_NS}}}", f"{{{s.RI_NS}}}"
    macros = root.findall(f".//{ac}structured-macro")
    assert [m.get(f"{ac}name") for m in macros] == ["status", "expand"]
    params = {p.get(f"{ac}name"): p.text for p in macros[0].findall(f"{ac}parameter")}
    assert params == {"colour": "Blue", "title": "In Progress"}
    assert macros[1].find(f"{ac}rich-text-body/p").text == "x"  # type: ignore[union-attr]
    att = root.find(f".//{ac}image/{ri}attachment")
    assert att is not None and att.get(f"{ri}filename") == "throughput.png"


def test_links_only_for_http_urls() -> None:
    ok = s.render_storage([s.paragraph(s.jira_link("HR-1", "https://x.atlassian.net/browse/HR-1"))])
    assert s.parse_storage(ok).find(".//a").get("href") == "https://x.atlassian.net/browse/HR-1"  # type: ignore[union-attr]
    bad = s.render_storage([s.paragraph(s.jira_link("HR-1", "javascript:alert(1)"))])
    assert s.parse_storage(bad).find(".//a") is None
    assert _text(bad) == "HR-1"


def test_mentions_only_for_configured_people_with_valid_ids() -> None:
    cloud = s.Mentioner({"557058:abc-def": "Dana", "dana.dc": "Dana DC", "bad id": "Bad"}, "cloud")
    node = cloud.mention("557058:abc-def", "Dana")
    assert isinstance(node, ET.Element)
    assert node.find("ri:user").get("ri:account-id") == "557058:abc-def"  # type: ignore[union-attr]
    assert cloud.mention("dana.dc", "Dana DC") == "Dana DC"  # a DC username is not a Cloud accountId
    assert cloud.mention("bad id", "Bad") == "Bad"
    assert cloud.mention("557058:not-configured", "Stranger") == "Stranger"
    dc = s.Mentioner({"dana.dc": "Dana DC"}, "datacenter")
    node = dc.mention("dana.dc")
    assert isinstance(node, ET.Element)
    assert node.find("ri:user").get("ri:username") == "dana.dc"  # type: ignore[union-attr]
