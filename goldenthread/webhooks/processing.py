"""What one inbox event does to the store.

`build_event_action` is pure (payload -> what to do); `build_event_plans` decides a batch
through injected handlers (so the worker runs the same way against live Jira, the sandbox and
recording fakes) and `save_event_plans_in` writes it. A single event is a batch of one: there is
one decision path. Processing is idempotent: re-applying an event converges to the same rows.

Tests: tests/webhooks/test_worker.py"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Connection

from goldenthread.mappings.records import IssueSnapshot, is_issue_key
from goldenthread.sync.store import Store
from goldenthread.sync.store.core import mark_removed_in
from goldenthread.sync.store.inbox import LIVE_PAGES, save_pages_dirty_in
from goldenthread.webhooks.payload import PayloadError, parse_payload

ISSUE_EVENTS = frozenset({"jira:issue_created", "jira:issue_updated", "jira:issue_deleted"})
#: Known Jira events that change nothing we store (comments, links and worklogs are not part of
#: any metric or page), acknowledged and ignored like unknown ones but counted separately.
IRRELEVANT_EVENTS = frozenset(
    {
        "comment_created",
        "comment_updated",
        "comment_deleted",
        "issuelink_created",
        "issuelink_deleted",
        "worklog_created",
        "worklog_updated",
        "worklog_deleted",
    }
)
#: Changelog fields that can move an issue in or out of a backlog JQL; the payload alone cannot
#: tell, so such an update re-reads the issue through the backlog query.
MEMBERSHIP_FIELDS = frozenset({"labels", "project", "issuetype", "component", "components", "key"})

ActionKind = Literal["remove", "upsert", "fetch", "own", "ignore"]


class PermanentEventError(Exception):
    """The event can never be applied (malformed issue); retrying would not help."""


@dataclass(frozen=True)
class EventAction:
    kind: ActionKind
    issue_key: str | None
    reason: str = ""


def parse_event_meta(payload: Any) -> tuple[str, str | None]:
    """(webhookEvent, issue key) of a delivery; ("", None) when the shape is not a Jira event."""
    if not isinstance(payload, Mapping):
        return "", None
    event = payload.get("webhookEvent")
    issue = payload.get("issue")
    key = issue.get("key") if isinstance(issue, Mapping) else None
    return (event if isinstance(event, str) else ""), (key if isinstance(key, str) else None)


def compute_event_handled(event: str) -> bool:
    return event in ISSUE_EVENTS


def _changed_fields(payload: Mapping[str, Any]) -> set[str]:
    changelog = payload.get("changelog")
    items = changelog.get("items") if isinstance(changelog, Mapping) else None
    out = set()
    for item in items or ():
        if isinstance(item, Mapping):
            out.add(str(item.get("fieldId") or item.get("field") or "").casefold())
    return out


def build_event_action(payload: Mapping[str, Any], *, known_issue: bool, own_change: bool) -> EventAction:
    """Decide what an issue event does. `known_issue`: the store already has the issue live."""
    event, key = parse_event_meta(payload)
    if event not in ISSUE_EVENTS:
        return EventAction("ignore", key, "not an issue event")
    if not key:
        raise PermanentEventError(f"{event} without issue.key")
    if not is_issue_key(key):
        raise PermanentEventError(f"{event} with {key[:80]!r}, which is not a Jira issue key")
    if event == "jira:issue_deleted":
        return EventAction("remove", key, "deleted in Jira")
    if own_change:
        return EventAction("own", key, "echo of our own stakeholder write-back")
    changed = _changed_fields(payload)
    if "status" in changed:
        return EventAction("fetch", key, "status changed: full changelog needed")
    if changed & MEMBERSHIP_FIELDS:
        return EventAction("fetch", key, "backlog membership may have changed")
    if not known_issue:
        return EventAction("fetch", key, "issue not in the store yet")
    return EventAction("upsert", key, "fields updated")


def parse_stored_payload(text: str) -> dict[str, Any]:
    """An inbox row's payload, decoded by the receiver's own parser. A row it refuses (stored
    before the receiver bounded depth, or corrupted) can never be applied: not retryable."""
    try:
        return parse_payload(text)
    except PayloadError as exc:
        raise PermanentEventError(f"stored payload refused: {exc}") from None


@dataclass
class EventHandlers:
    """The I/O the worker needs, injected.

    parse_snapshot: webhook payload -> IssueSnapshot (issue + the changes the payload carries).
    fetch_snapshot: issue key -> full IssueSnapshot, or None when it is not (or no longer) in the
        backlog; raises on transport failure (the event is retried later).
    is_own_change: payload -> True for the echo of our own write-back."""

    parse_snapshot: Callable[[Mapping[str, Any]], IssueSnapshot]
    fetch_snapshot: Callable[[str], IssueSnapshot | None]
    is_own_change: Callable[[Mapping[str, Any]], bool] = field(default=lambda _p: False)


@dataclass(frozen=True)
class EventResult:
    action: EventAction
    changed: bool  # store rows changed, pages marked dirty


# --- batches: decide outside the transaction, write the whole batch in one ----------------------


@dataclass
class PlannedEvent:
    """One event of a batch after the decision phase: what it writes, or why it could not."""

    event_id: int
    action: EventAction | None = None
    snapshot: IssueSnapshot | None = None
    full_history: bool = False
    remove_reason: str | None = None  # mark the issue removed with this reason
    changed: bool = False
    error: BaseException | None = None  # PermanentEventError or a transient failure (retry)

    @property
    def result(self) -> EventResult:
        assert self.action is not None
        return EventResult(self.action, self.changed)


def build_event_plans(store: Store, handlers: EventHandlers, events: list[tuple[int, str]]) -> list[PlannedEvent]:
    """Decide every event of a batch (id, payload) in order, as if they came one by one.

    Jira is called here, outside any transaction, so the store's write lock is never held across
    the network. The store is read once; later events of the batch see the effect of earlier ones
    through `state`, which mirrors what the writes will leave (an upsert revives, a removal hides)."""
    parsed: list[tuple[int, Any]] = []
    keys: set[str] = set()
    for eid, text_ in events:
        try:
            payload = parse_stored_payload(text_)
        except Exception as exc:  # noqa: BLE001 - one undecodable row must not stop its batch
            parsed.append((eid, exc))
            continue
        parsed.append((eid, payload))
        key = parse_event_meta(payload)[1]
        if key:
            keys.add(key)
    state: dict[str, tuple[datetime | None, bool]] = dict(store.load_issue_states(keys))
    plans = []
    for eid, payload in parsed:
        plan = PlannedEvent(eid)
        plans.append(plan)
        if isinstance(payload, BaseException):
            plan.error = payload
            continue
        try:
            _plan_one(plan, payload, handlers, state)
        except Exception as exc:  # noqa: BLE001 - recorded per event: neighbours still go ahead
            plan.error = exc
    return plans


def _plan_one(plan: PlannedEvent, payload: Any, handlers: EventHandlers, state: dict[str, tuple[datetime | None, bool]]) -> None:
    event, key = parse_event_meta(payload)
    own = event == "jira:issue_updated" and handlers.is_own_change(payload)
    updated, live = state.get(key, (None, False)) if key else (None, False)
    action = build_event_action(payload, known_issue=live, own_change=own)
    plan.action = action
    if action.kind in ("ignore", "own"):
        return
    assert action.issue_key is not None
    if action.kind == "remove":
        plan.remove_reason, plan.changed = action.reason, True
        if action.issue_key in state:
            state[action.issue_key] = (updated, False)
        return
    if action.kind == "fetch":
        snap = handlers.fetch_snapshot(action.issue_key)
        if snap is None:
            plan.remove_reason = "left the backlog (no longer matches backlog_jql)"
            plan.changed = live
            if live:
                state[action.issue_key] = (updated, False)
            return
        plan.snapshot, plan.full_history, plan.changed = snap, True, True
        state[action.issue_key] = (snap.issue.updated, True)
        return
    try:
        snap = handlers.parse_snapshot(payload)
    except (KeyError, TypeError, ValueError) as exc:
        raise PermanentEventError(f"cannot parse {event} for {key}: {type(exc).__name__}: {exc}") from None
    if key in state and updated is not None and updated > snap.issue.updated:
        plan.action = EventAction("ignore", key, "older than the stored issue")
        return
    plan.snapshot, plan.changed = snap, True
    state[action.issue_key] = (snap.issue.updated, True)


def build_write_rounds(plans: list[PlannedEvent]) -> list[list[PlannedEvent]]:
    """Split a batch's writes, in order, into rounds where each issue appears at most once: a
    round is then written with one statement per kind (the store builds an upsert statement per
    call, ~1 ms each, which was most of the worker's time per event), and two writes to the same
    issue still land in delivery order."""
    rounds: list[list[PlannedEvent]] = []
    seen: set[str] = set()
    for plan in plans:
        if plan.error is not None or plan.action is None or (plan.snapshot is None and plan.remove_reason is None):
            continue
        key = plan.action.issue_key or ""
        if not rounds or key in seen:
            rounds.append([])
            seen = set()
        rounds[-1].append(plan)
        seen.add(key)
    return rounds


def save_event_plans_in(conn: Connection, store: Store, plans: list[PlannedEvent], now: datetime) -> None:
    """Write the decided events of a batch in order, inside the caller's transaction; the live
    pages are marked dirty once for the whole batch."""
    for round_ in build_write_rounds(plans):
        for full in (True, False):
            snaps = [p.snapshot for p in round_ if p.snapshot is not None and p.full_history is full]
            if snaps:
                store.save_snapshots_in(conn, snaps, now, full_history=full)
        for reason in sorted({p.remove_reason for p in round_ if p.snapshot is None and p.remove_reason}):
            keys = [p.action.issue_key for p in round_
                    if p.snapshot is None and p.remove_reason == reason and p.action and p.action.issue_key]
            mark_removed_in(conn, keys, reason, now)
    if any(p.changed for p in plans if p.error is None and p.action is not None):
        save_pages_dirty_in(conn, store.dialect, LIVE_PAGES, now)
