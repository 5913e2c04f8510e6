"""The sandbox's Confluence Cloud (v2 + v1 attachments/labels) and Data Center (v1) endpoints."""

from __future__ import annotations

import pytest

from goldenthread.sandbox import check_storage
from tests.sync.sandbox_helpers import running


@pytest.mark.parametrize("body", ["<p>unclosed", "<p>a & b</p>", "<p>&bogus;</p>", "<p><b>x</p></b>",
                                  "<x:y>unbound prefix</x:y>", '<!DOCTYPE x [<!ENTITY a "b">]><p/>'])
def test_storage_check_rejects_malformed(body: str) -> None:
    assert check_storage(body) is not None


@pytest.mark.parametrize("body", ["<p>a&nbsp;b &amp; &lt;c&gt; &#160; &eacute;</p>", "",
                                  '<ac:structured-macro ac:name="info"><ac:rich-text-body><p>x</p></ac:rich-text-body>'
                                  '</ac:structured-macro><ri:page ri:content-title="t"/>'])
def test_storage_check_accepts_storage_format(body: str) -> None:
    assert check_storage(body) is None


def _space_and_parent(c):  # type: ignore[no-untyped-def]
    space_id = c.get("/wiki/api/v2/spaces", params={"keys": "IPM"}).json()["results"][0]["id"]
    parent = c.get("/wiki/api/v2/pages", params={"space-id": space_id, "title": "Internal products"}).json()
    return space_id, parent["results"][0]["id"]


def test_cloud_page_lifecycle_version_rule_and_409() -> None:
    with running(issues=5) as (_, st, c):
        space_id, parent_id = _space_and_parent(c)
        made = c.post("/wiki/api/v2/pages", json={"spaceId": space_id, "status": "current", "title": "Roadmap",
                                                  "parentId": parent_id,
                                                  "body": {"representation": "storage", "value": "<p>v1</p>"}})
        assert made.status_code == 200
        page = made.json()
        assert page["version"]["number"] == 1 and page["parentId"] == parent_id
        dup = c.post("/wiki/api/v2/pages", json={"spaceId": space_id, "title": "Roadmap", "parentId": parent_id,
                                                 "body": {"representation": "storage", "value": "<p/>"}})
        assert dup.status_code == 400
        found = c.get("/wiki/api/v2/pages", params={"space-id": space_id, "title": "Roadmap", "body-format": "storage"})
        assert found.json()["results"][0]["body"]["storage"]["value"] == "<p>v1</p>"
        put = {"id": page["id"], "status": "current", "title": "Roadmap", "version": {"number": 2},
               "body": {"representation": "storage", "value": "<p>v2</p>"}}
        assert c.put(f"/wiki/api/v2/pages/{page['id']}", json=put).status_code == 200
        stale = c.put(f"/wiki/api/v2/pages/{page['id']}", json=put)  # number 2 again: current is 2
        assert stale.status_code == 409
        assert "Current version is: 2" in stale.json()["errors"][0]["title"]
        kids = c.get(f"/wiki/api/v2/pages/{parent_id}/children").json()["results"]
        assert [k["title"] for k in kids] == ["Roadmap"]
        st.confluence.simulate_manual_edit(page["id"], "<p>edited by a person</p>")
        now = c.get(f"/wiki/api/v2/pages/{page['id']}", params={"body-format": "storage"}).json()
        assert now["version"]["number"] == 3 and now["version"]["authorId"] != st.data.api_user.account_id
        assert now["body"]["storage"]["value"] == "<p>edited by a person</p>"
        assert st.stats.writes == 2


def test_cloud_rejects_malformed_storage_and_accepts_nbsp() -> None:
    with running(issues=5) as (_, _st, c):
        space_id, parent_id = _space_and_parent(c)
        for i, value in enumerate(["<p>oops", "<p>R & D</p>"]):
            r = c.post("/wiki/api/v2/pages", json={"spaceId": space_id, "title": f"Bad {i}", "parentId": parent_id,
                                                   "body": {"representation": "storage", "value": value}})
            assert r.status_code == 400 and "Error parsing xhtml" in r.json()["errors"][0]["title"]
        ok = c.post("/wiki/api/v2/pages", json={"spaceId": space_id, "title": "Fine", "parentId": parent_id,
                                                "body": {"representation": "storage", "value": "<p>a&nbsp;b</p>"}})
        assert ok.status_code == 200


def test_cloud_page_properties_have_versions() -> None:
    with running(issues=5) as (_, _st, c):
        _, parent_id = _space_and_parent(c)
        base = f"/wiki/api/v2/pages/{parent_id}/properties"
        made = c.post(base, json={"key": "goldenthread", "value": {"hash": "a"}}).json()
        assert made["version"]["number"] == 1
        assert c.post(base, json={"key": "goldenthread", "value": {}}).status_code == 409
        upd = c.put(f"{base}/{made['id']}", json={"key": "goldenthread", "value": {"hash": "b"}, "version": {"number": 2}})
        assert upd.status_code == 200 and upd.json()["value"] == {"hash": "b"}
        stale = c.put(f"{base}/{made['id']}", json={"key": "goldenthread", "value": {}, "version": {"number": 2}})
        assert stale.status_code == 409
        listed = c.get(base, params={"key": "goldenthread"}).json()["results"]
        assert [(p["key"], p["version"]["number"]) for p in listed] == [("goldenthread", 2)]
        assert c.delete(f"{base}/{made['id']}").status_code == 204
        assert c.get(base).json()["results"] == []


