"""Payloads in Jira's real shapes, a signing helper, and recording fakes for the worker."""

from __future__ import annotations

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


def load_fixture(name: str) -> dict[str, Any]:
    """A sample payload of tests/fixtures/atlassian (see its README.md)."""
    loaded: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return loaded


def updated_payload(key: str = "HRP-42", *, items: Sequence[Mapping[str, Any]] | None = None,
                    updated: str | None = None) -> dict[str, Any]:
    """A Cloud jira:issue_updated carrying a status change, for `key` (a fresh id per key)."""
    p = load_fixture("jira-cloud-webhook-issue-updated-status.json")
    p["issue"]["key"] = key
    p["issue"]["id"] = str(10000 + abs(hash(key)) % 100000)
    if items is not None:
        p["changelog"]["items"] = list(items)
    if updated is not None:
        p["issue"]["fields"]["updated"] = updated
    return p


def deleted_payload(key: str = "PROC-19") -> dict[str, Any]:
    """A Data Center jira:issue_deleted for `key`."""
    p = load_fixture("jira-dc-webhook-issue-deleted.json")
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
