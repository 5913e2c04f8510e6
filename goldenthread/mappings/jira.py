"""Pure parsing of Jira JSON into canonical records (fields resolved by `mappings.fields`).

Shapes handled (all seen in real payloads):
- Cloud v3 search/jql issues: `description` (and textarea custom fields) are ADF documents.
- Data Center v2 issues and Cloud webhook `issue` objects: v2 shape, descriptions are wiki text.
- Users: Cloud `{accountId, displayName}`, Data Center `{name, key, displayName}`.
- Changelog histories from Cloud bulkfetch (`created` may be an ISO string or an epoch number)
  and from Data Center `expand=changelog`.
No I/O here: callers fetch, these functions only look at dicts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from goldenthread.mappings.richtext import parse_adf_text, parse_description
from goldenthread.mappings.values import is_map as _is_map
from goldenthread.mappings.values import parse_datetime
from goldenthread.mappings.fields import FieldKind, FieldMap, kind_of
from goldenthread.mappings.records import (
    Issue,
    IssueSnapshot,
    StatusCategory,
    StatusChange,
    StatusInfo,
    UserRef,
)

# --- scalar values ----------------------------------------------------------------------
def parse_user(value: Any) -> UserRef | None:
    """Cloud users carry accountId; Data Center users carry name (username) and key."""
    if not _is_map(value):
        return None
    ident = value.get("accountId") or value.get("name") or value.get("key")
    if not ident:
        return None
    return UserRef(str(ident), str(value.get("displayName") or value.get("name") or ""))


def parse_users(value: Any) -> tuple[UserRef, ...]:
    items = value if isinstance(value, list) else [value]
    users = [u for u in (parse_user(v) for v in items) if u is not None]
    seen: set[str] = set()
    out = []
    for u in users:
        if u.id not in seen:
            seen.add(u.id)
            out.append(u)
    return tuple(out)


def parse_number(value: Any) -> float | None:
    """Numbers, numeric strings and select options whose value is a number ("3", "0.5")."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if _is_map(value):
        return parse_number(value.get("value", value.get("name")))
    if isinstance(value, str):
        try:
            return float(value.strip().rstrip("%"))
        except ValueError:
            return None
    return None


def parse_text_value(value: Any) -> str | None:
    """Strings, options `{value}`, named objects (teams, versions), arrays, ADF documents."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return f"{value:g}"
    if isinstance(value, list):
        parts = [p for p in (parse_text_value(v) for v in value) if p]
        return ", ".join(parts) or None
    if _is_map(value):
        if value.get("type") == "doc":
            return parse_adf_text(value) or None
        for key in ("value", "name", "title", "displayName"):
            if value.get(key):
                text = str(value[key]).strip()
                child = value.get("child")
                if isinstance(child, Mapping) and child.get("value"):
                    text = f"{text} / {child['value']}"  # cascading select
                return text or None
    return None


def parse_custom_value(value: Any, kind: FieldKind) -> Any:
    if kind == "number":
        return parse_number(value)
    if kind == "user":
        return parse_users(value) if value else ()
    if kind == "richtext":
        # ADF (Cloud v3) or wiki markup (Data Center, webhooks): plain text, escaped when rendered
        if isinstance(value, str) or (_is_map(value) and value.get("type") == "doc"):
            return parse_description(value).strip() or None
        return parse_text_value(value)
    return parse_text_value(value)


# --- issues -------------------------------------------------------------------------------
_CATEGORY_KEYS: dict[str, StatusCategory] = {"new": "new", "indeterminate": "indeterminate", "done": "done"}


def parse_status_category(status: Any, statuses: Mapping[str, StatusCategory] | None, resolved: bool) -> StatusCategory:
    """The category Jira attaches to the status, else the /status list, else the resolution."""
    if _is_map(status):
        key = (status.get("statusCategory") or {}).get("key")
        if key in _CATEGORY_KEYS:
            return _CATEGORY_KEYS[key]
        name = str(status.get("name") or "")
        if statuses:
            for known, category in statuses.items():
                if known.casefold() == name.casefold():
                    return category
    return "done" if resolved else "new"


def _browse_url(base_url: str, key: str, self_link: str) -> str:
    if base_url:
        return f"{base_url.rstrip('/')}/browse/{key}"
    if "/rest/api/" in self_link:
        return f"{self_link.split('/rest/api/')[0]}/browse/{key}"
    return ""


def _names(items: Any, attr: str = "name") -> tuple[str, ...]:
    if not isinstance(items, list):
        return ()
    out = []
    for item in items:
        if _is_map(item) and item.get(attr):
            out.append(str(item[attr]))
        elif isinstance(item, str):
            out.append(item)
    return tuple(out)


def parse_issue(
    raw: Mapping[str, Any],
    field_map: FieldMap,
    *,
    base_url: str = "",
    statuses: Mapping[str, StatusCategory] | None = None,
) -> Issue:
    """One issue from Cloud v3, Data Center v2 or a webhook payload's `issue` object."""
    f = raw.get("fields") or {}
    key = str(raw["key"])
    project = f.get("project") or {}
    resolution_date = parse_datetime(f.get("resolutiondate"))
    created = parse_datetime(f.get("created"))
    updated = parse_datetime(f.get("updated")) or created
    if created is None or updated is None:
        raise ValueError(f"{key}: issue has no created date (was 'created' requested in fields?)")
    status = f.get("status") or {}
    mapped: dict[str, Any] = {}
    for canonical, spec in field_map.fields.items():
        mapped[canonical] = parse_custom_value(f.get(spec.id), kind_of(canonical))
    return Issue(
        key=key,
        id=str(raw.get("id") or ""),
        project=str(project.get("key") or key.rsplit("-", 1)[0]),
        project_name=str(project["name"]) if project.get("name") else None,
        summary=str(f.get("summary") or ""),
        issue_type=str((f.get("issuetype") or {}).get("name") or ""),
        status=str(status.get("name") or ""),
        status_category=parse_status_category(status, statuses, resolution_date is not None),
        created=created,
        updated=updated,
        url=_browse_url(base_url, key, str(raw.get("self") or "")),
        description=parse_description(f.get("description")),
        resolution_date=resolution_date,
        reporter=parse_user(f.get("reporter")),
        assignee=parse_user(f.get("assignee")),
        labels=tuple(map(str, f.get("labels") or ())),
        components=_names(f.get("components")),
        **mapped,
    )