def test_v1_attachments_and_labels_on_cloud_and_v1_content_is_gone() -> None:
    with running(issues=5) as (sb, _st, c):
        _, pid = _space_and_parent(c)
        url = f"/wiki/rest/api/content/{pid}/child/attachment"
        files = {"file": ("chart.png", b"\x89PNG one", "image/png")}
        assert c.post(url, files=files).status_code == 403  # no X-Atlassian-Token
        xsrf = {"X-Atlassian-Token": "no-check"}
        made = c.post(url, files=files, headers=xsrf)
        assert made.status_code == 200
        att = made.json()["results"][0]
        again = c.post(url, files={"file": ("chart.png", b"other", "image/png")}, headers=xsrf)
        assert again.status_code == 400 and "same file name as an existing attachment" in again.json()["message"]
        new = c.post(f"{url}/{att['id']}/data", files={"file": ("chart.png", b"\x89PNG two", "image/png")}, headers=xsrf)
        assert new.status_code == 200 and new.json()["version"]["number"] == 2
        listed = c.get(url, params={"filename": "chart.png"}).json()["results"]
        assert len(listed) == 1
        assert c.get(sb.confluence_url + listed[0]["_links"]["download"]).content == b"\x89PNG two"
        assert c.post(f"/wiki/rest/api/content/{pid}/label", json=[{"prefix": "global", "name": "goldenthread"}]).status_code == 200
        names = [x["name"] for x in c.get(f"/wiki/rest/api/content/{pid}/label").json()["results"]]
        assert names == ["goldenthread"]
        assert c.get("/wiki/rest/api/content", params={"spaceKey": "IPM", "title": "Internal products"}).status_code == 410
        assert c.put(f"/wiki/rest/api/content/{pid}", json={}).status_code == 410


def test_datacenter_v1_content_crud_properties_and_409() -> None:
    with running(issues=5, confluence_mode="datacenter") as (sb, st, c):
        assert sb.confluence_url.endswith("/confluence")
        assert c.get("/wiki/api/v2/spaces").status_code == 404
        assert c.get("/confluence/api/v2/spaces").status_code == 404
        q = {"spaceKey": "IPM", "title": "Internal products", "expand": "body.storage,version,ancestors"}
        parent = c.get("/confluence/rest/api/content", params=q).json()["results"][0]
        made = c.post("/confluence/rest/api/content", json={
            "type": "page", "title": "What's new", "space": {"key": "IPM"}, "ancestors": [{"id": parent["id"]}],
            "body": {"storage": {"value": "<p>1</p>", "representation": "storage"}}}).json()
        assert made["version"]["number"] == 1 and made["ancestors"][-1]["id"] == parent["id"]
        assert made["version"]["by"]["username"] == st.data.api_user.username
        upd = {"id": made["id"], "type": "page", "title": "What's new", "version": {"number": 2},
               "body": {"storage": {"value": "<p>2</p>", "representation": "storage"}}}
        assert c.put(f"/confluence/rest/api/content/{made['id']}", json=upd).status_code == 200
        stale = c.put(f"/confluence/rest/api/content/{made['id']}", json=upd)
        assert stale.status_code == 409 and stale.json()["statusCode"] == 409
        assert stale.json()["message"].endswith("ConflictException: Version must be incremented on update. "
                                                "Current version is: 2")
        bad = dict(upd, version={"number": 3}, body={"storage": {"value": "<p>x", "representation": "storage"}})
        assert c.put(f"/confluence/rest/api/content/{made['id']}", json=bad).status_code == 400
        props = f"/confluence/rest/api/content/{made['id']}/property"
        assert c.post(props, json={"key": "gt", "value": {"h": 1}}).status_code == 200
        assert c.put(f"{props}/gt", json={"key": "gt", "value": {"h": 2}, "version": {"number": 2}}).status_code == 200
        assert c.put(f"{props}/gt", json={"key": "gt", "value": {"h": 3}, "version": {"number": 2}}).status_code == 409
        assert c.get(f"{props}/gt").json()["value"] == {"h": 2}
        r = c.post(f"/confluence/rest/api/content/{made['id']}/child/attachment",
                   files={"file": ("a.csv", b"x,y", "text/csv")}, headers={"X-Atlassian-Token": "no-check"})
        assert r.status_code == 200


def test_a_state_built_from_data_alone_has_the_seeded_space() -> None:
    from goldenthread.sandbox import SandboxState, build_dataset

    state = SandboxState(data=build_dataset(issues=3))
    assert "IPM" in state.confluence.spaces
    titles = {p.title for p in state.confluence.pages.values()}
    assert "Internal products" in titles
