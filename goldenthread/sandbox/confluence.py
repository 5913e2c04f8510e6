"""Confluence Cloud v2 endpoints (under /wiki) of the sandbox: spaces, pages, page properties.

Cloud's v1 content CRUD answers 410 here; attachments and labels stay on v1 (`confluence_v1.py`).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from goldenthread.sandbox.confluence_store import ConflictError, Page, PageProperty, check_storage
from goldenthread.sandbox.state import SandboxState

V1_GONE = ("This API is no longer available: Confluence Cloud has removed the v1 content endpoints for this "
           "site. Use the v2 API: /wiki/api/v2/pages")


def v2_error(status: int, title: str, code: str | None = None) -> JSONResponse:
    code = code or {400: "INVALID_REQUEST_PARAMETER", 404: "NOT_FOUND", 409: "CONFLICT"}.get(status, "ERROR")
    return JSONResponse({"errors": [{"status": status, "code": code, "title": title, "detail": None}]},
                        status_code=status)


def iso(at: Any) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def render_v2_page(st: SandboxState, page: Page, body_format: str | None) -> dict[str, Any]:
    space = st.confluence.space_by_id(page.space_id)
    key = space.key if space else ""
    out: dict[str, Any] = {
        "id": page.id, "status": page.status, "title": page.title, "spaceId": page.space_id,
        "parentId": page.parent_id, "parentType": "page" if page.parent_id else None, "position": int(page.id) % 1000,
        "authorId": page.author_id, "ownerId": page.author_id, "lastOwnerId": None, "createdAt": iso(page.created_at),
        "version": {"createdAt": iso(page.version_at), "message": page.version_message, "number": page.version,
                    "minorEdit": False, "authorId": page.version_author_id},
        "body": {},
        "_links": {"webui": f"/spaces/{key}/pages/{page.id}/{page.title.replace(' ', '+')}",
                   "editui": f"/pages/resumedraft.action?draftId={page.id}", "tinyui": f"/x/{page.id}"},
    }
    if body_format == "storage":
        out["body"] = {"storage": {"representation": "storage", "value": page.body}}
    return out


def render_v2_property(p: PageProperty) -> dict[str, Any]:
    return {"id": p.id, "key": p.key, "value": p.value,
            "version": {"createdAt": iso(p.at), "message": "", "number": p.version, "minorEdit": False,
                        "authorId": p.author_id}}


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode()


def _uncursor(raw: str | None) -> int:
    if not raw:
        return 0
    try:
        return int(json.loads(base64.urlsafe_b64decode(raw.encode()))["o"])
    except (ValueError, KeyError, TypeError):
        return -1


def _listing(req: Request, items: list[dict[str, Any]]) -> Response:
    try:
        limit = max(1, min(int(req.query_params.get("limit", "25")), 250))
    except ValueError:
        return v2_error(400, "limit must be a number")
    offset = _uncursor(req.query_params.get("cursor"))
    if offset < 0:
        return v2_error(400, "Invalid cursor")
    page = items[offset:offset + limit]
    links: dict[str, str] = {"base": str(req.base_url).rstrip("/") + "/wiki"}
    if offset + limit < len(items):
        q = dict(req.query_params)
        q["cursor"] = _cursor(offset + limit)
        links["next"] = req.url.path + "?" + "&".join(f"{k}={v}" for k, v in q.items())
    return JSONResponse({"results": page, "_links": links})


async def _body(req: Request) -> Any:
    try:
        return json.loads(await req.body() or b"null")
    except ValueError:
        return None


def build_confluence_cloud_router() -> APIRouter:  # noqa: C901 - the route table
    r = APIRouter(prefix="/wiki")

    def state(req: Request) -> SandboxState | None:
        st: SandboxState = req.app.state.sandbox
        return st if st.confluence_mode == "cloud" else None

    @r.get("/api/v2/spaces")
    async def spaces(req: Request) -> Response:
        st = state(req)
        if st is None:
            return Response(status_code=404)
        keys = {k for v in req.query_params.getlist("keys") for k in v.split(",") if k}
        out = [{"id": s.id, "key": s.key, "name": s.name, "type": "global", "status": "current",
                "homepageId": s.homepage_id, "authorId": st.confluence.api_author, "createdAt": "2024-01-01T00:00:00.000Z",
                "_links": {"webui": f"/spaces/{s.key}"}}
               for s in st.confluence.spaces.values() if not keys or s.key in keys]
        return _listing(req, out)

    @r.get("/api/v2/pages")
    async def pages(req: Request) -> Response:
        st = state(req)
        if st is None:
            return Response(status_code=404)
        q = req.query_params
        space_ids = {x for v in q.getlist("space-id") for x in v.split(",") if x}
        title, status = q.get("title"), q.get("status", "current")
        found = [p for p in sorted(st.confluence.pages.values(), key=lambda p: int(p.id))
                 if (not space_ids or p.space_id in space_ids) and (title is None or p.title == title)
                 and p.status in status.split(",")]
        return _listing(req, [render_v2_page(st, p, q.get("body-format")) for p in found])

    @r.post("/api/v2/pages")
    async def create(req: Request) -> Response:
        st = state(req)
        if st is None:
            return Response(status_code=404)
        b = await _body(req)
        if not isinstance(b, dict) or not b.get("spaceId") or not b.get("title"):
            return v2_error(400, "spaceId and title are required")
        if st.confluence.space_by_id(str(b["spaceId"])) is None:
            return v2_error(404, f"Space {b['spaceId']} not found")
        parent = b.get("parentId")
        if parent and str(parent) not in st.confluence.pages:
            return v2_error(404, f"Parent page {parent} not found")
        body = (b.get("body") or {})
        if body and body.get("representation") != "storage":
            return v2_error(400, "The sandbox accepts only the storage representation")
        problem = check_storage(body.get("value", ""))
        if problem:
            return v2_error(400, problem)
        try:
            page = st.confluence.create_page(str(b["spaceId"]), b["title"], parent and str(parent),
                                             body.get("value", ""), st.clock())
        except ValueError as exc:
            return v2_error(400, str(exc))
        st.stats.count_write("confluence.page.create")
        return JSONResponse(render_v2_page(st, page, "storage"))

    @r.api_route("/api/v2/pages/{page_id}", methods=["GET", "PUT", "DELETE"])
    async def one(req: Request, page_id: str) -> Response:
        st = state(req)
        if st is None:
            return Response(status_code=404)
        page = st.confluence.pages.get(page_id)
        if page is None or page.status != "current":
            return v2_error(404, f"Page {page_id} not found")
        if req.method == "GET":
            return JSONResponse(render_v2_page(st, page, req.query_params.get("body-format")))
        if req.method == "DELETE":
            page.status = "trashed"
            st.stats.count_write("confluence.page.delete")
            return Response(status_code=204)
        b = await _body(req)
        if not isinstance(b, dict) or not isinstance(b.get("version"), dict) or "number" not in b["version"]:
            return v2_error(400, "version.number is required")
        body = b.get("body") or {}
        problem = check_storage(body.get("value", ""))
        if problem:
            return v2_error(400, problem)
        try:
            st.confluence.update_page(page, int(b["version"]["number"]), b.get("title") or page.title,
                                      body.get("value", ""), st.clock(), b["version"].get("message", ""),
                                      parent_id=b.get("parentId"))
        except ConflictError as exc:
            return v2_error(409, str(exc))
        except ValueError as exc:
            return v2_error(400, str(exc))
        st.stats.count_write("confluence.page.update")
        return JSONResponse(render_v2_page(st, page, "storage"))

    @r.get("/api/v2/pages/{page_id}/children")
    async def children(req: Request, page_id: str) -> Response:
        st = state(req)
        if st is None or page_id not in st.confluence.pages:
            return v2_error(404, f"Page {page_id} not found")
        kids = [{"id": p.id, "status": p.status, "title": p.title, "spaceId": p.space_id,
                 "childPosition": int(p.id) % 1000} for p in st.confluence.children(page_id)]
        return _listing(req, kids)

    @r.api_route("/api/v2/pages/{page_id}/properties", methods=["GET", "POST"])
    async def props(req: Request, page_id: str) -> Response:
        st = state(req)
        page = st.confluence.pages.get(page_id) if st else None
        if st is None or page is None:
            return v2_error(404, f"Page {page_id} not found")
        if req.method == "GET":
            key = req.query_params.get("key")
            return _listing(req, [render_v2_property(p) for p in page.properties.values() if key in (None, p.key)])
        b = await _body(req)
        if not isinstance(b, dict) or not b.get("key") or "value" not in b:
            return v2_error(400, "key and value are required")
        if b["key"] in page.properties:
            return v2_error(409, f"A property with key '{b['key']}' already exists on this page")
        prop = PageProperty(st.confluence.new_id(), b["key"], b["value"], 1, st.clock(), st.confluence.api_author)
        page.properties[prop.key] = prop
        st.stats.count_write("confluence.property.create")
        return JSONResponse(render_v2_property(prop))

    @r.api_route("/api/v2/pages/{page_id}/properties/{prop_id}", methods=["GET", "PUT", "DELETE"])
    async def prop(req: Request, page_id: str, prop_id: str) -> Response:
        st = state(req)
        page = st.confluence.pages.get(page_id) if st else None
        found = next((p for p in page.properties.values() if p.id == prop_id), None) if page else None
        if st is None or page is None or found is None:
            return v2_error(404, f"Property {prop_id} not found")
        if req.method == "GET":
            return JSONResponse(render_v2_property(found))
        if req.method == "DELETE":
            del page.properties[found.key]
            st.stats.count_write("confluence.property.delete")
            return Response(status_code=204)
        b = await _body(req)
        if not isinstance(b, dict) or "value" not in b or not isinstance(b.get("version"), dict):
            return v2_error(400, "key, value and version.number are required")
        if int(b["version"].get("number", -1)) != found.version + 1:
            return v2_error(409, f"Version must be incremented on update. Current version is: {found.version}")
        found.value, found.version, found.at = b["value"], found.version + 1, st.clock()
        st.stats.count_write("confluence.property.update")
        return JSONResponse(render_v2_property(found))

    @r.api_route("/rest/api/content", methods=["GET", "POST"])
    async def v1_content(req: Request) -> Response:
        if state(req) is None:
            return Response(status_code=404)
        return JSONResponse({"statusCode": 410, "message": V1_GONE}, status_code=410)

    @r.api_route("/rest/api/content/{content_id}", methods=["GET", "PUT", "DELETE"])
    async def v1_content_one(req: Request, content_id: str) -> Response:
        return await v1_content(req)

    @r.api_route("/rest/api/content/{content_id}/property", methods=["GET", "POST"])
    async def v1_props(req: Request, content_id: str) -> Response:
        return await v1_content(req)

    @r.api_route("/rest/api/content/{content_id}/property/{key}", methods=["GET", "POST", "PUT", "DELETE"])
    async def v1_prop(req: Request, content_id: str, key: str) -> Response:
        return await v1_content(req)

    return r
