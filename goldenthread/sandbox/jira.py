"""Jira Cloud (v2/v3) and Data Center (v2) REST endpoints of the sandbox."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from goldenthread.sandbox.jira_edit import EditError, apply_edit
from goldenthread.sandbox.jira_render import (
    Flavor,
    format_jira_time,
    parse_fields_param,
    render_field_def,
    render_history,
    render_issue,
    render_status,
    render_user,
)
from goldenthread.sandbox.jira_render_json import build_json_with_issues, encode_json, render_issues_json
from goldenthread.sandbox.jql import JqlError, parse_jql
from goldenthread.sandbox.model import STATUSES, FieldDef, SandboxIssue, SandboxUser
from goldenthread.sandbox.state import SandboxState

REMOVED_SEARCH = ("The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
                  "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046")
_ID_ONLY_MAX, _FIELDS_MAX, _DC_MAX, _BULK_ISSUES_MAX = 5000, 100, 1000, 1000


def jira_error(status: int, *messages: str, errors: dict[str, str] | None = None,
               headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"errorMessages": list(messages), "errors": errors or {}}, status_code=status, headers=headers)


def _json_bytes(body: bytes) -> Response:
    # the same bytes and content type JSONResponse would send, from pre-encoded parts
    return Response(body, media_type="application/json")


class _NotHere(Exception):
    pass


def _flavor(request: Request) -> Flavor:
    state: SandboxState = request.app.state.sandbox
    ver = request.scope["path"].split("/")[3]
    if state.jira_mode == "datacenter":
        if ver != "2":
            raise _NotHere
        return "dc"
    return "cloud3" if ver == "3" else "cloud2"


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError as exc:
        # UnicodeDecodeError (bytes that are not UTF-8) is a ValueError too, without `msg`
        said = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        raise EditError(400, f"Unexpected character in the request body: {said}") from exc


def _find_user(state: SandboxState, flavor: Flavor, ident: str) -> SandboxUser | None:
    d = state.data
    if flavor == "dc":
        return d.users_by_name.get(ident) or next((u for u in d.users_by_name.values() if u.key == ident), None)
    return d.users_by_account.get(ident)


def _search(state: SandboxState, jql: str) -> list[SandboxIssue]:
    # Cache the hit list per (query, data generation) so paging 20,000 issues costs one evaluation.
    ck = (jql.strip(), state.data.generation)
    hit = state.search_cache.get(ck)
    if hit is None:
        hit = parse_jql(jql, state.data, state.clock()).run(state.data.issues)
        state.search_cache[ck] = hit
        while len(state.search_cache) > 16:
            state.search_cache.popitem(last=False)
    return hit


def _token(jql: str, offset: int) -> str:
    tag = hashlib.sha1(jql.strip().encode()).hexdigest()[:10]
    return base64.urlsafe_b64encode(json.dumps({"q": tag, "o": offset}).encode()).decode().rstrip("=")


def _untoken(jql: str, token: str) -> int | None:
    try:
        d = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if d["q"] != hashlib.sha1(jql.strip().encode()).hexdigest()[:10]:
            return None
        return int(d["o"])
    except (ValueError, KeyError, TypeError):
        return None


def _int(v: Any, default: int) -> int:
    try:
        return int(v) if v not in (None, "") else default
    except (TypeError, ValueError) as exc:
        raise EditError(400, f"The value '{v}' is not a valid number.") from exc


_Route = Callable[[Request, SandboxState, Flavor], Awaitable[Response]]


def build_jira_router() -> APIRouter:  # noqa: C901 - one place that lists every Jira route
    r = APIRouter()

    def both(path: str, methods: list[str]) -> Callable[[_Route], _Route]:
        def deco(fn: _Route) -> _Route:
            async def wrapped(request: Request) -> Response:
                try:
                    return await fn(request, request.app.state.sandbox, _flavor(request))
                except _NotHere:
                    return JSONResponse({"detail": "Not Found"}, status_code=404)
                except EditError as e:
                    return jira_error(e.status, *([e.message] if e.message else []), errors=e.errors, headers=e.headers)
                except JqlError as e:
                    return jira_error(400, str(e))

            wrapped.__name__ = fn.__name__
            for ver in ("2", "3"):
                r.add_api_route(f"/rest/api/{ver}{path}", wrapped, methods=methods)
            return fn

        return deco

    @both("/serverInfo", ["GET"])
    async def server_info(req: Request, st: SandboxState, fl: Flavor) -> Response:
        now = format_jira_time(st.clock())
        if fl == "dc":
            return JSONResponse({"baseUrl": _base(req), "version": "9.12.15", "versionNumbers": [9, 12, 15],
                                 "deploymentType": st.dc_deployment_type, "buildNumber": 9120015,
                                 "buildDate": "2024-10-01T00:00:00.000+0000", "serverTime": now,
                                 "scmInfo": "sandbox", "serverTitle": "Jira (sandbox)"})
        return JSONResponse({"baseUrl": _base(req), "version": "1001.0.0-SNAPSHOT", "versionNumbers": [1001, 0, 0],
                             "deploymentType": "Cloud", "buildNumber": 100283, "buildDate": "2025-01-01T00:00:00.000+0000",
                             "serverTime": now, "scmInfo": "sandbox", "serverTitle": "Jira (sandbox)"})

    @both("/field", ["GET"])
    async def fields(req: Request, st: SandboxState, fl: Flavor) -> Response:
        return JSONResponse([render_field_def(f) for f in st.data.fields])

    def _select_field(st: SandboxState, fid: str) -> FieldDef:
        found = next((f for f in st.data.fields if f.id == fid and f.options), None)
        if found is None:
            raise EditError(404, f"The custom field was not found: {fid}")
        return found

    def _page(req: Request, values: list[dict[str, Any]]) -> Response:
        start, limit = _int(req.query_params.get("startAt"), 0), _int(req.query_params.get("maxResults"), 50)
        chunk = values[start:start + limit]
        return JSONResponse({"maxResults": limit, "startAt": start, "total": len(values),
                             "isLast": start + len(chunk) >= len(values), "values": chunk})

    # select-list options: Cloud per field context, Data Center per field (both admin-only APIs)
    @both("/field/{fid}/context", ["GET"])
    async def field_contexts(req: Request, st: SandboxState, fl: Flavor) -> Response:
        if fl == "dc":
            raise _NotHere
        f = _select_field(st, req.path_params["fid"])
        return _page(req, [{"id": f"1{f.id[12:]}", "name": f"Default Configuration Scheme for {f.name}",
                            "isGlobalContext": True, "isAnyIssueType": True}])

    @both("/field/{fid}/context/{cid}/option", ["GET"])
    async def context_options(req: Request, st: SandboxState, fl: Flavor) -> Response:
        if fl == "dc":
            raise _NotHere
        f = _select_field(st, req.path_params["fid"])
        return _page(req, [{"id": f.option_id(v), "value": v, "disabled": False} for v in f.options])

    @both("/customFields/{num}/options", ["GET"])
    async def dc_options(req: Request, st: SandboxState, fl: Flavor) -> Response:
        if fl != "dc":
            raise _NotHere
        f = _select_field(st, f"customfield_{req.path_params['num']}")
        return _page(req, [{"id": int(f.option_id(v)), "value": v, "disabled": False} for v in f.options])

    @both("/status", ["GET"])
    async def statuses(req: Request, st: SandboxState, fl: Flavor) -> Response:
        ver = "3" if fl == "cloud3" else "2"
        return JSONResponse([render_status(s, _base(req), ver) for s in STATUSES])

    @both("/myself", ["GET"])
    async def myself(req: Request, st: SandboxState, fl: Flavor) -> Response:
        return JSONResponse(render_user(st.data.api_user, fl, _base(req)))

    @both("/search", ["GET", "POST"])
    async def search_v2(req: Request, st: SandboxState, fl: Flavor) -> Response:
        if fl != "dc":
            return jira_error(410, REMOVED_SEARCH)
        p: dict[str, Any] = dict(req.query_params)
        fields_param = req.query_params.getlist("fields")
        if req.method == "POST":
            p = await _json_body(req) or {}
            fields_param = p.get("fields") or []
            fields_param = [fields_param] if isinstance(fields_param, str) else [",".join(fields_param)]
        start, limit = _int(p.get("startAt"), 0), min(_int(p.get("maxResults"), 50), _DC_MAX)
        expand = p.get("expand") or ""
        expand = ",".join(expand) if isinstance(expand, list) else expand
        hits = _search(st, p.get("jql") or "")
        wanted = parse_fields_param(fields_param, st.data, "*navigable")
        page = hits[start:start + max(limit, 0)]
        base, changelog = _base(req), "changelog" in expand
        issues = render_issues_json(page, st.data, wanted, fl, base, changelog, st.render_cache)
        head = {"expand": "schema,names", "startAt": start, "maxResults": limit, "total": len(hits)}
        return _json_bytes(build_json_with_issues(head, issues, {}))

    @both("/search/jql", ["GET", "POST"])
    async def search_jql(req: Request, st: SandboxState, fl: Flavor) -> Response:
        if fl == "dc":
            raise _NotHere
        if req.method == "POST":
            p = await _json_body(req) or {}
            fp = p.get("fields") or []
            fields_param = [fp] if isinstance(fp, str) else ([",".join(fp)] if fp else [])
        else:
            p = dict(req.query_params)
            fields_param = req.query_params.getlist("fields")
        jql = p.get("jql") or ""
        hits = _search(st, jql)
        wanted = parse_fields_param(fields_param, st.data, "id")
        id_only = wanted is not None and wanted <= {"id", "key"}
        limit = min(_int(p.get("maxResults"), 50), _ID_ONLY_MAX if id_only else _FIELDS_MAX)
        offset = 0
        if p.get("nextPageToken"):
            got = _untoken(jql, str(p["nextPageToken"]))
            if got is None:
                return jira_error(400, "The provided next page token is invalid or expired.")
            offset = got
        page = hits[offset:offset + max(limit, 1)]
        base = _base(req)
        if id_only:
            with_key = "key" in (wanted or ())
            issues = [encode_json({"id": str(i.id), "key": i.key} if with_key else {"id": str(i.id)}) for i in page]
        else:
            changelog = "changelog" in str(p.get("expand") or "")
            issues = render_issues_json(page, st.data, wanted, fl, base, changelog, st.render_cache)
        tail: dict[str, Any] = {}
        end = offset + len(page)
        if end < len(hits):
            tail["nextPageToken"] = _token(jql, end)
        tail["isLast"] = end >= len(hits)
        return _json_bytes(build_json_with_issues({}, issues, tail))

    @both("/changelog/bulkfetch", ["POST"])
    async def bulkfetch(req: Request, st: SandboxState, fl: Flavor) -> Response:
        if fl == "dc":
            raise _NotHere
        body = await _json_body(req) or {}
        ids = body.get("issueIdsOrKeys") or []
        if not isinstance(ids, list) or not ids:
            return jira_error(400, "issueIdsOrKeys must not be empty.")
        if len(ids) > _BULK_ISSUES_MAX:
            return jira_error(400, f"The number of issueIdsOrKeys must not exceed {_BULK_ISSUES_MAX}.")
        field_ids = body.get("fieldIds")
        if field_ids is not None and len(field_ids) > 10:
            return jira_error(400, "The number of fieldIds must not exceed 10.")
        limit = max(1, min(_int(body.get("maxResults"), 1000), 10000))
        issues = [i for x in ids if (i := st.data.find_issue(str(x)))]
        fset = set(field_ids) if field_ids else None
        # Jira pages over histories oldest first, then by issue id; one issue may span pages
        entries = sorted(((h.created, i.id, h.id, i, h) for i in issues for h in i.histories
                          if fset is None or any(it.field_id in fset for it in h.items)), key=lambda t: t[:3])
        offset = 0
        if body.get("nextPageToken"):
            got = _untoken("bulkfetch:" + ",".join(map(str, ids)), str(body["nextPageToken"]))
            if got is None:
                return jira_error(400, "The provided next page token is invalid or expired.")
            offset = got
        page = entries[offset:offset + limit]
        grouped: dict[int, dict[str, Any]] = {}
        base = _base(req)
        for _, iid, _, issue, h in page:
            g = grouped.setdefault(iid, {"issueId": str(iid), "changeHistories": []})
            rendered = render_history(h, issue, st.data, fl, base, fset)
            if rendered:
                g["changeHistories"].append(rendered)
        out: dict[str, Any] = {"issueChangeLogs": list(grouped.values())}
        if offset + limit < len(entries):
            out["nextPageToken"] = _token("bulkfetch:" + ",".join(map(str, ids)), offset + limit)
        return _json_bytes(encode_json(out))

    @both("/issue/{key}", ["GET", "PUT"])
    async def issue(req: Request, st: SandboxState, fl: Flavor) -> Response:
        key = req.path_params["key"]
        found = st.data.find_issue(key)
        if found is None:
            return jira_error(404, "Issue does not exist or you do not have permission to see it.")
        if req.method == "GET":
            wanted = parse_fields_param(req.query_params.getlist("fields"), st.data, "*all")
            expand = req.query_params.get("expand", "")
            return JSONResponse(render_issue(found, st.data, wanted, fl, _base(req), "changelog" in expand))
        body = await _json_body(req) or {}
        apply_edit(st, found, body, fl)
        return Response(status_code=204)

    @both("/issue/{key}/watchers", ["GET", "POST", "DELETE"])
    async def watchers(req: Request, st: SandboxState, fl: Flavor) -> Response:
        found = st.data.find_issue(req.path_params["key"])
        if found is None:
            return jira_error(404, "Issue does not exist or you do not have permission to see it.")
        base = _base(req)
        ver = "3" if fl == "cloud3" else "2"
        if req.method == "GET":
            ws = [render_user(st.data.users_by_name[u], fl, base) for u in found.watchers]
            return JSONResponse({"self": f"{base}/rest/api/{ver}/issue/{found.key}/watchers",
                                 "isWatching": st.data.api_user.username in found.watchers,
                                 "watchCount": len(ws), "watchers": ws})
        ident: str | None
        if req.method == "DELETE":
            ident = req.query_params.get("username" if fl == "dc" else "accountId", "")
        else:
            body = await _json_body(req)
            ident = body if isinstance(body, str) else ("" if body is None else None)
            if ident is None:
                return jira_error(400, "The request body must be a JSON string.")
            if ident == "":
                ident = st.data.api_user.username if fl == "dc" else st.data.api_user.account_id
        user = _find_user(st, fl, ident)
        if user is None:
            return jira_error(400 if req.method == "POST" else 404, f"The user \"{ident}\" does not exist.")
        if req.method == "POST" and user.username not in found.watchers:
            found.watchers.append(user.username)
            st.stats.count_write("jira.watchers.add")
            st.bump()  # `watches` is rendered from the watcher list: cached renders are stale
        elif req.method == "DELETE" and user.username in found.watchers:
            found.watchers.remove(user.username)
            st.stats.count_write("jira.watchers.remove")
            st.bump()
        return Response(status_code=204)

    return r
