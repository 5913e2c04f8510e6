"""Request shapes (respx): Cloud pages through v2 with spaceId and page properties, attachments and
labels through v1 (a changed chart to .../{attachmentId}/data); Data Center v1 only."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import respx

from goldenthread.sync.http.atlassian import build_confluence
from goldenthread.sync.confluence.client import ConfluenceApi, LiveAttachment
from tests.sync.publish_helpers import make_context

CLOUD = "https://example.atlassian.net/wiki"
DC = "https://confluence.example.com"


def _page_v2(pid: str, version: int) -> dict[str, object]:
    return {"id": pid, "title": "Roadmap", "spaceId": "65537", "version": {"number": version, "authorId": "x"},
            "_links": {"webui": f"/spaces/IPM/pages/{pid}/Roadmap", "base": CLOUD}}


def test_cloud_uses_v2_for_pages_and_properties_and_v1_for_attachments(tmp_path: Path) -> None:
    ctx = make_context(tmp_path, CLOUD, "me@example.com", "tok")
    with respx.mock(assert_all_called=True) as mock:
        spaces = mock.get(f"{CLOUD}/api/v2/spaces", params={"keys": "IPM"}).respond(200, json={"results": [{"id": "65537", "key": "IPM"}]})
        create = mock.post(f"{CLOUD}/api/v2/pages").respond(200, json=_page_v2("42", 1))
        update = mock.put(f"{CLOUD}/api/v2/pages/42").respond(200, json=_page_v2("42", 2))
        prop = mock.post(f"{CLOUD}/api/v2/pages/42/properties").respond(200, json={"id": "7", "key": "goldenthread"})
        upload_new = mock.post(f"{CLOUD}/rest/api/content/42/child/attachment").respond(200, json={"results": []})
        upload_version = mock.post(f"{CLOUD}/rest/api/content/42/child/attachment/att9/data").respond(200, json={})
        label = mock.post(f"{CLOUD}/rest/api/content/42/label").respond(200, json={})
        api = ConfluenceApi(build_confluence(ctx.settings, deployment="cloud"), "IPM")
        page = api.create_page("Roadmap", "<p>x</p>", "99")
        api.update_page("42", "Roadmap", "<p>y</p>", 2, "msg")
        api.save_property("42", {"hash": "abc", "version": 2}, None)
        api.upload_attachment("42", "throughput.png", b"\x89PNG1", None)
        api.upload_attachment("42", "throughput.png", b"\x89PNG2", LiveAttachment("att9", "throughput.png"))
        api.add_labels("42", ("goldenthread",))
    assert page.id == "42" and page.url == f"{CLOUD}/spaces/IPM/pages/42/Roadmap"
    assert spaces.call_count == 1
    body = json.loads(create.calls[0].request.content)
    assert body == {"spaceId": "65537", "status": "current", "title": "Roadmap",
                    "body": {"representation": "storage", "value": "<p>x</p>"}, "parentId": "99"}
    body = json.loads(update.calls[0].request.content)
    assert body["version"] == {"number": 2, "message": "msg"} and body["id"] == "42"
    assert json.loads(prop.calls[0].request.content) == {"key": "goldenthread", "value": {"hash": "abc", "version": 2}}
    for route in (upload_new, upload_version):
        req = route.calls[0].request
        assert req.headers["X-Atlassian-Token"] == "no-check"
        assert req.headers["Content-Type"].startswith("multipart/form-data")
        assert b'filename="throughput.png"' in req.content
    assert json.loads(label.calls[0].request.content) == [{"prefix": "global", "name": "goldenthread"}]
    ctx.close()


def test_data_center_uses_v1_content_and_content_properties(tmp_path: Path) -> None:
    ctx = make_context(tmp_path, DC, "", "pat")
    v1 = {"id": "42", "title": "Roadmap", "version": {"number": 3, "by": {"username": "bot"}},
          "_links": {"webui": "/display/IPM/Roadmap", "base": DC}}
    with respx.mock(assert_all_called=True) as mock:
        find = mock.get(f"{DC}/rest/api/content").respond(200, json={"results": [v1]})
        create = mock.post(f"{DC}/rest/api/content").respond(200, json=v1)
        update = mock.put(f"{DC}/rest/api/content/42").respond(200, json=v1)
        get_prop = mock.get(f"{DC}/rest/api/content/42/property/goldenthread").respond(
            200, json={"key": "goldenthread", "value": {"hash": "h", "version": 3}, "version": {"number": 4}})
        put_prop = mock.put(f"{DC}/rest/api/content/42/property/goldenthread").respond(200, json={})
        api = ConfluenceApi(build_confluence(ctx.settings, deployment="datacenter"), "IPM")
        live = api.find_page("Roadmap", body=True)
        api.create_page("Roadmap", "<p>x</p>", "99")
        api.update_page("42", "Roadmap", "<p>y</p>", 4, "msg")
        current = api.get_property("42")
        assert current is not None and current.value == {"hash": "h", "version": 3} and current.version == 4
        api.save_property("42", {"hash": "new", "version": 4}, current)
    assert live is not None and live.version == 3 and live.author_id == "bot"
    assert find.calls[0].request.url.params["spaceKey"] == "IPM"
    assert find.calls[0].request.url.params["expand"] == "version,body.storage"
    assert find.calls[0].request.headers["Authorization"] == "Bearer pat"
    assert json.loads(create.calls[0].request.content) == {
        "type": "page", "title": "Roadmap", "space": {"key": "IPM"},
        "body": {"storage": {"value": "<p>x</p>", "representation": "storage"}}, "ancestors": [{"id": "99"}]}
    assert json.loads(update.calls[0].request.content)["version"] == {"number": 4, "message": "msg"}
    assert json.loads(put_prop.calls[0].request.content) == {
        "key": "goldenthread", "value": {"hash": "new", "version": 4}, "version": {"number": 5}}
    assert get_prop.call_count == 1
    ctx.close()


def test_missing_page_is_none_not_an_error(tmp_path: Path) -> None:
    ctx = make_context(tmp_path, CLOUD, "me@example.com", "tok")
    with respx.mock() as mock:
        mock.get(f"{CLOUD}/api/v2/pages/5").mock(return_value=httpx.Response(404, json={"errors": [{"title": "Not Found"}]}))
        api = ConfluenceApi(build_confluence(ctx.settings, deployment="cloud"), "IPM")
        assert api.get_page("5") is None
    ctx.close()
