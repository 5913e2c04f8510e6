"""Canonical, frozen records every other layer works with.

Jira Cloud (v3 + ADF), Jira Data Center (v2) and webhook payloads are all parsed into these, so
nothing past `mappings` ever looks at raw Jira JSON. Timestamps are always timezone-aware UTC.

Tests: tests/mappings/test_jira.py
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Stage = Literal["todo", "in_progress", "done", "discarded"]
StatusCategory = Literal["new", "indeterminate", "done"]
#: The stages, in the order every stage code (reports' frames and snapshot) indexes.
STAGES: tuple[Stage, ...] = ("todo", "in_progress", "done", "discarded")
#: Stages of an open issue: what the ranking, lanes and "open" counts read.
OPEN_STAGES: tuple[Stage, ...] = ("todo", "in_progress")
#: A status's stage when no `jira.status_overrides` entry names it: its Jira status category.
CATEGORY_STAGE: dict[StatusCategory, Stage] = {"new": "todo", "indeterminate": "in_progress", "done": "done"}

# \A..\Z and [0-9], not ^..$ and \d: "IPM-1\n" and non-ASCII digits are not keys either
_ISSUE_KEY = re.compile(r"\A[A-Z][A-Z0-9_]*-[0-9]+\Z")


def is_issue_key(value: object) -> bool:
    """A Jira issue key (`IPM-12`). A webhook's key is untrusted and ends up in Jira URLs and
    JQL: `IPM-1/../../myself` or `IPM-1?expand=changelog` must never get that far."""
    return isinstance(value, str) and _ISSUE_KEY.match(value) is not None


#: Canonical field names an admin may map in `fields:` (docs/configuration.md). Numeric ones feed scoring.
NUMERIC_FIELDS: tuple[str, ...] = (
    "reach",
    "impact",
    "confidence",
    "effort",
    "business_value",
    "time_criticality",
    "risk_reduction",
    "adoption",
    "satisfaction",
)
TEXT_FIELDS: tuple[str, ...] = ("objective", "target", "team")
USER_FIELDS: tuple[str, ...] = ("stakeholders",)
#: Jira rich text (ADF on Cloud, wiki markup on Data Center), kept as plain text.
RICH_TEXT_FIELDS: tuple[str, ...] = ("release_note",)
CANONICAL_FIELDS: tuple[str, ...] = NUMERIC_FIELDS + TEXT_FIELDS + USER_FIELDS + RICH_TEXT_FIELDS


@dataclass(frozen=True, slots=True)
class UserRef:
    """A Jira user: `id` is the accountId on Cloud, the username on Data Center."""

    id: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One status transition from an issue's changelog."""

    issue_key: str
    change_id: str  # changelog history id; (issue_key, change_id) is unique
    at: datetime
    from_status: str | None
    to_status: str
    author_id: str | None = None


@dataclass(frozen=True, slots=True)
class Issue:
    """A backlog issue with the admin-mapped canonical fields resolved."""

    key: str
    id: str
    project: str
    summary: str
    issue_type: str
    status: str
    status_category: StatusCategory
    created: datetime
    updated: datetime
    url: str = ""
    # the project's name as Jira gives it ("Procurement"): readers know that, not the key
    project_name: str | None = None
    description: str = ""
    resolution_date: datetime | None = None
    reporter: UserRef | None = None
    assignee: UserRef | None = None
    labels: tuple[str, ...] = ()
    components: tuple[str, ...] = ()
    # canonical mapped fields (None when unmapped or empty)
    reach: float | None = None
    impact: float | None = None
    confidence: float | None = None
    effort: float | None = None
    business_value: float | None = None
    time_criticality: float | None = None
    risk_reduction: float | None = None
    adoption: float | None = None
    satisfaction: float | None = None
    objective: str | None = None
    target: str | None = None
    team: str | None = None
    stakeholders: tuple[UserRef, ...] = ()
    release_note: str | None = None  # plain text: What's new shows it instead of the summary


@dataclass(frozen=True, slots=True)
class StatusInfo:
    """A workflow status and its Jira status category (from /rest/api/*/status)."""

    name: str
    category: StatusCategory
    id: str = ""


@dataclass(frozen=True, slots=True)
class IssueSnapshot:
    """What one sync (or webhook) learned about one issue: the issue and its full status history."""

    issue: Issue
    changes: tuple[StatusChange, ...] = field(default_factory=tuple)
