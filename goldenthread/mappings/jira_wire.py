"""Decoding Jira response bodies, keeping only what the parsers read.

A changelog bulkfetch page is MBs of JSON, most of it per-history author decoration (`self`,
`avatarUrls`, `timeZone`, ...). Decoding it into a typed shape with msgspec skips those values
instead of building a Python string for each, which made decoding the largest single CPU cost
of a full sync. The result is still plain dicts in Jira's own shape (TypedDicts), so
`parse_bulk_changelogs`/`parse_status_changes` read it exactly like a generic decode. A body
that does not fit the shape (Jira changed a type) falls back to the generic decoder: never an
error for a valid JSON document.
"""

from __future__ import annotations

from typing import Any, TypedDict

import msgspec
import orjson


class _User(TypedDict, total=False):
    accountId: Any
    name: Any
    key: Any
    displayName: Any


class _Item(TypedDict, total=False):
    field: Any
    fieldtype: Any
    fieldId: Any
    fromString: Any
    toString: Any


class _History(TypedDict, total=False):
    id: Any
    author: _User | None
    created: Any
    items: list[_Item] | None


class _IssueLog(TypedDict, total=False):
    issueId: Any
    changeHistories: list[_History] | None


class _BulkPage(TypedDict, total=False):
    issueChangeLogs: list[_IssueLog] | None
    nextPageToken: Any


_BULK = msgspec.json.Decoder(_BulkPage)


def parse_json(body: bytes) -> Any:
    """Any JSON body (None for an empty one)."""
    return orjson.loads(body) if body else None


def parse_bulk_changelog_body(body: bytes) -> Any:
    """A `POST /rest/api/3/changelog/bulkfetch` response body, reduced to what is read."""
    if not body:
        return None
    try:
        return _BULK.decode(body)
    except msgspec.ValidationError:
        return orjson.loads(body)
