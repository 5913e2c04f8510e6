"""Storage -> page text for dry-run diffs: what a reader sees, one line per block."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from goldenthread.reports.text import render_storage_text

STORAGE = (
    '<h2>Now (2)</h2><p>In <strong>progress</strong>.</p>'
    '<table><tbody><tr><th>Issue</th><th>Status</th></tr>'
    '<tr><td><a href="https://x/browse/HR-1">HR-1</a></td><td><ac:structured-macro ac:name="status">'
    '<ac:parameter ac:name="title">In Review</ac:parameter><ac:parameter ac:name="colour">Blue</ac:parameter>'
    '</ac:structured-macro> <ac:structured-macro ac:name="expand"><ac:parameter ac:name="title">why</ac:parameter>'
    '<ac:rich-text-body><p>RICE = 4</p></ac:rich-text-body></ac:structured-macro></td></tr></tbody></table>'
    '<ul><li>Asked by <ac:link><ri:user ri:account-id="u1"/></ac:link></li><li>Fix &lt;script&gt; &amp; more</li></ul>'
    '<ac:structured-macro ac:name="info"><ac:parameter ac:name="title">Note</ac:parameter>'
    '<ac:rich-text-body><p>Data as of today</p></ac:rich-text-body></ac:structured-macro>'
    '<ac:task-list><ac:task><ac:task-id>1</ac:task-id><ac:task-status>incomplete</ac:task-status>'
    '<ac:task-body>Call Dana</ac:task-body></ac:task><ac:task><ac:task-id>2</ac:task-id>'
    '<ac:task-status>complete</ac:task-status><ac:task-body>Ship it</ac:task-body></ac:task></ac:task-list>'
    '<p>Chart<br/>below</p><ac:image><ri:attachment ri:filename="throughput.png"/></ac:image>'
    '<p>Caf&eacute;&nbsp;time</p>'
)


def test_every_block_becomes_one_readable_line() -> None:
    assert render_storage_text(STORAGE, {"u1": "Dana Whitfield"}) == [
        "## Now (2)",
        "In progress.",
        "| Issue | Status |",
        "| HR-1 | [In Review] ▸ why RICE = 4 |",
        "- Asked by @Dana Whitfield",
        "- Fix <script> & more",
        "info: Note",
        "  Data as of today",
        "[ ] Call Dana",
        "[x] Ship it",
        "Chart",
        "below",
        "[image: throughput.png]",
        "Café time",  # a no-break space reads as a space
    ]


def test_unknown_people_show_their_id_and_markup_is_never_in_the_text() -> None:
    lines = render_storage_text(STORAGE)
    assert "- Asked by @u1" in lines
    assert not any("<ac:" in line or "<td>" in line for line in lines)


def test_unreadable_storage_raises() -> None:
    with pytest.raises(ET.ParseError):
        render_storage_text("<p>unclosed")
