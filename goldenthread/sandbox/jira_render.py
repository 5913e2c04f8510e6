"""Render the sandbox's neutral issues in the shapes real Jira sends.

Flavours: "cloud3" (v3: ADF descriptions, users by accountId), "cloud2" (Cloud v2: wiki text,
users by accountId) and "dc" (Data Center v2: wiki text, users by name/key, `?username=` links).

Tests: tests/sandbox/test_jira.py
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from goldenthread.sandbox.model import (
    CATEGORIES,
    STATUS_BY_NAME,
    FieldDef,
    History,
    SandboxData,
    SandboxIssue,
    SandboxUser,
    StatusDef,
)

Flavor = Literal["cloud3", "cloud2", "dc"]
_MENTION = re.compile(r"\[~accountid:([^\]]+)\]")
_ISSUE_TYPES = {"Story": "10001", "Task": "10002", "Bug": "10004", "Epic": "10000"}
_PRIORITIES = {"Highest": "1", "High": "2", "Medium": "3", "Low": "4", "Lowest": "5"}


def format_jira_time(at: datetime) -> str:
    """Jira's timestamp format: milliseconds and a +hhmm offset with no colon."""
    off = at.utcoffset()
    if off:
        return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}" + at.strftime("%z")
    # the sandbox stores UTC: format by hand, strftime dominates paging 20,000 issues otherwise
    return (f"{at.year:04d}-{at.month:02d}-{at.day:02d}T{at.hour:02d}:{at.minute:02d}:{at.second:02d}."
            f"{at.microsecond // 1000:03d}+0000")


def render_user(u: SandboxUser, flavor: Flavor, base: str) -> dict[str, Any]:
    avatar = f"{base}/secure/useravatar?size=small&ownerId={u.username}"
    if flavor == "dc":
        return {"self": f"{base}/rest/api/2/user?username={u.username}", "name": u.username, "key": u.key,
                "emailAddress": u.email, "avatarUrls": {"16x16": avatar, "48x48": avatar},
                "displayName": u.display_name, "active": True, "timeZone": u.time_zone}
    ver = "3" if flavor == "cloud3" else "2"
    # Cloud hides e-mail addresses by default (GDPR); only accountId identifies a user.
    return {"self": f"{base}/rest/api/{ver}/user?accountId={u.account_id}", "accountId": u.account_id,
            "accountType": "atlassian", "avatarUrls": {"16x16": avatar, "48x48": avatar},
            "displayName": u.display_name, "active": True, "timeZone": u.time_zone}


def render_status(s: StatusDef, base: str, ver: str) -> dict[str, Any]:
    cid, color, cname = CATEGORIES[s.category]
    return {"self": f"{base}/rest/api/{ver}/status/{s.id}", "description": "", "iconUrl": f"{base}/images/icons/statuses/generic.png",
            "name": s.name, "untranslatedName": s.name, "id": s.id,
            "statusCategory": {"self": f"{base}/rest/api/{ver}/statuscategory/{cid}", "id": cid, "key": s.category,
                               "colorName": color, "name": cname}}


def render_field_def(f: FieldDef) -> dict[str, Any]:
    out: dict[str, Any] = {"id": f.id, "key": f.id, "name": f.name}
    if f.custom:
        out["untranslatedName"] = f.name
    clause = [f"cf[{f.id[12:]}]", f.name] if f.custom else [f.id]
    out.update({"custom": f.custom, "orderable": f.id not in ("created", "updated", "status", "resolutiondate"),
                "navigable": True, "searchable": True, "clauseNames": clause, "schema": dict(f.schema)})
    return out


def render_adf(text: str, data: SandboxData) -> dict[str, Any]:
    paras = []
    for chunk in text.split("\n\n"):
        content: list[dict[str, Any]] = []
        pos = 0
        for m in _MENTION.finditer(chunk):
            if m.start() > pos:
                content.append({"type": "text", "text": chunk[pos:m.start()]})
            u = data.users_by_account.get(m.group(1))
            content.append({"type": "mention", "attrs": {"id": m.group(1), "text": "@" + (u.display_name if u else "Unknown"),
                                                         "accessLevel": ""}})
            pos = m.end()
        if pos < len(chunk):
            content.append({"type": "text", "text": chunk[pos:]})
        paras.append({"type": "paragraph", "content": content})
    return {"type": "doc", "version": 1, "content": paras}


