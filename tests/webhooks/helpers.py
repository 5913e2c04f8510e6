"""Payloads in Jira's real shapes, a signing helper, and recording fakes for the worker."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from goldenthread.mappings.records import Issue, IssueSnapshot, StatusChange
from goldenthread.webhooks.signature import build_signature

from tests.conftest import FIXTURES

SECRET = "whsec-test-0123456789abcdef"
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def load_fixture(name: str) -> dict[str, Any] | None:
    path = FIXTURES / name
    return json.loads(path.read_text()) if path.exists() else None


def _own_updated() -> dict[str, Any]:
    # trimmed to the parts of Jira Cloud's jira:issue_updated shape that matter to us
    return {
        "timestamp": 1485797534721,
        "webhookEvent": "jira:issue_updated",
        "issue_event_type_name": "issue_generic",
        "user": {"accountId": "99:b8d8a054-2e12-4839-bd5f-5f2b7c5f5e3a", "displayName": "James Williams"},
        "issue": {
            "id": "10000",
            "key": "TEST-1",
            "fields": {
                "issuetype": {"id": "10101", "name": "Task"},
                "project": {"id": "10000", "key": "TEST"},
                "summary": "Fix That",
                "labels": ["internal-product"],
                "created": "2017-01-30T18:30:41.962+0100",
                "updated": "2017-01-30T18:32:14.716+0100",
                "status": {"name": "In Progress", "id": "3", "statusCategory": {"key": "indeterminate"}},
            },
        },
        "changelog": {"id": "10000", "items": [{"field": "status", "fieldtype": "jira", "fromString": "To Do", "toString": "In Progress"}]},
    }


def updated_payload(key: str = "TEST-1", *, items: Sequence[Mapping[str, Any]] | None = None, updated: str | None = None) -> dict[str, Any]:
    """A jira:issue_updated in the real Cloud shape (the shared fixture when present)."""
    base = load_fixture("jira-cloud-webhook-issue-updated-status-changelog.json") or _own_updated()
    p = copy.deepcopy(base)
    p["issue"]["key"] = key
    p["issue"]["id"] = str(10000 + abs(hash(key)) % 100000)
    if items is not None:
        p["changelog"]["items"] = list(items)
    if updated is not None:
        p["issue"]["fields"]["updated"] = updated
    return p


def deleted_payload(key: str = "TEST-1") -> dict[str, Any]:
    base = load_fixture("jira-server-webhook-issue-deleted.json")
    p = copy.deepcopy(base) if base else {"webhookEvent": "jira:issue_deleted", "issue": {"id": "1", "fields": {}}}
    p["issue"]["key"] = key
    return p


def signed(body: bytes, secret: str = SECRET, ident: str | None = None) -> dict[str, str]:
    headers = {"Content-Type": "application/json", "X-Hub-Signature": build_signature(secret, body)}
    if ident:
        headers["X-Atlassian-Webhook-Identifier"] = ident
    return headers


class FakeClock:
    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def make_issue(key: str, *, status: str = "In Progress", category: str = "indeterminate", updated: datetime = T0) -> Issue:
    return Issue(
        key=key, id=key.split("-")[1], project=key.split("-")[0], summary=f"Summary of {key}", issue_type="Task",
        status=status, status_category=category, created=T0 - timedelta(days=10), updated=updated,  # type: ignore[arg-type]
        labels=("internal-product",),
    )


@dataclass
class FakeJira:
    """Stands in for Jira: `snapshots` is the backlog; records every fetch; `down` raises."""

    snapshots: dict[str, IssueSnapshot] = field(default_factory=dict)
    down: bool = False
    fetched: list[str] = field(default_factory=list)
    parsed: list[str] = field(default_factory=list)

    def fetch_snapshot(self, key: str) -> IssueSnapshot | None:
        self.fetched.append(key)
        if self.down:
            raise ConnectionError("Jira unreachable (connection refused)")
        return self.snapshots.get(key)

    def parse_snapshot(self, payload: Mapping[str, Any]) -> IssueSnapshot:
        key = payload["issue"]["key"]
        self.parsed.append(key)
        fields = payload["issue"]["fields"]
        updated = datetime.fromisoformat(fields["updated"].replace("+0100", "+01:00")).astimezone(UTC)
        return IssueSnapshot(make_issue(key, status=fields["status"]["name"], updated=updated))

    def full(self, key: str, n_changes: int = 2) -> IssueSnapshot:
        changes = tuple(
            StatusChange(key, str(100 + i), T0 - timedelta(days=5 - i), "To Do" if i == 0 else "Review", "In Progress")
            for i in range(n_changes)
        )
        snap = IssueSnapshot(make_issue(key), changes)
        self.snapshots[key] = snap
        return snap


@dataclass
class RecordingPublisher:
    calls: list[tuple[str, ...]] = field(default_factory=list)

    def __call__(self, keys: Sequence[str]) -> None:
        self.calls.append(tuple(keys))
