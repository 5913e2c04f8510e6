"""Stakeholder write-back, planned (pure): which stakeholders each issue is missing in Jira, and
how to recognise the webhook our own write causes. `sync.jira.writeback` applies the plan.

Who the stakeholders are is `mappings.stakeholders` (field ∪ rules); this module only compares
that with what Jira holds and never plans a removal, nor an id invalid for the deployment.

Tests: tests/mappings/test_stakeholders.py
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from goldenthread.mappings.config import Config
from goldenthread.mappings.deployment import compute_user_id_problem
from goldenthread.mappings.records import Issue
from goldenthread.mappings.stakeholders import (
    StakeholderPlan,
    build_stakeholder_plan,
    compute_issue_stakeholders,
    id_key,
)

WriteTarget = Literal["field", "watchers"]


# --- write plan ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlannedUser:
    id: str
    name: str
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PlannedAdd:
    """Users to add to one issue. Only ever adds: nothing is planned for removal."""

    issue_key: str
    issue_id: str
    target: WriteTarget
    users: tuple[PlannedUser, ...]


def compute_write_plan(
    issues: Iterable[Issue],
    plan: StakeholderPlan | Config,
    current_watchers: Mapping[str, Collection[str]] | None = None,
) -> list[PlannedAdd]:
    """Which stakeholders each issue is missing in Jira, with the reasons.

    field mode: missing from `issue.stakeholders` (the store's copy of the field; the sync layer
    updates it after a successful add, so a second run plans nothing).
    watchers mode: missing from `current_watchers[issue.key]` (ids the sync layer fetched). An
    issue absent from the mapping has unknown watchers and gets every stakeholder planned; that is
    safe because adding an existing watcher is a no-op in Jira, and it is how the sync layer
    learns which issues to fetch watchers for.
    Ids that fail validation for the deployment are never planned.
    """
    if isinstance(plan, Config):
        plan = build_stakeholder_plan(plan)
    if plan.write_back == "off" or (plan.write_back == "field" and not plan.field_mapped):
        return []
    target: WriteTarget = plan.write_back
    planned: list[PlannedAdd] = []
    for issue in issues:
        if target == "field":
            present = {id_key(u.id) for u in issue.stakeholders}
        else:
            present = {id_key(u) for u in (current_watchers or {}).get(issue.key, ())}
        users = tuple(
            PlannedUser(s.id, s.name, s.reasons)
            for s in compute_issue_stakeholders(issue, plan)
            if id_key(s.id) not in present and compute_user_id_problem(s.id, plan.deployment) is None
        )
        if users:
            planned.append(PlannedAdd(issue.key, issue.id, target, users))
    return planned


# --- our own webhooks ------------------------------------------------------------------------


def _user_ids(user: Any) -> set[str]:
    if not isinstance(user, Mapping):
        return set()
    return {id_key(str(user[k])) for k in ("accountId", "name", "key") if user.get(k)}


def is_own_change(
    webhook_payload: Mapping[str, Any],
    our_account_id_or_username: str,
    stakeholder_field_id: str,
    stakeholder_field_name: str | None = None,
) -> bool:
    """True when this `jira:issue_updated` is the echo of our own stakeholder write.

    Both must hold: the event's user is our API user (accountId on Cloud, name/key on Data
    Center), and every changelog item touches only the stakeholders field (Cloud items carry
    `fieldId`; Data Center items often only the display name, hence `stakeholder_field_name`).
    A person editing other fields in the same event is not ours: that event must be processed.
    """
    if webhook_payload.get("webhookEvent") != "jira:issue_updated":
        return False
    if not our_account_id_or_username or id_key(our_account_id_or_username) not in _user_ids(
        webhook_payload.get("user")
    ):
        return False
    changelog = webhook_payload.get("changelog")
    items = changelog.get("items") if isinstance(changelog, Mapping) else None
    if not items:
        return False
    wanted_name = (stakeholder_field_name or "").casefold()
    for item in items:
        if not isinstance(item, Mapping):
            return False
        field_id = item.get("fieldId")
        if field_id is not None:
            if field_id != stakeholder_field_id:
                return False
            continue
        field = str(item.get("field") or "")
        if field != stakeholder_field_id and not (wanted_name and field.casefold() == wanted_name):
            return False
    return True
