"""The sandbox's Jira Cloud endpoints over real loopback HTTP."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from goldenthread.sandbox import RunningSandbox, SandboxState
from tests.sync.sandbox_helpers import running

JIRA_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d{4}$")


@pytest.fixture(scope="module")
def cloud() -> Iterator[tuple[RunningSandbox, SandboxState, httpx.Client]]:
    with running(issues=150) as trio:
        yield trio


def test_pagination_walks_the_backlog_exactly_once_and_skips_distractors(cloud) -> None:  # type: ignore[no-untyped-def]
    _, st, c = cloud
    st.stats.reset()
    expected = {str(i.id) for i in st.data.issues if "internal-product" in i.labels}
    distractors = {str(i.id) for i in st.data.issues if "internal-product" not in i.labels}
    assert distractors
    seen: list[str] = []
    token = None
    while True:
        params = {"jql": "labels = internal-product ORDER BY key ASC", "maxResults": 37}
        if token:
            params["nextPageToken"] = token
        body = c.get("/rest/api/3/search/jql", params=params).json()
        seen += [i["id"] for i in body["issues"]]
        token = body.get("nextPageToken")
        if body["isLast"]:
            assert token is None
            break
    assert len(seen) == len(set(seen))
    assert set(seen) == expected
    assert st.stats.calls("GET", "/rest/api/3/search/jql") == math.ceil(len(expected) / 37)


def test_fields_default_to_id_only_and_field_pages_cap_at_100(cloud) -> None:  # type: ignore[no-untyped-def]
    _, _, c = cloud
    body = c.post("/rest/api/3/search/jql", json={"jql": "labels = internal-product", "maxResults": 20}).json()
    assert body["issues"] and all(set(i) == {"id"} for i in body["issues"])
    big = c.get("/rest/api/3/search/jql", params={"jql": "labels = internal-product", "maxResults": 500,
                                                  "fields": "summary,customfield_10108"}).json()
    assert len(big["issues"]) == 100 and big["isLast"] is False
    assert set(big["issues"][0]["fields"]) == {"summary", "customfield_10108"}
    ids = c.get("/rest/api/3/search/jql", params={"jql": "labels = internal-product", "maxResults": 500}).json()
    assert len(ids["issues"]) > 100 and ids["isLast"] is True


def test_v3_description_is_adf_and_v2_is_wiki_text(cloud) -> None:  # type: ignore[no-untyped-def]
    _, st, c = cloud
    key = st.data.issues[0].key
    v3 = c.get(f"/rest/api/3/issue/{key}", params={"fields": "description"}).json()["fields"]["description"]
    v2 = c.get(f"/rest/api/2/issue/{key}", params={"fields": "description"}).json()["fields"]["description"]
    assert v3["type"] == "doc" and v3["version"] == 1
    assert isinstance(v2, str) and v2 == st.data.issues[0].description


def test_removed_search_answers_410(cloud) -> None:  # type: ignore[no-untyped-def]
    _, _, c = cloud
    for path in ("/rest/api/2/search", "/rest/api/3/search"):
        r = c.get(path, params={"jql": "labels = internal-product"})
        assert r.status_code == 410
        assert "/rest/api/3/search/jql" in r.json()["errorMessages"][0]


def test_bulkfetch_limits_filter_and_paging(cloud) -> None:  # type: ignore[no-untyped-def]
    _, st, c = cloud
    r = c.post("/rest/api/3/changelog/bulkfetch", json={"issueIdsOrKeys": [str(n) for n in range(1001)]})
    assert r.status_code == 400
    chosen = [i for i in st.data.issues if i.histories][:30]
    want = {(str(i.id), str(h.id)) for i in chosen for h in i.histories if any(it.field_id == "status" for it in h.items)}
    got: list[tuple[str, str]] = []
    token = None
    calls = 0
    while True:
        req = {"issueIdsOrKeys": [i.key for i in chosen], "fieldIds": ["status"], "maxResults": 10}
        if token:
            req["nextPageToken"] = token
        body = c.post("/rest/api/3/changelog/bulkfetch", json=req).json()
        calls += 1
        for log in body["issueChangeLogs"]:
            for h in log["changeHistories"]:
                assert JIRA_TIME.match(h["created"])
                assert {it["fieldId"] for it in h["items"]} == {"status"}
                assert set(h["items"][0]) >= {"field", "fieldId", "fieldtype", "from", "fromString", "to", "toString"}
                got.append((log["issueId"], h["id"]))
        token = body.get("nextPageToken")
        if not token:
            break
    assert len(got) == len(set(got)) and set(got) == want
    assert calls == math.ceil(len(want) / 10)


@pytest.mark.parametrize(("jql", "fragment"), [
    ("labels = ", "Error in the JQL Query"),
    ("labels = internal-product AND", "Error in the JQL Query"),
    ("foo = bar", "Field 'foo' does not exist or you do not have permission to view it."),
    ("project = NOPE", "The value 'NOPE' does not exist for the field 'project'."),
    ('updated >= "yesterday-ish"', "Date value 'yesterday-ish' for field 'updated' is invalid."),
    ("labels = x ORDER BY nonsense", "does not exist"),
])
def test_invalid_jql_is_400_with_jira_wording(cloud, jql: str, fragment: str) -> None:  # type: ignore[no-untyped-def]
    _, _, c = cloud
    r = c.get("/rest/api/3/search/jql", params={"jql": jql})
    assert r.status_code == 400
    assert fragment in r.json()["errorMessages"][0]


def test_jql_boolean_logic_and_minute_precision() -> None:
    with running(issues=40) as (_, st, c):
        a, b, other = st.data.issues[0], st.data.issues[1], st.data.issues[2:]
        a.updated = datetime(2025, 5, 1, 10, 15, 30, tzinfo=UTC)
        b.updated = datetime(2025, 5, 1, 10, 14, 59, tzinfo=UTC)
        for i in other:
            i.updated = datetime(2025, 4, 1, tzinfo=UTC)
        st.bump()

        def keys(jql: str) -> set[str]:
            body = c.get("/rest/api/3/search/jql", params={"jql": jql, "fields": "key", "maxResults": 1000}).json()
            return {i["key"] for i in body["issues"]}

        assert keys('updated >= "2025-05-01 10:15"') == {a.key}
        assert keys('updated > "2025-05-01 10:15"') == {a.key}  # 10:15:30 is after the minute 10:15
        assert keys('updated >= "2025-05-01 10:16"') == set()
        assert keys('updated >= "2025/05/01 10:14" AND updated < "2025-05-01 10:15"') == {b.key}
        assert keys(f"key in ({a.key}, {b.key})") == {a.key, b.key}
        assert keys(f"key = {a.key} OR (key = {b.key} AND project = {b.project})") == {a.key, b.key}
        assert keys(f"key in ({a.key}, {b.key}) AND NOT key = {a.key}") == {b.key}
        hr = {i.key for i in st.data.issues if i.project == "HR" and ("hr" in i.labels or "payroll" in i.labels)}
        assert keys("project = HR AND labels in (hr, payroll)") == hr
        body = c.get("/rest/api/3/search/jql", params={"jql": "labels = internal-product ORDER BY updated DESC, key ASC",
                                                       "fields": "updated", "maxResults": 100}).json()
        stamps = [i["fields"]["updated"] for i in body["issues"]]
        assert stamps == sorted(stamps, reverse=True)


def test_jql_id_ranges_split_the_backlog_by_issue_id() -> None:
    with running(issues=40) as (_, st, c):
        def keys(jql: str) -> set[str]:
            body = c.get("/rest/api/3/search/jql", params={"jql": jql, "fields": "key", "maxResults": 1000}).json()
            assert "errorMessages" not in body, body
            return {i["key"] for i in body["issues"]}

        ids = sorted(i.id for i in st.data.issues)
        mid = ids[len(ids) // 2]
        low = {i.key for i in st.data.issues if i.id < mid}
        high = {i.key for i in st.data.issues if i.id >= mid}
        assert low and high
        assert keys(f"id < {mid}") == low
        assert keys(f"id >= {mid}") == high
        assert keys(f"id >= {ids[1]} AND id <= {ids[2]}") == {i.key for i in st.data.issues if i.id in ids[1:3]}
        by_id = {i.id: i.key for i in st.data.issues}
        assert keys(f"issuekey > {by_id[ids[-2]]}") == {by_id[ids[-1]]}  # a key is compared by its id
        assert keys(f"id = {ids[0]}") == {by_id[ids[0]]}
        bad = c.get("/rest/api/3/search/jql", params={"jql": "key > NOPE-1", "fields": "key"})
        assert bad.status_code == 400
        assert "An issue with key 'NOPE-1' does not exist" in bad.json()["errorMessages"][0]


def test_wrong_credentials_are_401(cloud) -> None:  # type: ignore[no-untyped-def]
    sb, _, _ = cloud
    for auth in ((sb.user, "wrong-token"), ("someone@example.com", sb.token)):
        r = httpx.get(sb.url + "/rest/api/3/myself", auth=auth)
        assert r.status_code == 401 and "wrong-token" not in r.text
    r = httpx.get(sb.url + "/rest/api/3/myself", headers={"Authorization": f"Bearer {sb.token}"})
    assert r.status_code == 401  # PATs are a Data Center thing


def test_atomic_add_keeps_existing_stakeholders_and_records_changelog() -> None:
    with running(issues=40) as (_, st, c):
        issue = next(i for i in st.data.issues if len(i.custom.get("customfield_10108", [])) >= 2)
        before = [st.data.users_by_name[u].account_id for u in issue.custom["customfield_10108"]]
        newcomer = next(u for u in st.data.users if u.account_id not in before)
        st.clock.now = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)  # type: ignore[attr-defined]
        st.stats.reset()
        r = c.put(f"/rest/api/3/issue/{issue.key}",
                  json={"update": {"customfield_10108": [{"add": {"accountId": newcomer.account_id}}]}})
        assert r.status_code == 204
        got = c.get(f"/rest/api/3/issue/{issue.key}", params={"fields": "customfield_10108,updated"}).json()["fields"]
        assert [u["accountId"] for u in got["customfield_10108"]] == [*before, newcomer.account_id]
        assert got["updated"] == "2025-06-02T12:00:00.000+0000"
        assert st.stats.writes == 1
        last = st.data.by_key[issue.key].histories[-1]
        assert last.author == st.data.api_user.username and last.items[0].field_id == "customfield_10108"
        # adding someone already there changes nothing but is still accepted
        again = c.put(f"/rest/api/3/issue/{issue.key}",
                      json={"update": {"customfield_10108": [{"add": {"accountId": newcomer.account_id}}]}})
        assert again.status_code == 204
        assert len(st.data.by_key[issue.key].custom["customfield_10108"]) == len(before) + 1
        bad = c.put(f"/rest/api/3/issue/{issue.key}", json={"update": {"customfield_10108": [{"add": {"accountId": "nobody"}}]}})
        assert bad.status_code == 400 and "customfield_10108" in bad.json()["errors"]


def test_per_issue_write_limit_answers_429_until_the_window_passes() -> None:
    with running(issues=10, write_limit=2, write_window_s=30, write_retry_after=4) as (_, st, c):
        key = st.data.issues[0].key
        edit = {"fields": {"customfield_10100": 42}}
        assert [c.put(f"/rest/api/3/issue/{key}", json=edit).status_code for _ in range(2)] == [204, 204]
        r = c.put(f"/rest/api/3/issue/{key}", json=edit)
        assert r.status_code == 429
        assert r.headers["RateLimit-Reason"] == "jira-per-issue-on-write" and r.headers["Retry-After"] == "4"
        assert c.put(f"/rest/api/3/issue/{st.data.issues[1].key}", json=edit).status_code == 204
        st.clock.mono += 31  # type: ignore[attr-defined]
        assert c.put(f"/rest/api/3/issue/{key}", json=edit).status_code == 204


def test_watchers_fields_status_and_serverinfo(cloud) -> None:  # type: ignore[no-untyped-def]
    _, st, c = cloud
    assert c.get("/rest/api/3/serverInfo").json()["deploymentType"] == "Cloud"
    names = {f["name"]: f for f in c.get("/rest/api/3/field").json()}
    assert names["Stakeholders"]["id"] == "customfield_10108" and names["Stakeholders"]["schema"]["type"] == "array"
    cats = {s["name"]: s["statusCategory"]["key"] for s in c.get("/rest/api/3/status").json()}
    assert cats == {"Backlog": "new", "To Do": "new", "In Progress": "indeterminate", "In Review": "indeterminate",
                    "Done": "done", "Released": "done", "Won't Do": "done"}
    key, who = st.data.issues[3].key, st.data.users[2]
    assert c.post(f"/rest/api/3/issue/{key}/watchers", json=who.account_id).status_code == 204
    watchers = c.get(f"/rest/api/3/issue/{key}/watchers").json()
    assert who.account_id in [w["accountId"] for w in watchers["watchers"]]
    assert c.get("/rest/api/3/myself").json()["accountId"] == st.data.api_user.account_id


def test_real_atlassian_client_pages_through_the_sandbox(cloud) -> None:  # type: ignore[no-untyped-def]
    from atlassian import Jira

    sb, st, _ = cloud
    jira = Jira(url=sb.jira_url, username=sb.user, password=sb.token, cloud=True)
    first = jira.enhanced_jql("labels = internal-product ORDER BY key ASC", fields=["summary"], limit=25)
    assert len(first["issues"]) == 25 and first["nextPageToken"]
    backlog = sorted((i for i in st.data.issues if "internal-product" in i.labels),
                     key=lambda i: (i.project, int(i.key.split("-")[1])))
    assert [i["key"] for i in first["issues"]] == [i.key for i in backlog[:25]]


def test_search_pages_show_edits_and_watchers_made_after_an_earlier_search() -> None:
    # search pages are served from per-issue render caches: every write must invalidate them
    with running(issues=30) as (_, st, c):
        issue = st.data.backlog_issues()[0]
        params = {"jql": f"key = {issue.key}", "fields": "summary,watches,customfield_10100"}

        def found() -> dict:  # type: ignore[type-arg]
            [got] = c.get("/rest/api/3/search/jql", params=params).json()["issues"]
            return got["fields"]  # type: ignore[no-any-return]

        before = found()
        assert before["summary"] == issue.summary and before["watches"]["watchCount"] == 0
        assert c.put(f"/rest/api/3/issue/{issue.key}",
                     json={"fields": {"summary": "Renamed & <escaped>", "customfield_10100": 77}}).status_code == 204
        after = found()
        assert after["summary"] == "Renamed & <escaped>" and after["customfield_10100"] == 77
        who = st.data.users[1]
        assert c.post(f"/rest/api/3/issue/{issue.key}/watchers", json=who.account_id).status_code == 204
        assert found()["watches"]["watchCount"] == 1
        assert c.delete(f"/rest/api/3/issue/{issue.key}/watchers", params={"accountId": who.account_id}).status_code == 204
        assert found()["watches"]["watchCount"] == 0


def test_a_request_body_that_is_not_json_or_not_utf8_is_a_jira_400(cloud) -> None:  # type: ignore[no-untyped-def]
    _, _, c = cloud
    for raw in (b"{not json", b'{"jql": "\xff\xfe"}'):
        r = c.post("/rest/api/3/search/jql", content=raw, headers={"Content-Type": "application/json"})
        assert r.status_code == 400, raw
        assert r.json()["errorMessages"][0].startswith("Unexpected character in the request body: ")
