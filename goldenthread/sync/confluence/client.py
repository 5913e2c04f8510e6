"""The Confluence REST calls the publisher needs, for Cloud (v2 pages + v1 attachments/labels) and
Data Center (v1 only), through the library's generic get/post/put.

Why not the library's page helpers: on Cloud `Confluence(...)` gives a class without
create/update; `update_or_create` compares bodies lower-cased (a case-only edit is lost); and
`attach_file` re-uploads with a multipart PUT to the content itself, which Cloud refuses. Cloud is
retiring v1 content CRUD (410), so pages and page properties go through `/api/v2`; attachments and
labels have no v2 write API and stay on v1. A new version of an existing attachment is a POST to
`.../child/attachment/{id}/data`.

Paths are relative to the handle's base URL (Cloud: `https://site/wiki`; DC: the context root).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from goldenthread.sync.http.atlassian import ConfluenceHandle, build_path
from goldenthread.sync.http.errors import BadRequestError, NotFoundError

PROPERTY_KEY = "goldenthread"
_UPLOAD_HEADERS = {"X-Atlassian-Token": "no-check", "Accept": "application/json"}


@dataclass
class LivePage:
    id: str
    title: str
    version: int
    author_id: str = ""
    storage: str | None = None
    url: str = ""
    message: str = ""  # the version message (goldenthread's carry a marker: confluence.ownership)


@dataclass
class PageProperty:
    id: str  # Cloud v2 property id; DC: the key
    value: dict[str, Any]
    version: int


@dataclass
class LiveAttachment:
    id: str
    title: str
    comment: str = ""  # of its current version (goldenthread's carry a marker)


@dataclass
class ConfluenceApi:
    handle: ConfluenceHandle
    space_key: str
    _space_id: str | None = field(default=None, repr=False)
    #: the space id an earlier run looked up (the store keeps it): spares that GET on every run
    known_space_id: str | None = None

    # --- plumbing -------------------------------------------------------------------------
    @property
    def v2_pages(self) -> bool:
        """Pages and page properties on /api/v2 (Cloud) rather than v1 content (Data Center)."""
        return self.handle.profile.confluence_pages_v2

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        client = self.handle.client
        try:
            if method == "GET":
                return client.get(path, **kwargs)
            if method == "POST":
                return client.post(path, **kwargs)
            return client.put(path, **kwargs)
        except Exception as exc:  # noqa: BLE001 - every failure becomes one of our classified errors
            raise self.handle.classify(exc) from exc

    def _webui(self, links: dict[str, Any] | None) -> str:
        links = links or {}
        base = str(links.get("base") or self.handle.base_url).rstrip("/")
        webui = str(links.get("webui") or "")
        return f"{base}{webui}" if webui.startswith("/") else webui

    # --- pages ----------------------------------------------------------------------------
    def space_id(self) -> str:
        """Cloud v2 wants the numeric space id, not the key (one lookup, unless already known)."""
        if self._space_id is None:
            self._space_id = self.known_space_id or self._lookup_space_id()
        return self._space_id

    def require_space(self) -> None:
        """NotFoundError unless the configured space exists and this user sees it (one request,
        none when an earlier run found it: `known_space_id`)."""
        if self.v2_pages or self.known_space_id:
            self.space_id()
            return
        try:
            self._call("GET", build_path("rest/api/space", self.space_key))
        except NotFoundError:
            raise NotFoundError(f"Confluence space {self.space_key!r} not found (or not visible to this user)",
                                status=404, service="confluence") from None
        self._space_id = self.space_key  # Data Center addresses spaces by key: remembered as checked

    @property
    def new_space_id(self) -> str | None:
        """The space id this api looked up itself (None when it used `known_space_id`)."""
        return self._space_id if self._space_id != self.known_space_id else None

    def _lookup_space_id(self) -> str:
        data = self._call("GET", "api/v2/spaces", params={"keys": self.space_key}) or {}
        results = data.get("results") or []
        if not results:
            raise NotFoundError(f"Confluence space {self.space_key!r} not found (or not visible to this user)",
                                status=404, service="confluence")
        return str(results[0]["id"])

    def _space_changed(self) -> bool:
        """After a refused create: whether the remembered space id was stale (the space was
        deleted and made again under the same key); if so the fresh id is used from now on."""
        if self.known_space_id is None or self._space_id != self.known_space_id:
            return False
        self.known_space_id = None
        fresh = self._lookup_space_id()
        changed, self._space_id = fresh != self._space_id, fresh
        return changed

    def _from_v2(self, data: dict[str, Any]) -> LivePage:
        version = data.get("version") or {}
        body = ((data.get("body") or {}).get("storage") or {}).get("value")
        return LivePage(str(data["id"]), str(data.get("title", "")), int(version.get("number", 0)),
                        str(version.get("authorId") or ""), body, self._webui(data.get("_links")),
                        str(version.get("message") or ""))

    def _from_v1(self, data: dict[str, Any]) -> LivePage:
        version = data.get("version") or {}
        by = version.get("by") or {}
        body = ((data.get("body") or {}).get("storage") or {}).get("value")
        author = str(by.get("accountId") or by.get("username") or by.get("userKey") or "")
        return LivePage(str(data["id"]), str(data.get("title", "")), int(version.get("number", 0)),
                        author, body, self._webui(data.get("_links")), str(version.get("message") or ""))

    def get_page(self, page_id: str, *, body: bool = False) -> LivePage | None:
        """The page's current version (and storage when `body`); None if it is gone."""
        try:
            if self.v2_pages:
                params = {"body-format": "storage"} if body else None
                return self._from_v2(self._call("GET", build_path("api/v2/pages", page_id), params=params))
            expand = "version,body.storage" if body else "version"
            return self._from_v1(self._call("GET", build_path("rest/api/content", page_id), params={"expand": expand}))
        except NotFoundError:
            return None

    def find_page(self, title: str, *, body: bool = False) -> LivePage | None:
        if self.v2_pages:
            params = {"space-id": self.space_id(), "title": title, "status": "current"}
            if body:
                params["body-format"] = "storage"
            results = (self._call("GET", "api/v2/pages", params=params) or {}).get("results") or []
            return self._from_v2(results[0]) if results else None
        params = {"spaceKey": self.space_key, "title": title, "type": "page",
                  "expand": "version,body.storage" if body else "version"}
        results = (self._call("GET", "rest/api/content", params=params) or {}).get("results") or []
        return self._from_v1(results[0]) if results else None

    def create_page(self, title: str, storage: str, parent_id: str | None) -> LivePage:
        if self.v2_pages:
            payload: dict[str, Any] = {"spaceId": self.space_id(), "status": "current", "title": title,
                                       "body": {"representation": "storage", "value": storage}}
            if parent_id:
                payload["parentId"] = parent_id
            try:
                return self._from_v2(self._call("POST", "api/v2/pages", data=payload))
            except (NotFoundError, BadRequestError):
                # a 4xx created nothing, so retrying with the fresh space id is safe
                if not self._space_changed():
                    raise
                payload["spaceId"] = self.space_id()
                return self._from_v2(self._call("POST", "api/v2/pages", data=payload))
        payload = {"type": "page", "title": title, "space": {"key": self.space_key},
                   "body": {"storage": {"value": storage, "representation": "storage"}}}
        if parent_id:
            payload["ancestors"] = [{"id": parent_id}]
        return self._from_v1(self._call("POST", "rest/api/content", data=payload))

    def update_page(self, page_id: str, title: str, storage: str, version: int, message: str) -> LivePage:
        """Write `version` (= current + 1); a stale number answers 409 (ConflictError)."""
        if self.v2_pages:
            payload = {"id": page_id, "status": "current", "title": title,
                       "body": {"representation": "storage", "value": storage},
                       "version": {"number": version, "message": message}}
            return self._from_v2(self._call("PUT", build_path("api/v2/pages", page_id), data=payload))
        payload = {"id": page_id, "type": "page", "title": title,
                   "body": {"storage": {"value": storage, "representation": "storage"}},
                   "version": {"number": version, "message": message}}
        return self._from_v1(self._call("PUT", build_path("rest/api/content", page_id), data=payload))

    # --- page property (our hash and what we last wrote) ----------------------------------
    def get_property(self, page_id: str) -> PageProperty | None:
        if self.v2_pages:
            data = self._call("GET", build_path("api/v2/pages", page_id, "properties"), params={"key": PROPERTY_KEY}) or {}
            results = data.get("results") or []
            if not results:
                return None
            item = results[0]
        else:
            try:
                item = self._call("GET", build_path("rest/api/content", page_id, "property", PROPERTY_KEY))
            except NotFoundError:
                return None
        value = item.get("value")
        if isinstance(value, str):  # some sites hand JSON values back as strings
            try:
                value = json.loads(value)
            except ValueError:
                value = {}
        return PageProperty(str(item.get("id") or PROPERTY_KEY), value if isinstance(value, dict) else {},
                            int((item.get("version") or {}).get("number", 1)))

    def save_property(self, page_id: str, value: dict[str, Any], current: PageProperty | None) -> None:
        if self.v2_pages:
            if current is None:
                self._call("POST", build_path("api/v2/pages", page_id, "properties"), data={"key": PROPERTY_KEY, "value": value})
            else:
                self._call("PUT", build_path("api/v2/pages", page_id, "properties", current.id),
                           data={"key": PROPERTY_KEY, "value": value, "version": {"number": current.version + 1}})
            return
        if current is None:
            self._call("POST", build_path("rest/api/content", page_id, "property"), data={"key": PROPERTY_KEY, "value": value})
        else:
            self._call("PUT", build_path("rest/api/content", page_id, "property", PROPERTY_KEY),
                       data={"key": PROPERTY_KEY, "value": value, "version": {"number": current.version + 1}})

    # --- attachments and labels (v1 on both deployments) ----------------------------------
    def list_attachments(self, page_id: str) -> dict[str, LiveAttachment]:
        data = self._call("GET", build_path("rest/api/content", page_id, "child", "attachment"), params={"limit": 200}) or {}
        return {str(a["title"]): LiveAttachment(str(a["id"]), str(a["title"]), _comment(a))
                for a in data.get("results") or []}

    def upload_attachment(self, page_id: str, filename: str, content: bytes, existing: LiveAttachment | None,
                          comment: str = "") -> None:
        files = {"file": (filename, content, "image/png")}
        path = build_path("rest/api/content", page_id, "child", "attachment")
        if existing is not None:
            path = build_path(path, existing.id, "data")
        form = {"minorEdit": "true", "comment": comment} if comment else {"minorEdit": "true"}
        self._call("POST", path, files=files, data=form, headers=_UPLOAD_HEADERS)

    def add_labels(self, page_id: str, labels: tuple[str, ...]) -> None:
        if labels:
            self._call("POST", build_path("rest/api/content", page_id, "label"),
                       data=[{"prefix": "global", "name": name} for name in labels])


def _comment(attachment: dict[str, Any]) -> str:
    # Cloud puts the version comment under `extensions`, Data Center under `metadata`
    for where in ("extensions", "metadata"):
        found = (attachment.get(where) or {}).get("comment")
        if found:
            return str(found)
    return ""
