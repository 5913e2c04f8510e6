"""Ownership and the marker of goldenthread's own writes (pure)."""

from __future__ import annotations

import hashlib

from goldenthread.sync.confluence.client import LivePage, PageProperty
from goldenthread.sync.confluence.ownership import (
    build_attachment_comment,
    build_not_ours_message,
    build_version_message,
    compute_own_last_write,
    compute_owner,
    parse_marker,
)

DIGEST = hashlib.sha256(b"page").hexdigest()


def test_markers_round_trip_and_nothing_else_parses() -> None:
    assert parse_marker(build_version_message(DIGEST)) == DIGEST[:16]
    assert parse_marker(build_attachment_comment(DIGEST)) == DIGEST[:16]
    for text in ("", None, "goldenthread: data changed", "[gt:XYZ]", "[gt:0123]", "edited by Dana"):
        assert parse_marker(text) is None


def test_the_property_or_the_store_record_makes_a_page_its_own() -> None:
    page = LivePage("7", "Roadmap", 3)
    assert compute_owner(page, PageProperty("p", {"hash": "x"}, 1), {}, ()) == "ours"
    assert compute_owner(page, None, {"page_id": "7"}, ()) == "ours"
    assert compute_owner(page, None, {"page_id": "8"}, ()) == "stranger"
    assert compute_owner(page, None, {"page_id": "8"}, {"Roadmap"}) == "adopted"
    created = {"last_result": "creating", "page_id": None, "title": "Roadmap"}
    assert compute_owner(LivePage("7", "Roadmap", 1), None, created, ()) == "ours"  # stopped before the id was kept
    assert compute_owner(page, None, created, ()) == "stranger"  # version 3: someone's page, not our create


def test_its_own_last_write_is_the_marker_or_an_interrupted_create_of_the_same_content() -> None:
    ours = LivePage("7", "Roadmap", 4, message=build_version_message(DIGEST))
    assert compute_own_last_write(ours, {}, DIGEST)
    assert not compute_own_last_write(ours, {}, hashlib.sha256(b"other").hexdigest())  # ours, older content
    assert not compute_own_last_write(LivePage("7", "Roadmap", 4, message="typo fixed"), {}, DIGEST)
    created = {"last_result": "creating", "content_hash": DIGEST, "page_id": "7"}
    assert compute_own_last_write(LivePage("7", "Roadmap", 1), created, DIGEST)
    assert not compute_own_last_write(LivePage("7", "Roadmap", 2), created, DIGEST)  # someone edited it since
    assert not compute_own_last_write(LivePage("7", "Roadmap", 1), {**created, "last_result": "created"}, DIGEST)


def test_the_refusal_names_the_command_with_the_title_quoted_for_a_shell() -> None:
    text = build_not_ours_message("What's new", "IPM", "goldenthread publish")
    assert "space IPM" in text and "goldenthread publish --adopt 'What'\"'\"'s new'" in text
