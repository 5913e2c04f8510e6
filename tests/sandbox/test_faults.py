"""Fault injection, stats endpoints, the runner, and Jira Data Center mode."""

from __future__ import annotations

import threading

import httpx
import pytest
import requests

from goldenthread.sandbox import SandboxState, start_sandbox
from tests.sync.sandbox_helpers import NOW, running


def test_injected_429_503_500_then_normal_service() -> None:
    with running(issues=10) as (_, st, c):
        st.faults.inject("429", retry_after=7)
        st.faults.inject("503", retry_after=2)
        st.faults.inject("500")
        r1, r2, r3, r4 = (c.get("/rest/api/3/myself") for _ in range(4))
        assert (r1.status_code, r1.headers["Retry-After"]) == (429, "7")
        assert (r2.status_code, r2.headers["Retry-After"]) == (503, "2")
        assert r3.status_code == 500 and "Retry-After" not in r3.headers
        assert r4.status_code == 200
        assert st.faults.injected == {"429": 1, "503": 1, "500": 1}


def test_dropped_connection_is_a_transport_error_for_httpx_and_requests() -> None:
    with running(issues=10) as (sb, st, c):
        st.faults.inject("drop")
        with pytest.raises(httpx.RemoteProtocolError):
            c.get("/rest/api/3/myself")
        assert c.get("/rest/api/3/myself").status_code == 200  # the next request gets through
        st.faults.inject("drop")
        with requests.Session() as s, pytest.raises(requests.ConnectionError):
            s.get(sb.url + "/rest/api/3/myself", auth=(sb.user, sb.token), timeout=10)


def test_a_lost_answer_means_the_write_landed_but_the_client_saw_a_reset() -> None:
    with running(issues=10) as (_, st, c):
        space = c.get("/wiki/api/v2/spaces", params={"keys": "IPM"}).json()["results"][0]["id"]
        st.faults.inject("lost", path_prefix="/wiki/api/v2/pages", method="POST")
        body = {"spaceId": space, "status": "current", "title": "Landed",
                "body": {"representation": "storage", "value": "<p>x</p>"}}
        with pytest.raises(httpx.RemoteProtocolError):
            c.post("/wiki/api/v2/pages", json=body)
        assert [p.title for p in st.confluence.pages.values()].count("Landed") == 1
        assert st.faults.injected == {"lost": 1} and st.stats.writes_by["confluence.page.create"] == 1


def test_faults_target_a_path_prefix_and_method() -> None:
    with running(issues=10) as (_, st, c):
        st.faults.inject("503", path_prefix="/wiki/", method="PUT")
        assert c.get("/rest/api/3/myself").status_code == 200
        assert c.get("/wiki/api/v2/spaces").status_code == 200
        assert c.put("/wiki/api/v2/pages/1", json={}).status_code == 503
        assert st.faults.pending == 0


def test_random_faults_are_seeded_and_latency_is_applied() -> None:
    with running(issues=10) as (_, st, c):
        st.faults.probability, st.faults.random_kinds = 1.0, ("503",)
        assert c.get("/rest/api/3/myself").status_code == 503
        st.faults.probability = 0.0
        st.faults.latency_ms = 1
        assert c.get("/rest/api/3/myself").status_code == 200


def test_stats_count_per_template_and_reset_over_http() -> None:
    with running(issues=10) as (sb, st, c):
        st.stats.reset()
        for key in ("HR-1", "PLAT-1"):
            c.get(f"/rest/api/3/issue/{key}")
        c.put("/rest/api/3/issue/HR-1", json={"fields": {"customfield_10100": 5}})
        snap = httpx.get(sb.url + "/_sandbox/stats").json()
        assert snap["requests"]["GET /rest/api/3/issue/{key}"] == 2
        assert snap["requests"]["PUT /rest/api/3/issue/{key}"] == 1
        assert snap["writes"] == 1
        assert httpx.post(sb.url + "/_sandbox/reset-stats").status_code == 200
        assert st.stats.writes == 0 and not st.stats.requests


def test_runner_stops_cleanly_and_frees_the_port() -> None:
    before = {t.name for t in threading.enumerate()}
    state = SandboxState.build(issues=5, now=NOW)
    sb = start_sandbox(state)
    port = sb.port
    assert httpx.get(sb.url + "/rest/api/3/myself", auth=(sb.user, sb.token)).status_code == 200
    sb.stop()
    assert "goldenthread-sandbox" not in {t.name for t in threading.enumerate()} - before
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/rest/api/3/myself", timeout=2)
    with pytest.raises(ValueError):
        start_sandbox(state, host="0.0.0.0")


# ---- Jira Data Center mode -------------------------------------------------------------------


def test_dc_search_pages_with_startat_total_and_inline_changelog() -> None:
    with running(issues=60, jira_mode="datacenter") as (_, st, c):
        assert c.get("/rest/api/2/serverInfo").json()["deploymentType"] in ("Server", "DataCenter")
        backlog = [i for i in st.data.issues if "internal-product" in i.labels]
        seen: list[str] = []
        start = 0
        while True:
            body = c.get("/rest/api/2/search", params={"jql": "labels = internal-product ORDER BY key ASC",
                                                       "startAt": start, "maxResults": 20, "expand": "changelog",
                                                       "fields": "status,customfield_10108"}).json()
            assert body["total"] == len(backlog) and body["startAt"] == start
            for issue in body["issues"]:
                seen.append(issue["key"])
                hs = issue["changelog"]["histories"]
                assert len(hs) == issue["changelog"]["total"] == len(st.data.by_key[issue["key"]].histories)
                for h in hs:
                    assert "name" in h["author"] and "accountId" not in h["author"]
                    assert all("fieldId" not in it for it in h["items"])
                for u in issue["fields"]["customfield_10108"] or []:
                    assert set(u) >= {"name", "key", "displayName"}
            start += len(body["issues"])
            if start >= body["total"]:
                break
        assert sorted(seen) == sorted(i.key for i in backlog) and len(seen) == len(set(seen))


def test_dc_has_no_cloud_endpoints_and_accepts_a_pat() -> None:
    with running(issues=10, jira_mode="datacenter") as (sb, st, c):
        assert c.get("/rest/api/3/serverInfo").status_code == 404
        assert c.get("/rest/api/2/search/jql", params={"jql": "labels = x"}).status_code == 404
        assert c.post("/rest/api/2/changelog/bulkfetch", json={"issueIdsOrKeys": ["HR-1"]}).status_code == 404
        r = httpx.get(sb.url + "/rest/api/2/myself", headers={"Authorization": f"Bearer {sb.token}"})
        assert r.status_code == 200 and r.json()["name"] == st.data.api_user.username


def test_dc_watchers_take_a_json_string_username_and_edits_use_names() -> None:
    with running(issues=10, jira_mode="datacenter") as (_, st, c):
        key, who = st.data.issues[0].key, st.data.users[4]
        assert c.post(f"/rest/api/2/issue/{key}/watchers", json=who.username).status_code == 204
        names = [w["name"] for w in c.get(f"/rest/api/2/issue/{key}/watchers").json()["watchers"]]
        assert who.username in names
        r = c.put(f"/rest/api/2/issue/{key}", json={"update": {"customfield_10108": [{"add": {"name": who.username}}]}})
        assert r.status_code == 204
        assert who.username in st.data.by_key[key].custom["customfield_10108"]
        desc = c.get(f"/rest/api/2/issue/{key}", params={"fields": "description"}).json()["fields"]["description"]
        assert isinstance(desc, str) and "[~accountid:" not in desc