def render_wiki(text: str, data: SandboxData, flavor: Flavor) -> str:
    if flavor != "dc":
        return text

    def to_name(m: re.Match[str]) -> str:
        u = data.users_by_account.get(m.group(1))
        return f"[~{u.username}]" if u else m.group(0)

    return _MENTION.sub(to_name, text)


def _memo(data: SandboxData, key: tuple[Any, ...], build: Any) -> Any:
    # Users, statuses, options... render identically for every issue of a (flavor, base): build each once.
    # The shared dicts are only ever serialised, never mutated.
    got = data.render_memo.get(key)
    if got is None:
        got = data.render_memo[key] = build()
    return got


def _user_json(data: SandboxData, name: str, flavor: Flavor, base: str) -> dict[str, Any]:
    return _memo(data, ("user", name, flavor, base),
                 lambda: render_user(data.users_by_name[name], flavor, base))


def _custom_value(issue: SandboxIssue, f: FieldDef, data: SandboxData, flavor: Flavor, base: str) -> Any:
    raw = issue.custom.get(f.id)
    if raw is None:
        return None
    if f.kind == "option":
        ver = "3" if flavor == "cloud3" else "2"

        def option() -> dict[str, Any]:
            oid = f.option_id(raw)
            return {"self": f"{base}/rest/api/{ver}/customFieldOption/{oid}", "value": raw, "id": oid}

        return _memo(data, ("option", f.id, raw, ver, base), option)
    if f.kind == "users":
        return [_user_json(data, u, flavor, base) for u in raw if u in data.users_by_name]
    if f.kind == "richtext":  # a textarea: ADF on v3 like the description, wiki text elsewhere
        return render_adf(str(raw), data) if flavor == "cloud3" else render_wiki(str(raw), data, flavor)
    return raw


def render_fields(issue: SandboxIssue, data: SandboxData, wanted: set[str] | None, flavor: Flavor,
                  base: str) -> dict[str, Any]:
    """`wanted` None means every field."""
    ver = "3" if flavor == "cloud3" else "2"
    out: dict[str, Any] = {}
    for f in data.fields:
        if wanted is not None and f.id not in wanted:
            continue
        if f.custom:
            out[f.id] = _custom_value(issue, f, data, flavor, base)
            continue
        out[f.id] = _system_value(issue, f.id, data, flavor, base, ver)
    return out


def _system_value(issue: SandboxIssue, fid: str, data: SandboxData, flavor: Flavor, base: str,  # noqa: C901
                  ver: str) -> Any:
    if fid == "summary":
        return issue.summary
    if fid == "description":
        return render_adf(issue.description, data) if flavor == "cloud3" else render_wiki(issue.description, data, flavor)
    if fid == "status":
        return _memo(data, ("status", issue.status, ver, base),
                     lambda: render_status(STATUS_BY_NAME[issue.status], base, ver))
    if fid == "issuetype":
        def issuetype() -> dict[str, Any]:
            tid = _ISSUE_TYPES[issue.issue_type]
            return {"self": f"{base}/rest/api/{ver}/issuetype/{tid}", "id": tid, "name": issue.issue_type,
                    "subtask": False, "hierarchyLevel": 1 if issue.issue_type == "Epic" else 0}

        return _memo(data, ("issuetype", issue.issue_type, ver, base), issuetype)
    if fid == "project":
        def project() -> dict[str, Any]:
            pid = str(10000 + list(data.projects).index(issue.project))
            return {"self": f"{base}/rest/api/{ver}/project/{pid}", "id": pid, "key": issue.project,
                    "name": data.projects[issue.project], "projectTypeKey": "software"}

        return _memo(data, ("project", issue.project, ver, base), project)
    if fid == "created":
        return format_jira_time(issue.created)
    if fid == "updated":
        return format_jira_time(issue.updated)
    if fid == "resolutiondate":
        return format_jira_time(issue.resolution_date) if issue.resolution_date else None
    if fid == "resolution":
        if not issue.resolution:
            return None
        rid = "10000" if issue.resolution == "Done" else "10001"
        return {"self": f"{base}/rest/api/{ver}/resolution/{rid}", "id": rid, "name": issue.resolution, "description": ""}
    if fid == "reporter":
        return _user_json(data, issue.reporter, flavor, base) if issue.reporter else None
    if fid == "assignee":
        return _user_json(data, issue.assignee, flavor, base) if issue.assignee else None
    if fid == "priority":
        pid = _PRIORITIES[issue.priority]
        return _memo(data, ("priority", issue.priority, ver, base),
                     lambda: {"self": f"{base}/rest/api/{ver}/priority/{pid}", "name": issue.priority, "id": pid})
    if fid == "labels":
        return list(issue.labels)
    if fid == "components":
        return [_memo(data, ("component", c, ver, base), lambda c=c: _component(c, base, ver)) for c in issue.components]
    if fid == "watches":
        return {"self": f"{base}/rest/api/{ver}/issue/{issue.key}/watchers", "watchCount": len(issue.watchers),
                "isWatching": data.api_user.username in issue.watchers}
    return None


