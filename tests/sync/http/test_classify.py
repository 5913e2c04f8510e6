"""classify(status, headers, body): one verdict per answer, read by the retries and the errors."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import httpx
import pytest
from requests.structures import CaseInsensitiveDict

from goldenthread.sync.http.classify import classify, parse_error_messages

NOW = datetime(2024, 5, 6, 12, 0, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("status", "kind", "any_method", "read"),
    [
        (200, "ok", False, False), (204, "ok", False, False),
        (429, "refused", True, True), (503, "refused", True, True),
        (500, "server", False, True), (502, "server", False, True),
        (401, "auth", False, False), (403, "auth", False, False),
        (400, "bad_request", False, False), (404, "not_found", False, False), (410, "not_found", False, False),
        (409, "conflict", False, False), (422, "other", False, False), (302, "other", False, False),
    ],
)  # fmt: skip
def test_kinds_and_what_may_be_retried(status: int, kind: str, any_method: bool, read: bool) -> None:
    verdict = classify(status, {}, b"")
    assert (verdict.kind, verdict.retry_any_method, verdict.retry_read) == (kind, any_method, read)


def test_retry_after_seconds_or_http_date_case_insensitive_headers() -> None:
    assert classify(429, httpx.Headers({"retry-after": "7"}), b"").retry_after == 7.0
    dated = CaseInsensitiveDict({"Retry-After": "Mon, 06 May 2024 12:00:30 GMT"})
    assert classify(503, dated, b"", now=lambda: NOW).retry_after == 30.0
    assert classify(500, {"Retry-After": "7"}, b"").retry_after is None  # only a refusal asks us to wait
    assert classify(429, {"Retry-After": "soon"}, b"").retry_after is None


def test_per_issue_write_limit() -> None:
    limited = classify(429, {"RateLimit-Reason": "jira-per-issue-on-write"}, b"")
    assert limited.per_issue_limit and not classify(429, {}, b"").per_issue_limit


def test_ok_bodies_are_not_read() -> None:
    assert classify(200, {}, b"\xff not json").messages == ()


def test_error_messages_of_jira_and_both_confluence_apis() -> None:
    jira = json.dumps({"errorMessages": ["The value 'X' does not exist for the field 'project'."],
                       "errors": {"customfield_10001": "Field is required"}}).encode()  # fmt: skip
    assert classify(400, {}, jira).messages == (
        "The value 'X' does not exist for the field 'project'.", "customfield_10001: Field is required")
    v2 = json.dumps({"errors": [{"status": 404, "code": "NOT_FOUND", "title": "Not Found", "detail": "Page 9"}]})
    assert parse_error_messages(v2) == ["Page 9"]
    assert parse_error_messages(b'{"statusCode": 409, "message": "Version must be incremented"}') == [
        "Version must be incremented"]
    assert parse_error_messages(b"<html><body>Bad gateway</body></html>") == []  # proxy pages say nothing
    assert parse_error_messages(b"plain   words\n here") == ["plain words here"]