# --- changelogs ---------------------------------------------------------------------------
def _is_status_item(item: Mapping[str, Any]) -> bool:
    field_id: object = item.get("fieldId")
    if field_id is not None:
        return field_id == "status"
    return str(item.get("field", "")).casefold() == "status" and item.get("fieldtype", "jira") == "jira"


def parse_status_changes(issue_key: str, histories: Iterable[Mapping[str, Any]]) -> tuple[StatusChange, ...]:
    """Status transitions from changelog histories (bulkfetch or `expand=changelog`), oldest first."""
    # the hot loop of a full sync (one call per issue, ~6 histories each): no per-history
    # UserRef or filtered list, and the timestamp is parsed only for histories that change status
    out: list[StatusChange] = []
    for history in histories:
        n = 0
        at: datetime  # set with the history's first status item (n == 0), before any use
        for item in history.get("items") or ():
            if not (_is_map(item) and _is_status_item(item)):
                continue
            if n == 0:
                created = parse_datetime(history.get("created"))
                if created is None:
                    break
                at = created
                hid = str(history.get("id", ""))
                author = history.get("author")
                ident = (author.get("accountId") or author.get("name") or author.get("key")) if _is_map(author) else None
                author_id = str(ident) if ident else None
            # (issue, change id) is unique in the store; a history very rarely holds two status items
            change_id = hid if n == 0 else f"{hid}.{n}"
            n += 1
            to_status = item.get("toString")
            if not to_status:
                continue
            out.append(StatusChange(issue_key, change_id, at, item.get("fromString") or None,
                                    str(to_status), author_id))
    out.sort(key=lambda c: (c.at, _natural(c.change_id)))
    return tuple(out)


def _natural(change_id: str) -> tuple[int, str]:
    head = change_id.split(".", 1)[0]
    return (int(head) if head.isdigit() else 0, change_id)


def parse_bulk_changelogs(raw: Mapping[str, Any]) -> tuple[dict[str, list[Mapping[str, Any]]], str | None]:
    """One bulkfetch response page -> (issue id -> its histories on this page, next token)."""
    out: dict[str, list[Mapping[str, Any]]] = {}
    for entry in raw.get("issueChangeLogs") or ():
        out.setdefault(str(entry.get("issueId")), []).extend(entry.get("changeHistories") or ())
    token = raw.get("nextPageToken") or None
    return out, token


def parse_embedded_changelog(raw_issue: Mapping[str, Any]) -> tuple[StatusChange, ...]:
    """Data Center `expand=changelog` histories embedded in the issue."""
    histories = (raw_issue.get("changelog") or {}).get("histories") or ()
    return parse_status_changes(str(raw_issue["key"]), histories)


def parse_webhook_snapshot(
    payload: Mapping[str, Any],
    field_map: FieldMap,
    *,
    base_url: str = "",
    statuses: Mapping[str, StatusCategory] | None = None,
) -> IssueSnapshot | None:
    """A `jira:issue_*` webhook -> snapshot with only the change it carries (merge, not replace).

    The changelog in a webhook has no `created`; the event `timestamp` (epoch ms) is when it happened."""
    issue_raw = payload.get("issue")
    if not isinstance(issue_raw, Mapping) or not issue_raw.get("key"):
        return None
    issue = parse_issue(issue_raw, field_map, base_url=base_url, statuses=statuses)
    changelog = payload.get("changelog")
    changes: tuple[StatusChange, ...] = ()
    if isinstance(changelog, Mapping) and changelog.get("items"):
        history = {
            "id": changelog.get("id"),
            "created": payload.get("timestamp") or issue_raw.get("fields", {}).get("updated"),
            "author": payload.get("user"),
            "items": changelog.get("items"),
        }
        changes = parse_status_changes(issue.key, [history])
    return IssueSnapshot(issue, changes)


def parse_status_list(raw: Iterable[Mapping[str, Any]]) -> list[StatusInfo]:
    """`GET /rest/api/{2,3}/status` -> StatusInfo (unknown categories count as `new`)."""
    out = []
    for s in raw:
        key = (s.get("statusCategory") or {}).get("key")
        out.append(StatusInfo(str(s.get("name", "")), _CATEGORY_KEYS.get(str(key), "new"), str(s.get("id", ""))))
    return [s for s in out if s.name]