def _component(name: str, base: str, ver: str) -> dict[str, Any]:
    cid = 11000 + hash_name(name)
    return {"self": f"{base}/rest/api/{ver}/component/{cid}", "id": str(cid), "name": name}


def hash_name(name: str) -> int:
    return sum((i + 1) * ord(c) for i, c in enumerate(name)) % 900


def render_history(h: History, issue: SandboxIssue, data: SandboxData, flavor: Flavor, base: str,
                   field_ids: set[str] | None = None) -> dict[str, Any] | None:
    items = [it for it in h.items if field_ids is None or it.field_id in field_ids]
    if not items:
        return None
    out: dict[str, Any] = {"id": str(h.id)}
    if h.author and h.author in data.users_by_name:
        out["author"] = _user_json(data, h.author, flavor, base)
    out["created"] = format_jira_time(h.created)
    rendered = []
    for it in items:
        d: dict[str, Any] = {"field": it.field, "fieldtype": it.fieldtype}
        if flavor != "dc":
            d["fieldId"] = it.field_id  # Data Center changelog items carry no fieldId
        d.update({"from": it.from_, "fromString": it.from_string, "to": it.to, "toString": it.to_string})
        rendered.append(d)
    out["items"] = rendered
    return out


def render_issue(issue: SandboxIssue, data: SandboxData, wanted: set[str] | None, flavor: Flavor, base: str,
                 changelog: bool = False) -> dict[str, Any]:
    ver = "3" if flavor == "cloud3" else "2"
    out: dict[str, Any] = {"expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
                           "id": str(issue.id), "self": f"{base}/rest/api/{ver}/issue/{issue.id}", "key": issue.key,
                           "fields": render_fields(issue, data, wanted, flavor, base)}
    if changelog:
        hs = [x for h in issue.histories if (x := render_history(h, issue, data, flavor, base))]
        if flavor != "dc":
            hs.reverse()  # Cloud's expand=changelog lists the most recent first
        out["changelog"] = {"startAt": 0, "maxResults": len(hs), "total": len(hs), "histories": hs}
    return out


def parse_fields_param(values: list[str], data: SandboxData, default: str) -> set[str] | None:
    """Jira's `fields`: comma lists, possibly repeated; `*all`, `*navigable`, `-x` exclusions.

    Returns the wanted field ids, or None for every field. Unknown ids are ignored, as Jira does."""
    parts = [p.strip() for v in (values or [default]) for p in v.split(",") if p.strip()]
    every = {f.id for f in data.fields}
    wanted: set[str] = set()
    for p in parts:
        if p in ("*all", "*navigable"):
            wanted |= every
        elif not p.startswith("-"):
            wanted.add(p)
    for p in parts:
        if p.startswith("-"):
            wanted.discard(p[1:])
    return None if wanted >= every else wanted

