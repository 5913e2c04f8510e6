"""Confluence v1 endpoints: attachments and labels (Cloud under /wiki and DC under /confluence),
plus content CRUD and content properties (Data Center only, under /confluence).

Tests: tests/sandbox/test_confluence.py"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from goldenthread.sandbox.confluence import iso
from goldenthread.sandbox.confluence_store import Attachment, ConflictError, Page, PageProperty, check_storage
from goldenthread.sandbox.state import SandboxState

_EXC = "com.atlassian.confluence.api.service.exceptions."
_LABEL = re.compile(r"^[^\s:!#&()*,.\[\]^]{1,255}$")


def v1_error(status: int, message: str) -> JSONResponse:
    kind = {400: "BadRequestException", 403: "PermissionException", 404: "NotFoundException",
            409: "ConflictException"}.get(status, "ServiceException")
    return JSONResponse({"statusCode": status, "data": {"authorized": status != 403, "valid": status != 400,
                                                        "errors": [], "successful": False},
                         "message": f"{_EXC}{kind}: {message}"}, status_code=status)


def _ctx(req: Request) -> str:
    return "/" + req.scope["path"].split("/")[1]


def _state(req: Request) -> SandboxState | None:
    st: SandboxState = req.app.state.sandbox
    want = "cloud" if _ctx(req) == "/wiki" else "datacenter"
    return st if st.confluence_mode == want else None


def render_v1_user(st: SandboxState, account_id: str) -> dict[str, Any]:
    u = st.confluence.user(account_id)
    name = u.display_name if u else account_id
    if st.confluence_mode == "datacenter":
        return {"type": "known", "username": u.username if u else account_id, "userKey": u.key if u else account_id,
                "displayName": name}
    return {"type": "known", "accountId": account_id, "accountType": "atlassian", "displayName": name,
            "publicName": name}


def render_attachment(st: SandboxState, a: Attachment, ctx: str, page: Page) -> dict[str, Any]:
    stamp = int(a.at.timestamp() * 1000)
    return {"id": a.id, "type": "attachment", "status": "current", "title": a.title,
            "metadata": {"mediaType": a.media_type, "comment": a.comment},
            "extensions": {"mediaType": a.media_type, "fileSize": len(a.data), "comment": a.comment},
            "version": {"by": render_v1_user(st, st.confluence.api_author), "when": iso(a.at), "number": a.version,
                        "minorEdit": False},
            "container": {"id": page.id, "type": "page", "status": "current", "title": page.title},
            "_links": {"webui": f"/pages/viewpageattachments.action?pageId={page.id}",
                       "download": f"/download/attachments/{page.id}/{quote(a.title)}?version={a.version}"
                                   f"&modificationDate={stamp}&api=v2",
                       "self": f"{ctx}/rest/api/content/{a.id}"}}


def render_v1_content(st: SandboxState, page: Page, expand: str, ctx: str) -> dict[str, Any]:
    space = st.confluence.space_by_id(page.space_id)
    out: dict[str, Any] = {"id": page.id, "type": "page", "status": page.status, "title": page.title}
    sp = {"id": int(page.space_id), "key": space.key if space else "", "name": space.name if space else "",
          "type": "global", "_links": {"webui": f"/display/{space.key if space else ''}"}}
    out["space"] = sp
    out["version"] = {"by": render_v1_user(st, page.version_author_id), "when": iso(page.version_at),
                      "message": page.version_message, "number": page.version, "minorEdit": False}
    out["ancestors"] = [{"id": a.id, "type": "page", "status": a.status, "title": a.title}
                        for a in st.confluence.ancestors(page)]
    if "body.storage" in expand:
        out["body"] = {"storage": {"value": page.body, "representation": "storage"}}
    else:
        out["_expandable"] = {"body": "", "children": "", "descendants": ""}
    out["_links"] = {"webui": f"/display/{sp['key']}/{quote(page.title)}", "edit": f"/pages/resumedraft.action?draftId={page.id}",
                     "tinyui": f"/x/{page.id}", "self": f"{ctx}/rest/api/content/{page.id}", "base": ctx, "context": ctx}
    return out


def render_v1_property(st: SandboxState, p: PageProperty) -> dict[str, Any]:
    return {"id": p.id, "key": p.key, "value": p.value,
            "version": {"by": render_v1_user(st, p.author_id), "when": iso(p.at), "number": p.version,
                        "minorEdit": False, "message": ""}}


async def _json(req: Request) -> Any:
    try:
        return json.loads(await req.body() or b"null")
    except ValueError:
        return None


def build_confluence_v1_router() -> APIRouter:  # noqa: C901 - the route table
    r = APIRouter()

    def page_or_none(req: Request, content_id: str) -> tuple[SandboxState | None, Page | None]:
        st = _state(req)
        page = st.confluence.pages.get(content_id) if st else None
        return st, (page if page and page.status == "current" else None)

    def page_or_error(req: Request, content_id: str) -> tuple[SandboxState, Page] | Response:
        """The current page, or the response Confluence gives when there is none."""
        st, page = page_or_none(req, content_id)
        if st is None:
            return Response(status_code=404)
        if page is None:
            return v1_error(404, f"No content found with id: ContentId{{id={content_id}}}")
        return st, page

    for ctx in ("/wiki", "/confluence"):

        @r.api_route(ctx + "/rest/api/content/{content_id}/child/attachment", methods=["GET", "POST"])
        async def attachments(req: Request, content_id: str) -> Response:
            found = page_or_error(req, content_id)
            if isinstance(found, Response):
                return found
            st, page = found
            ctx_ = _ctx(req)
            if req.method == "GET":
                fn = req.query_params.get("filename")
                res = [render_attachment(st, a, ctx_, page) for a in page.attachments.values() if fn in (None, a.title)]
                return JSONResponse({"results": res, "start": 0, "limit": 50, "size": len(res), "_links": {"base": ctx_}})
            if req.headers.get("x-atlassian-token", "").lower() != "no-check":
                return JSONResponse({"message": "XSRF check failed"}, status_code=403)
            form = await req.form()
            files = [f for f in form.getlist("file") if hasattr(f, "read")]
            if not files:
                return v1_error(400, "At least one file is required in the 'file' part")
            made = []
            for f in files:
                name = f.filename or "file"  # type: ignore[union-attr]
                if any(a.title == name for a in page.attachments.values()):
                    return v1_error(400, f"Cannot add a new attachment with same file name as an existing attachment: {name}")
                data = await f.read()
                a = Attachment("att" + st.confluence.new_id(), page.id, name,
                               f.content_type or "application/octet-stream", data, 1, st.clock(),  # type: ignore[union-attr]
                               str(form.get("comment") or ""))
                page.attachments[a.id] = a
                made.append(render_attachment(st, a, ctx_, page))
                st.stats.count_write("confluence.attachment.create")
            return JSONResponse({"results": made, "start": 0, "limit": 50, "size": len(made), "_links": {"base": ctx_}})

        @r.post(ctx + "/rest/api/content/{content_id}/child/attachment/{att_id}/data")
        async def attachment_data(req: Request, content_id: str, att_id: str) -> Response:
            st, page = page_or_none(req, content_id)
            if st is None:
                return Response(status_code=404)
            a = page.attachments.get(att_id) if page else None
            if page is None or a is None:
                return v1_error(404, f"No attachment found with id: {att_id}")
            if req.headers.get("x-atlassian-token", "").lower() != "no-check":
                return JSONResponse({"message": "XSRF check failed"}, status_code=403)
            form = await req.form()
            f = form.get("file")
            if f is None or not hasattr(f, "read"):
                return v1_error(400, "A 'file' part is required")
            a.data = await f.read()
            a.media_type = getattr(f, "content_type", None) or a.media_type
            a.version, a.at, a.comment = a.version + 1, st.clock(), str(form.get("comment") or a.comment)
            st.stats.count_write("confluence.attachment.update")
            return JSONResponse(render_attachment(st, a, _ctx(req), page))

        @r.get(ctx + "/download/attachments/{content_id}/{name}")
        async def download(req: Request, content_id: str, name: str) -> Response:
            st, page = page_or_none(req, content_id)
            a = next((x for x in page.attachments.values() if x.title == name), None) if page else None
            if st is None or a is None:
                return Response(status_code=404)
            return Response(a.data, media_type=a.media_type)

        @r.api_route(ctx + "/rest/api/content/{content_id}/label", methods=["GET", "POST", "DELETE"])
        async def labels(req: Request, content_id: str) -> Response:
            found = page_or_error(req, content_id)
            if isinstance(found, Response):
                return found
            st, page = found
            if req.method == "POST":
                b = await _json(req)
                items = b if isinstance(b, list) else [b]
                for it in items:
                    name = (it or {}).get("name") if isinstance(it, dict) else None
                    if not name or not _LABEL.match(name):
                        return v1_error(400, f"Invalid label: {name!r}")
                for it in items:
                    if it["name"].lower() not in page.labels:
                        page.labels.append(it["name"].lower())
                        st.stats.count_write("confluence.label.add")
            elif req.method == "DELETE":
                name = req.query_params.get("name", "")
                if name in page.labels:
                    page.labels.remove(name)
                    st.stats.count_write("confluence.label.remove")
                return Response(status_code=204)
            res = [{"prefix": "global", "name": n, "id": str(1000 + i), "label": n} for i, n in enumerate(page.labels)]
            return JSONResponse({"results": res, "start": 0, "limit": 200, "size": len(res)})

    @r.get("/confluence/rest/api/space/{key}")
    async def space_one(req: Request, key: str) -> Response:
        st = _state(req)
        if st is None:
            return Response(status_code=404)
        space = st.confluence.spaces.get(key)
        if space is None:
            return v1_error(404, f"No space with key : {key}")
        return JSONResponse({"id": int(space.id), "key": space.key, "name": space.name, "type": "global",
                             "_links": {"webui": f"/display/{space.key}", "base": "/confluence"}})

    @r.api_route("/confluence/rest/api/content", methods=["GET", "POST"])
    async def content(req: Request) -> Response:
        st = _state(req)
        if st is None:
            return Response(status_code=404)
        q = req.query_params
        if req.method == "GET":
            space = st.confluence.spaces.get(q.get("spaceKey", ""))
            title = q.get("title")
            found = [p for p in sorted(st.confluence.pages.values(), key=lambda p: int(p.id))
                     if p.status == "current" and (space is None and not q.get("spaceKey") or space and p.space_id == space.id)
                     and (title is None or p.title == title)]
            res = [render_v1_content(st, p, q.get("expand", ""), "/confluence") for p in found]
            return JSONResponse({"results": res, "start": 0, "limit": 25, "size": len(res), "_links": {"base": "/confluence"}})
        b = await _json(req)
        if not isinstance(b, dict) or not b.get("title") or not isinstance(b.get("space"), dict):
            return v1_error(400, "title and space.key are required")
        space = st.confluence.spaces.get(b["space"].get("key", ""))
        if space is None:
            return v1_error(404, f"No space with key : {b['space'].get('key')}")
        value = ((b.get("body") or {}).get("storage") or {}).get("value", "")
        problem = check_storage(value)
        if problem:
            return v1_error(400, problem)
        anc = b.get("ancestors") or []
        parent = str(anc[-1]["id"]) if anc and isinstance(anc[-1], dict) and "id" in anc[-1] else None
        try:
            page = st.confluence.create_page(space.id, b["title"], parent, value, st.clock())
        except ValueError as exc:
            return v1_error(400, str(exc))
        st.stats.count_write("confluence.page.create")
        return JSONResponse(render_v1_content(st, page, "body.storage", "/confluence"))

    @r.api_route("/confluence/rest/api/content/{content_id}", methods=["GET", "PUT", "DELETE"])
    async def content_one(req: Request, content_id: str) -> Response:
        found = page_or_error(req, content_id)
        if isinstance(found, Response):
            return found
        st, page = found
        if req.method == "GET":
            return JSONResponse(render_v1_content(st, page, req.query_params.get("expand", ""), "/confluence"))
        if req.method == "DELETE":
            page.status = "trashed"
            st.stats.count_write("confluence.page.delete")
            return Response(status_code=204)
        b = await _json(req)
        if not isinstance(b, dict) or not isinstance(b.get("version"), dict):
            return v1_error(400, "version is required")
        value = ((b.get("body") or {}).get("storage") or {}).get("value", page.body)
        problem = check_storage(value)
        if problem:
            return v1_error(400, problem)
        anc = b.get("ancestors") or []
        parent = str(anc[-1]["id"]) if anc and isinstance(anc[-1], dict) and "id" in anc[-1] else None
        try:
            st.confluence.update_page(page, int(b["version"].get("number", 0)), b.get("title") or page.title, value,
                                      st.clock(), str(b["version"].get("message", "")), parent_id=parent)
        except ConflictError as exc:
            return v1_error(409, str(exc))
        except ValueError as exc:
            return v1_error(400, str(exc))
        st.stats.count_write("confluence.page.update")
        return JSONResponse(render_v1_content(st, page, "body.storage", "/confluence"))

    @r.api_route("/confluence/rest/api/content/{content_id}/property", methods=["GET", "POST"])
    async def properties(req: Request, content_id: str) -> Response:
        return await property_one(req, content_id, None)

    @r.api_route("/confluence/rest/api/content/{content_id}/property/{key}", methods=["GET", "POST", "PUT", "DELETE"])
    async def property_one(req: Request, content_id: str, key: str | None) -> Response:
        found = page_or_error(req, content_id)
        if isinstance(found, Response):
            return found
        st, page = found
        if req.method == "GET" and key is None:
            res = [render_v1_property(st, p) for p in page.properties.values()]
            return JSONResponse({"results": res, "start": 0, "limit": 10, "size": len(res)})
        existing = page.properties.get(key) if key else None
        if req.method == "GET":
            return JSONResponse(render_v1_property(st, existing)) if existing else v1_error(404, f"No property existing with key: {key}")
        if req.method == "DELETE":
            if not existing:
                return v1_error(404, f"No property existing with key: {key}")
            del page.properties[existing.key]
            st.stats.count_write("confluence.property.delete")
            return Response(status_code=204)
        b = await _json(req)
        if not isinstance(b, dict) or "value" not in b:
            return v1_error(400, "value is required")
        key = key or b.get("key")
        if not key:
            return v1_error(400, "key is required")
        existing = page.properties.get(key)
        if req.method == "POST":
            if existing:
                return v1_error(409, f"Cannot add a property with key '{key}': it already exists")
            prop = PageProperty(st.confluence.new_id(), key, b["value"], 1, st.clock(), st.confluence.api_author)
            page.properties[key] = prop
            st.stats.count_write("confluence.property.create")
            return JSONResponse(render_v1_property(st, prop))
        if not existing:
            return v1_error(404, f"No property existing with key: {key}")
        number = int((b.get("version") or {}).get("number", -1))
        if number != existing.version + 1:
            return v1_error(409, f"Version must be incremented on update. Current version is: {existing.version}")
        existing.value, existing.version, existing.at = b["value"], number, st.clock()
        st.stats.count_write("confluence.property.update")
        return JSONResponse(render_v1_property(st, existing))

    return r
