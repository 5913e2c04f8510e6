"""Typed decoding of bulkfetch bodies reads the same histories as a generic JSON decode."""

from __future__ import annotations

import json

from goldenthread.mappings.jira import parse_bulk_changelogs, parse_status_changes
from goldenthread.mappings.jira_wire import parse_bulk_changelog_body, parse_json
from tests.conftest import FIXTURES


AUTHOR = {
    "self": "https://example.atlassian.net/rest/api/3/user?accountId=557058:aaaa",
    "accountId": "557058:aaaa",
    "avatarUrls": {"48x48": "https://avatar.example/48", "16x16": "https://avatar.example/16"},
    "displayName": "Ana Admin",
    "active": True,
    "timeZone": "Europe/Paris",
}
PAGE = {
    "issueChangeLogs": [
        {"issueId": "10042", "changeHistories": [
            {"id": "3", "created": 1700000600, "author": AUTHOR,
             "items": [{"field": "status", "fieldtype": "jira", "fieldId": "status", "from": "3", "fromString": "In Progress",
                        "to": "10001", "toString": "Done", "tmpFromAccountId": None}]},
            {"id": "2", "created": "2023-11-14T22:13:20.000+0000", "author": None,
             "items": [{"field": "status", "fieldId": "status", "fromString": "To Do", "toString": "In Progress"},
                       {"field": "Status", "fieldId": "customfield_1", "fromString": "a", "toString": "b"}]},
            {"id": "4", "created": "2023-11-15T08:00:00.000+0000", "items": None},
        ]},
        {"issueId": 10043, "changeHistories": []},
    ],
    "nextPageToken": "abc",
}


def _changes(decoded: object) -> dict[str, object]:
    histories, token = parse_bulk_changelogs(decoded)  # type: ignore[arg-type]
    return {"token": token, **{k: parse_status_changes("IPM-1", v) for k, v in histories.items()}}


def test_typed_decode_reads_what_a_generic_decode_reads() -> None:
    body = json.dumps(PAGE).encode()
    typed = parse_bulk_changelog_body(body)
    assert _changes(typed) == _changes(json.loads(body))
    # the decoration nobody reads is not materialised
    assert typed["issueChangeLogs"][0]["changeHistories"][0]["author"] == {
        "accountId": "557058:aaaa", "displayName": "Ana Admin"}
    assert len(_changes(typed)["10042"]) == 2  # type: ignore[arg-type]


def test_unexpected_types_fall_back_to_a_generic_decode() -> None:
    odd = {"issueChangeLogs": [{"issueId": "1", "changeHistories": [{"id": "9", "author": "not-an-object",
                                                                    "created": 1700000600, "items": []}]}]}
    body = json.dumps(odd).encode()
    assert parse_bulk_changelog_body(body) == odd
    assert parse_bulk_changelog_body(b"") is None and parse_json(b"") is None


def test_sample_bulkfetch_page_decodes_alike() -> None:
    body = (FIXTURES / "jira-cloud-changelog-bulkfetch.json").read_bytes()
    typed = parse_bulk_changelog_body(body)
    assert _changes(typed) == _changes(json.loads(body))
    assert len(_changes(typed)["10842"]) == 1  # type: ignore[arg-type]
