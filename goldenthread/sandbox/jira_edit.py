"""`PUT /rest/api/*/issue/{key}`: `fields` (set) and `update` (add/remove/set) like Jira.

Every accepted edit bumps `updated`, records a changelog entry authored by the API user, and
counts as one write. The optional per-issue write limit answers 429 like Jira Cloud does.

Tests: tests/sandbox/test_jira.py
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from goldenthread.sandbox.model import FieldDef, HistoryItem, SandboxIssue

if TYPE_CHECKING:
    from goldenthread.sandbox.jira_render import Flavor
    from goldenthread.sandbox.state import SandboxState

_EDITABLE_SYSTEM = {"summary", "labels", "description"}


@dataclass
class EditError(Exception):
    status: int
    message: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] | None = None


def _user_ident(ref: Any, flavor: Flavor) -> str | None:
    if not isinstance(ref, dict):
        return None
    return ref.get("name") or ref.get("key") if flavor == "dc" else ref.get("accountId")


def _resolve_user(st: SandboxState, ref: Any, flavor: Flavor, fid: str) -> str:
    ident = _user_ident(ref, flavor)
    d = st.data
    u = None
    if ident:
        if flavor == "dc":
            u = d.users_by_name.get(ident) or next((x for x in d.users_by_name.values() if x.key == ident), None)
        else:
            u = d.users_by_account.get(ident)
    if u is None:
        what = "name" if flavor == "dc" else "accountId"
        raise EditError(400, errors={fid: f"Specify a valid value for {fid}: user with {what} '{ident}' does not exist"})
    return u.username


def _coerce(st: SandboxState, f: FieldDef, value: Any, flavor: Flavor) -> Any:
    if value is None:
        return None
    if f.kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise EditError(400, errors={f.id: "Operation value must be a number"})
        return value
    if f.kind == "option":
        opt = value.get("value") if isinstance(value, dict) else None
        if isinstance(value, dict) and "id" in value:
            opt = next((o for o in f.options if f.option_id(o) == str(value["id"])), None)
        if opt not in f.options:
            raise EditError(400, errors={f.id: f"Option value '{opt}' is not valid"})
        return opt
    if f.kind == "users":
        if not isinstance(value, list):
            raise EditError(400, errors={f.id: "Operation value must be an array of users"})
        return [_resolve_user(st, v, flavor, f.id) for v in value]
    if not isinstance(value, str):
        raise EditError(400, errors={f.id: "Operation value must be a string"})
    return value


def _get(issue: SandboxIssue, fid: str) -> Any:
    if fid == "summary":
        return issue.summary
    if fid == "description":
        return issue.description
    if fid == "labels":
        return list(issue.labels)
    return issue.custom.get(fid)


def _set(issue: SandboxIssue, fid: str, value: Any) -> None:
    if fid == "summary":
        issue.summary = value or ""
    elif fid == "description":
        issue.description = value or ""
    elif fid == "labels":
        issue.labels = list(value or [])
    elif value is None or value == []:
        issue.custom.pop(fid, None)
    else:
        issue.custom[fid] = value


def _adf_text(doc: Any) -> str:
    if isinstance(doc, dict):
        if doc.get("type") == "text":
            return str(doc.get("text", ""))
        if doc.get("type") == "mention":
            return f"[~accountid:{doc.get('attrs', {}).get('id', '')}]"
        sep = "\n\n" if doc.get("type") == "doc" else ""
        return sep.join(_adf_text(c) for c in doc.get("content", []))
    return ""


def _field(st: SandboxState, fid: str) -> FieldDef:
    f = st.data.fields_by_id.get(fid)
    if f is None or (not f.custom and fid not in _EDITABLE_SYSTEM) or f.kind == "epic":
        raise EditError(400, errors={fid: f"Field '{fid}' cannot be set. It is not on the appropriate screen, or unknown."})
    return f


def _check_write_limit(st: SandboxState, issue: SandboxIssue) -> None:
    if st.write_limit is None:
        return
    now = st.monotonic()
    issue.write_times[:] = [t for t in issue.write_times if now - t < st.write_window_s]
    if len(issue.write_times) >= st.write_limit:
        raise EditError(429, "Too many updates to this issue. Try again later.",
                        headers={"Retry-After": str(st.write_retry_after), "RateLimit-Reason": "jira-per-issue-on-write"})
    issue.write_times.append(now)


def apply_edit(st: SandboxState, issue: SandboxIssue, body: Any, flavor: Flavor) -> None:
    if not isinstance(body, dict) or not ({"fields", "update"} & body.keys()):
        raise EditError(400, "No fields or update operations were provided.")
    sets: dict[str, Any] = dict(body.get("fields") or {})
    ops: dict[str, list[dict[str, Any]]] = dict(body.get("update") or {})
    new: dict[str, Any] = {}
    for fid, value in sets.items():
        f = _field(st, fid)
        if fid == "description" and flavor == "cloud3" and value is not None:
            value = _adf_text(value)
        new[fid] = list(value) if fid == "labels" else _coerce(st, f, value, flavor)
    for fid, oplist in ops.items():
        f = _field(st, fid)
        if fid in sets:
            raise EditError(400, errors={fid: "Field specified in both 'fields' and 'update'"})
        cur = list(_get(issue, fid) or []) if (f.kind == "users" or fid == "labels") else _get(issue, fid)
        for op in oplist if isinstance(oplist, list) else []:
            if not (isinstance(op, dict) and len(op) == 1):
                raise EditError(400, errors={fid: "Each operation must name exactly one of add, remove or set"})
            verb, arg = next(iter(op.items()))
            if f.kind == "users" or fid == "labels":
                items = [arg] if verb in ("add", "remove") else (arg or [])
                vals = ([_resolve_user(st, v, flavor, fid) for v in items] if f.kind == "users"
                        else [str(v) for v in items])
                if verb == "add":
                    cur += [v for v in vals if v not in cur]  # atomic add: existing values stay
                elif verb == "remove":
                    cur = [v for v in cur if v not in vals]
                elif verb == "set":
                    cur = vals
                else:
                    raise EditError(400, errors={fid: f"Unsupported operation '{verb}' for this field"})
            elif verb == "set":
                cur = _coerce(st, f, arg, flavor)
            else:
                raise EditError(400, errors={fid: f"Unsupported operation '{verb}' for this field"})
        new[fid] = cur
    _check_write_limit(st, issue)
    now = st.clock()
    items = []
    for fid, value in new.items():
        before = _get(issue, fid)
        if before == value or (before in (None, []) and value in (None, [])):
            continue
        f = st.data.fields_by_id[fid]
        items.append(_item(st, f, before, value, flavor))
        _set(issue, fid, value)
    issue.updated = max(now, issue.updated)
    if items:
        st.data.add_history(issue, st.data.api_user.username, issue.updated, tuple(items))
    st.stats.count_write("jira.issue.edit")
    st.bump()


def _item(st: SandboxState, f: FieldDef, before: Any, after: Any, flavor: Flavor) -> HistoryItem:
    def ids(v: Any) -> str | None:
        if v in (None, []):
            return None
        if f.kind == "users":
            us = [st.data.users_by_name[u] for u in v]
            return ", ".join(u.username if flavor == "dc" else u.account_id for u in us)
        return " ".join(v) if isinstance(v, list) else str(v)

    def names(v: Any) -> str | None:
        if f.kind == "users" and v:
            return ", ".join(st.data.users_by_name[u].display_name for u in v)
        return ids(v)

    return HistoryItem(f.name if f.custom else f.id, f.id, "custom" if f.custom else "jira",
                       ids(before), names(before), ids(after), names(after))
