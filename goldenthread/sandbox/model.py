"""The sandbox's in-memory Jira model: users, fields, statuses, issues and their changelogs.

Everything is stored once, in a neutral form (users by username, options by value); `jira.py`
renders it in the Cloud v3 (ADF, accountId), Cloud v2 (wiki text) or Data Center v2 shape.

Tests: tests/sandbox/test_jira.py, tests/sandbox/test_dataset.py
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

FieldKind = Literal["number", "option", "users", "text", "richtext", "epic", "system"]


@dataclass(frozen=True, slots=True)
class SandboxUser:
    username: str  # Data Center `name`
    display_name: str
    email: str
    time_zone: str = "Europe/London"
    account_id: str = field(init=False, default="")  # Cloud id, derived; stable across seeds and runs
    key: str = field(init=False, default="")  # Data Center user key, derived

    def __post_init__(self) -> None:
        # Cloud accountIds look like "557058:<uuid>"; derive them so a demo config can name people.
        object.__setattr__(self, "account_id",
                           "557058:" + str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{self.username}.sandbox.goldenthread")))
        # DC user keys differ from usernames for users created since Jira 8 ("JIRAUSER10100").
        object.__setattr__(self, "key", "JIRAUSER" + str(10100 + sum(ord(c) for c in self.username)))


@dataclass(frozen=True, slots=True)
class FieldDef:
    id: str
    name: str
    kind: FieldKind
    schema: dict[str, Any]
    custom: bool = True
    options: tuple[str, ...] = ()

    def option_id(self, value: str) -> str:
        return str(10200 + int(self.id.rsplit("_", 1)[-1]) % 100 * 20 + self.options.index(value))


@dataclass(frozen=True, slots=True)
class StatusDef:
    id: str
    name: str
    category: Literal["new", "indeterminate", "done"]


STATUSES: tuple[StatusDef, ...] = (
    StatusDef("10000", "Backlog", "new"),
    StatusDef("10001", "To Do", "new"),
    StatusDef("3", "In Progress", "indeterminate"),
    StatusDef("10002", "In Review", "indeterminate"),
    StatusDef("10003", "Done", "done"),
    StatusDef("10004", "Released", "done"),
    StatusDef("10005", "Won't Do", "done"),
)
STATUS_BY_NAME: dict[str, StatusDef] = {s.name: s for s in STATUSES}
#: Jira's three fixed status categories (id, key, colorName, name).
CATEGORIES: dict[str, tuple[int, str, str]] = {
    "new": (2, "blue-gray", "To Do"),
    "indeterminate": (4, "yellow", "In Progress"),
    "done": (3, "green", "Done"),
}


@dataclass(frozen=True, slots=True)
class HistoryItem:
    field: str
    field_id: str
    fieldtype: str
    from_: str | None
    from_string: str | None
    to: str | None
    to_string: str | None


@dataclass(slots=True)
class History:
    id: int
    author: str | None  # username; None for anonymous/automation
    created: datetime
    items: tuple[HistoryItem, ...]


@dataclass(slots=True)
class SandboxIssue:
    id: int
    key: str
    project: str
    issue_type: str
    summary: str
    description: str  # wiki-ish text; `[~accountid:X]` mentions; paragraphs split by blank lines
    status: str
    created: datetime
    updated: datetime
    priority: str = "Medium"
    resolution: str | None = None
    resolution_date: datetime | None = None
    reporter: str | None = None
    assignee: str | None = None
    labels: list[str] = field(default_factory=list)
    components: list[str] = field(default_factory=list)
    custom: dict[str, Any] = field(default_factory=dict)  # field id -> number | option value | [usernames] | str
    histories: list[History] = field(default_factory=list)
    watchers: list[str] = field(default_factory=list)
    write_times: list[float] = field(default_factory=list)  # monotonic seconds, for the per-issue write limit


@dataclass
class SandboxData:
    users: list[SandboxUser]
    api_user: SandboxUser
    stakeholder_managers: list[SandboxUser]
    fields: list[FieldDef]
    projects: dict[str, str]  # key -> name
    components: dict[str, tuple[str, ...]]
    issues: list[SandboxIssue]
    now: datetime
    by_key: dict[str, SandboxIssue] = field(default_factory=dict)
    by_id: dict[str, SandboxIssue] = field(default_factory=dict)
    users_by_name: dict[str, SandboxUser] = field(default_factory=dict)
    users_by_account: dict[str, SandboxUser] = field(default_factory=dict)
    fields_by_id: dict[str, FieldDef] = field(default_factory=dict)
    next_history_id: int = 1
    generation: int = 0  # bumped on every write; search caches key on it
    # rendered users/statuses/options per (flavor, base), shared by every issue (jira_render._memo)
    render_memo: dict[tuple[Any, ...], Any] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.reindex()

    def reindex(self) -> None:
        self.by_key = {i.key: i for i in self.issues}
        self.by_id = {str(i.id): i for i in self.issues}
        everyone = [*self.users, self.api_user]
        self.users_by_name = {u.username: u for u in everyone}
        self.users_by_account = {u.account_id: u for u in everyone}
        self.fields_by_id = {f.id: f for f in self.fields}
        self.render_memo.clear()
        self.next_history_id = 1 + max((h.id for i in self.issues for h in i.histories), default=10000)

    def find_issue(self, id_or_key: str) -> SandboxIssue | None:
        return self.by_key.get(id_or_key.upper()) or self.by_id.get(id_or_key)

    def field_by_name(self, name: str) -> FieldDef | None:
        low = name.lower()
        return next((f for f in self.fields if f.name.lower() == low), None)

    def backlog_issues(self, label: str = "internal-product") -> list[SandboxIssue]:
        return [i for i in self.issues if label in i.labels]

    def add_history(self, issue: SandboxIssue, author: str | None, at: datetime, items: tuple[HistoryItem, ...]) -> History:
        h = History(self.next_history_id, author, at, items)
        self.next_history_id += 1
        issue.histories.append(h)
        return h
